-- Shared helpers, prepended to every routing script.
-- A clerk is "free" in a department while available with spare capacity; "staffed" while
-- available at all. The free set is ordered by the time of the clerk's last assignment,
-- so the clerk idle longest is first. Each contact a clerk holds (offered or accepted)
-- takes units of capacity: 1 for a chat, all of it for a call (see weight()).
local prefix = ARGV[1]

local function clerk_key(c) return prefix .. 'clerk:' .. c end

local function busy_units(c)
  local busy = 0
  for _, units in ipairs(redis.call('HVALS', clerk_key(c) .. ':load')) do
    busy = busy + tonumber(units)
  end
  return busy
end

-- Units a contact needs: its weight, at most the clerk's whole capacity.
local function units_for(iid, capacity)
  local weight = tonumber(redis.call('HGET', prefix .. 'weight', iid)) or 1
  return math.min(weight, capacity)
end

local function fits(c, iid)
  local st = redis.call('HMGET', clerk_key(c), 'status', 'capacity')
  local capacity = tonumber(st[2]) or 0
  if st[1] ~= 'available' then return false, 0 end
  local units = units_for(iid, capacity)
  return busy_units(c) + units <= capacity, units
end

local function refresh(c)
  local ck = clerk_key(c)
  local st = redis.call('HMGET', ck, 'status', 'capacity', 'last')
  local available = st[1] == 'available'
  local free = available and busy_units(c) < (tonumber(st[2]) or 0)
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

-- Forget what a clerk held for a contact (offer or conversation).
local function unhold(c, iid)
  local ck = clerk_key(c)
  redis.call('SREM', ck .. ':offers', iid)
  local removed = redis.call('SREM', ck .. ':active', iid)
  redis.call('HDEL', ck .. ':load', iid)
  return removed
end

local function mark_dirty(d) redis.call('SADD', prefix .. 'dirty', d) end
