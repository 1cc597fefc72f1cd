-- Shared helpers, prepended to every routing script.
-- A clerk is "free" in a department while available with spare capacity; "staffed" while
-- available at all. The free set is ordered by the time of the clerk's last assignment,
-- so the clerk idle longest is first.
local prefix = ARGV[1]

local function clerk_key(c) return prefix .. 'clerk:' .. c end

local function refresh(c)
  local ck = clerk_key(c)
  local st = redis.call('HMGET', ck, 'status', 'capacity', 'last')
  local busy = redis.call('SCARD', ck .. ':active') + redis.call('SCARD', ck .. ':offers')
  local available = st[1] == 'available'
  local free = available and busy < (tonumber(st[2]) or 0)
  for _, d in ipairs(redis.call('SMEMBERS', ck .. ':depts')) do
    if free then
      redis.call('ZADD', prefix .. 'free:' .. d, tonumber(st[3]) or 0, c)
    else
      redis.call('ZREM', prefix .. 'free:' .. d, c)
    end
    if available then
      redis.call('HSET', prefix .. 'staffed:' .. d, c, tonumber(st[2]) or 0)
    else
      redis.call('HDEL', prefix .. 'staffed:' .. d, c)
    end
  end
end

local function mark_dirty(d) redis.call('SADD', prefix .. 'dirty', d) end
