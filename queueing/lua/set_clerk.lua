-- Set a clerk's presence, capacity and departments (skills).
-- ARGV: prefix, clerk, status, capacity, now_ms, dept1, dept2, ...
local c, status, capacity, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ck = clerk_key(c)
for _, d in ipairs(redis.call('SMEMBERS', ck .. ':depts')) do
  redis.call('ZREM', prefix .. 'free:' .. d, c)
  redis.call('HDEL', prefix .. 'staffed:' .. d, c)
end
redis.call('DEL', ck .. ':depts')
for i = 6, #ARGV do redis.call('SADD', ck .. ':depts', ARGV[i]) end
local previous = redis.call('HGET', ck, 'status')
redis.call('HSET', ck, 'status', status, 'capacity', capacity)
if previous ~= status or not redis.call('HGET', ck, 'last') then
  -- Becoming available counts as the start of being idle.
  redis.call('HSET', ck, 'last', now)
end
redis.call('SADD', prefix .. 'clerks', c)
refresh(c)
return redis.call('SMEMBERS', ck .. ':offers')
