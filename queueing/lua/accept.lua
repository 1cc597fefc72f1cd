-- A clerk accepts an offer made to them. Only the clerk the offer names can win it.
-- ARGV: prefix, interaction, clerk. Returns 1 when accepted, 0 otherwise.
local iid, c = ARGV[2], ARGV[3]
local ok = redis.call('HGET', prefix .. 'offer:' .. iid, 'clerk')
if ok ~= c then return 0 end
redis.call('DEL', prefix .. 'offer:' .. iid)
redis.call('ZREM', prefix .. 'offers', iid)
redis.call('SREM', clerk_key(c) .. ':offers', iid)
redis.call('SADD', clerk_key(c) .. ':active', iid)
refresh(c)
return 1
