/**
 * The interpreter of a counter program, run by Redis as ONE script: Redis runs a script to the
 * end before any other command, so a whole program (check, count, guarded follow-ups) is
 * atomic across every instance sharing the server, exactly as MemoryCounterStore is in one.
 *
 * KEYS    the program's distinct counters (all in one hash slot, see redis-key-prefix.ts)
 * ARGV[1] now: the caller's clock in ms. Windows are compared with it, never with Redis time,
 *         so every store gives the same answer for the same program and `now`.
 * ARGV[2] grace in ms added to each key's PEXPIRE. Expiry is only garbage collection; the
 *         grace keeps a key alive for an instance whose clock runs a little behind.
 * ARGV[3] the ops as JSON (see program-wire.ts): o op, k index into KEYS, w windowMs, b by,
 *         l limit, n count, m member, s sliding (1), g guard {r ref (1-based), a admitted (0|1),
 *         t atLeast}.
 *
 * A counter is a hash: c count, r resetAt (end of window), for sliding counters w windowMs and
 * p the previous window's count (see counter-store.ts in libs/detection), and for `see` sets: n members,
 * f first member, m:<member> one field per member. One key per counter means del, arm and
 * a new window drop the members together with the count, and one expiry covers them all.
 *
 * Returns one reply per op: {ran, count, resetAt, admitted} (0|1 flags), plus first for `see`.
 */
export const COUNTER_PROGRAM_LUA = `
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local ops = cjson.decode(ARGV[3])
local out = {}

local function holds(g)
  if not g then return true end
  local r = out[g.r]
  if not r or r[1] == 0 then return false end
  if g.a ~= nil and r[4] ~= g.a then return false end
  if g.t ~= nil and r[2] < g.t then return false end
  return true
end

local function expire(key, reset, slide)
  redis.call('PEXPIRE', key, math.ceil(reset - now + (slide or 0) + grace))
end

-- The count, end of window, previous count and sliding window length of the key while its
-- window is open at now. A passed window is dropped, except that a sliding counter whose window
-- has just ended rolls on into the next one, carrying its count as the previous one.
local function open(key)
  local v = redis.call('HMGET', key, 'c', 'r', 'p', 'w')
  local r = tonumber(v[2])
  local w = tonumber(v[4])
  if r and r > now then return tonumber(v[1]) or 0, r, tonumber(v[3]) or 0, w end
  if r and w and now < r + w then
    local prev = tonumber(v[1]) or 0
    r = r + w
    redis.call('HSET', key, 'c', 0, 'r', r, 'p', prev)
    expire(key, r, w)
    return 0, r, prev, w
  end
  if r then redis.call('DEL', key) end
  return nil, nil, 0, nil
end

-- What a counter reads: its count, or for a sliding one the estimate over the last window.
local function estimate(c, r, p, w)
  if not w or p <= 0 then return c end
  local overlap = math.min(1, math.max(0, (r - now) / w))
  return c + math.floor(p * overlap)
end

local function start(key, count, reset)
  redis.call('HSET', key, 'c', count, 'r', reset)
  expire(key, reset)
end

for i, op in ipairs(ops) do
  local res
  if not holds(op.g) then
    res = {0, 0, 0, 0}
  else
    local key = KEYS[op.k]
    local c, r, p, w = open(key)
    local o = op.o
    if o == 'get' then
      if c then res = {1, estimate(c, r, p, w), r, 1} else res = {1, 0, 0, 1} end
    elseif o == 'del' then
      redis.call('DEL', key)
      res = {1, 0, 0, 1}
    elseif o == 'arm' then
      if c then redis.call('DEL', key) end
      r = now + op.w
      start(key, op.n, r)
      res = {1, op.n, r, 1}
    elseif o == 'add' then
      if c then
        c = math.max(0, c + op.b)
        redis.call('HSET', key, 'c', c)
        res = {1, estimate(c, r, p, w), r, 1}
      elseif op.b <= 0 then
        -- A decrement never opens a window.
        res = {1, 0, 0, 1}
      else
        r = now + op.w
        start(key, op.b, r)
        if op.s == 1 then
          redis.call('HSET', key, 'w', op.w)
          expire(key, r, op.w)
        end
        res = {1, op.b, r, 1}
      end
    elseif o == 'take' then
      local fresh = not c
      if fresh then c = 0; r = now + op.w end
      if c >= op.l then
        res = {1, c, r, 0}
      else
        c = c + 1
        if fresh then start(key, c, r) else redis.call('HSET', key, 'c', c) end
        res = {1, c, r, 1}
      end
    elseif o == 'see' then
      local fresh = not c
      if fresh then r = now + op.w end
      if redis.call('HSETNX', key, 'm:' .. op.m, 1) == 1 then
        if redis.call('HINCRBY', key, 'n', 1) == 1 then redis.call('HSET', key, 'f', op.m) end
      end
      c = tonumber(redis.call('HGET', key, 'n'))
      -- The set lives windowMs from its latest member: extended, never shortened.
      local reset = math.max(r, now + op.w)
      redis.call('HSET', key, 'c', c, 'r', reset)
      if fresh or reset > r then expire(key, reset) end
      res = {1, c, reset, 1, redis.call('HGET', key, 'f')}
    else
      return redis.error_reply('unknown counter op ' .. tostring(o))
    end
  end
  out[i] = res
end
return out
`;
