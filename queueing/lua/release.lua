-- A clerk's conversation ended or moved away: free the capacity it held.
-- ARGV: prefix, interaction, clerk. Returns 1 if the clerk held it.
local iid, c = ARGV[2], ARGV[3]
local removed = redis.call('SREM', clerk_key(c) .. ':active', iid)
refresh(c)
return removed
