-- Offer an interaction straight to a named clerk (a transfer to a colleague), if they are
-- available with room for it. A lapsed or declined offer falls back to the queue.
-- ARGV: prefix, interaction, clerk, department, now_ms, offer_ttl_ms, score. Returns 1 or 0.
local iid, c, dept = ARGV[2], ARGV[3], ARGV[4]
local now, ttl, score = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local ok, units = fits(c, iid)
if not ok then return 0 end
if redis.call('EXISTS', prefix .. 'offer:' .. iid) == 1 then return 0 end
redis.call('ZREM', prefix .. 'queue:' .. dept, iid)
redis.call('HSET', prefix .. 'offer:' .. iid, 'clerk', c, 'dept', dept, 'score', score)
redis.call('ZADD', prefix .. 'offers', now + ttl, iid)
redis.call('SADD', clerk_key(c) .. ':offers', iid)
redis.call('HSET', clerk_key(c) .. ':load', iid, units)
refresh(c)
return 1
