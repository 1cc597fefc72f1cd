-- An interaction leaves the queue without a clerk (resident left, closed by staff).
-- ARGV: prefix, interaction, department. Returns the clerk holding an offer for it, or false.
local iid, dept = ARGV[2], ARGV[3]
redis.call('ZREM', prefix .. 'queue:' .. dept, iid)
redis.call('HDEL', prefix .. 'weight', iid)
mark_dirty(dept)
local c = redis.call('HGET', prefix .. 'offer:' .. iid, 'clerk')
if not c then return false end
redis.call('DEL', prefix .. 'offer:' .. iid)
redis.call('ZREM', prefix .. 'offers', iid)
unhold(c, iid)
refresh(c)
return c
