-- Take back an open offer (lapsed, declined, clerk gone) and put the interaction at the
-- place in its queue it had before, so waiting for an offer costs the resident nothing.
-- ARGV: prefix, interaction, requeue (1 or 0). Returns the clerk it was offered to, or false.
local iid, requeue = ARGV[2], ARGV[3] == '1'
local offer = redis.call('HMGET', prefix .. 'offer:' .. iid, 'clerk', 'dept', 'score')
if not offer[1] then return false end
local c, dept, score = offer[1], offer[2], offer[3]
redis.call('DEL', prefix .. 'offer:' .. iid)
redis.call('ZREM', prefix .. 'offers', iid)
unhold(c, iid)
refresh(c)
if requeue then
  redis.call('ZADD', prefix .. 'queue:' .. dept, score, iid)
  mark_dirty(dept)
else
  redis.call('HDEL', prefix .. 'weight', iid)
end
return c
