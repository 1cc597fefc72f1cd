-- Offer the oldest waiting interactions of one department to the free clerks idle longest.
-- ARGV: prefix, department, now_ms, offer_ttl_ms, max_offers
-- Returns a flat list: interaction, clerk, interaction, clerk, ...
local dept, now, ttl, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local q = prefix .. 'queue:' .. dept
local free = prefix .. 'free:' .. dept
local out = {}
while #out < limit * 2 do
  local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local clerks = redis.call('ZRANGE', free, 0, 0)
  if #clerks == 0 then break end
  local iid, c = head[1], clerks[1]
  redis.call('ZREM', q, iid)
  redis.call('HSET', prefix .. 'offer:' .. iid, 'clerk', c, 'dept', dept, 'score', head[2])
  redis.call('ZADD', prefix .. 'offers', now + ttl, iid)
  redis.call('SADD', clerk_key(c) .. ':offers', iid)
  redis.call('HSET', clerk_key(c), 'last', now)
  refresh(c)
  out[#out + 1] = iid
  out[#out + 1] = c
end
if #out > 0 then mark_dirty(dept) end
return out
