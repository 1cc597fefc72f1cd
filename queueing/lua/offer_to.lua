-- Offer an interaction straight to a named clerk (a transfer to a colleague), if they are
-- available with spare capacity. A lapsed or declined offer falls back to the queue.
-- ARGV: prefix, interaction, clerk, department, now_ms, offer_ttl_ms, score. Returns 1 or 0.
local iid, c, dept = ARGV[2], ARGV[3], ARGV[4]
local now, ttl, score = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local ck = clerk_key(c)
local st = redis.call('HMGET', ck, 'status', 'capacity')
local busy = redis.call('SCARD', ck .. ':active') + redis.call('SCARD', ck .. ':offers')
if st[1] ~= 'available' or busy >= (tonumber(st[2]) or 0) then return 0 end
if redis.call('EXISTS', prefix .. 'offer:' .. iid) == 1 then return 0 end
redis.call('ZREM', prefix .. 'queue:' .. dept, iid)
redis.call('HSET', prefix .. 'offer:' .. iid, 'clerk', c, 'dept', dept, 'score', score)
redis.call('ZADD', prefix .. 'offers', now + ttl, iid)
redis.call('SADD', ck .. ':offers', iid)
refresh(c)
return 1
