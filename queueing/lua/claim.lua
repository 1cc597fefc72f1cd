-- A clerk takes a waiting interaction from the list (pull), within their capacity.
-- ARGV: prefix, interaction, clerk, department, now_ms. Returns 1 when taken, 0 otherwise.
local iid, c, dept, now = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local ck = clerk_key(c)
local ok, units = fits(c, iid)
if not ok then return 0 end
if redis.call('SISMEMBER', ck .. ':depts', dept) == 0 then return 0 end
if redis.call('ZREM', prefix .. 'queue:' .. dept, iid) == 0 then return 0 end
redis.call('SADD', ck .. ':active', iid)
redis.call('HSET', ck .. ':load', iid, units)
redis.call('HSET', ck, 'last', now)
refresh(c)
mark_dirty(dept)
return 1
