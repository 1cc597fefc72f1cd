-- A clerk's conversation ended or moved away: free the capacity it held.
-- ARGV: prefix, interaction, clerk. Returns 1 if the clerk held it.
local iid, c = ARGV[2], ARGV[3]
local removed = unhold(c, iid)
redis.call('HDEL', prefix .. 'weight', iid)
refresh(c)
return removed
