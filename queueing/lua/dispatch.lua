-- Offer the most urgent waiting interactions of one department (lowest score: the earliest
-- due) to the free clerk idle longest who has room for them.
-- ARGV: prefix, department, now_ms, offer_ttl_ms, max_offers
-- Returns a flat list: interaction, clerk, interaction, clerk, ...
local dept, now, ttl, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local q = prefix .. 'queue:' .. dept
local free = prefix .. 'free:' .. dept
local out = {}
while #out < limit * 2 do
  local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local iid, chosen, units = head[1], nil, 0
  -- A chat fits any free clerk; a call waits for a clerk with nothing else (it holds the
  -- head of the queue meanwhile: it is the most urgent contact of its department).
  local page, size = 0, 16
  repeat
    local clerks = redis.call('ZRANGE', free, page * size, page * size + size - 1)
    for _, c in ipairs(clerks) do
      local ok, need = fits(c, iid)
      if ok then chosen, units = c, need break end
    end
    page = page + 1
  until chosen or #clerks < size
  if not chosen then break end
  redis.call('ZREM', q, iid)
  redis.call('HSET', prefix .. 'offer:' .. iid, 'clerk', chosen, 'dept', dept, 'score', head[2])
  redis.call('ZADD', prefix .. 'offers', now + ttl, iid)
  redis.call('SADD', clerk_key(chosen) .. ':offers', iid)
  redis.call('HSET', clerk_key(chosen) .. ':load', iid, units)
  redis.call('HSET', clerk_key(chosen), 'last', now)
  refresh(chosen)
  out[#out + 1] = iid
  out[#out + 1] = chosen
end
if #out > 0 then mark_dirty(dept) end
return out
