/**
 * The Redis side of the shared continuity store: Lua scripts, so that each change is one atomic
 * step in Redis whichever instance sends it, and every write is idempotent (a batch that failed
 * halfway is simply sent again).
 *
 * Layout (prefix P = `redis.key_prefix` + `cont:`, e.g. `lip:cont:`):
 * * `P L:<a_leg_id>`: hash of the A-leg: `p` principal, `s` session id, `c` created, `l` last
 *   seen, `f` 1 once `[first]` was consumed (never cleared), `fp` resume-token fingerprint,
 *   `ak`/`ab`/`ac` affinity candidate key, bound at, changed at (an empty `ak` is no binding;
 *   the newest change wins), `q` the last B-leg seq (HINCRBY: the one counter every instance
 *   allocates from). PEXPIREd at last seen + its lifetime (ttl, or the resume window for a
 *   proxy-issued session).
 * * `P A:<a_leg_id>`: hash of its attempt rows: `s:<b_leg_id>` seq, `q:<seq>` b_leg_id,
 *   `r:<b_leg_id>` the row as JSON. The seq is allocated here, at the first write of a B-leg, so
 *   two instances never store one seq twice; past `max per leg` the oldest row goes.
 * * `P S:<bytes>:<principal>:<session id>`, `P F:<fingerprint>`: the A-leg id (lookups), same expiry.
 * * `P legs`: sorted set of `<a_leg_id>|<principal>` by expiry time; `P held`: principals by
 *   the number of A-legs they hold; `P P:<principal>`: that principal's A-leg ids by last seen.
 *   These give `max_legs` with the fair-share rule of LegTable across all instances (the
 *   least recently seen A-leg of the principal holding the most goes) and are swept as A-legs
 *   expire.
 * * `P R:<response_id>`: hash `row` (JSON), `prev` (previous_response_id or empty), `k` the
 *   creation time of its newest continuation: a response is kept for ttl after the later of
 *   its own creation and `k` (a conversation lives as long as its newest turn). A deleted
 *   response leaves only `gone` (a tombstone, kept for ttl), so that an instance holding its own
 *   copy of it learns that it is gone.
 * * `P fpkey`: the resume-token fingerprint key, created once (the first instance to ask sets it).
 * * `P X:<key>`: the lock of `exclusive(key)` (a random token of the instance holding it, with
 *   an expiry), set with SET NX PX and removed only by its holder (UNLOCK_LUA).
 *
 * Times are the instances' epoch milliseconds (`now` is passed in); PEXPIRE gets what is left.
 * The scripts compute key names, so they suit a single Redis (or a Sentinel-managed primary),
 * not Redis Cluster, like the circuit scripts.
 */

const DROP_LEG = `
local P = ARGV[1]
local function dropLeg(member)
  local bar = string.find(member, '|', 1, true)
  local id, principal = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  local leg = redis.call('HMGET', P .. 'L:' .. id, 's', 'fp')
  redis.call('DEL', P .. 'L:' .. id, P .. 'A:' .. id)
  if leg[1] then
    local skey = P .. 'S:' .. #principal .. ':' .. principal .. ':' .. leg[1]
    if redis.call('GET', skey) == id then redis.call('DEL', skey) end
  end
  if leg[2] and leg[2] ~= '' and redis.call('GET', P .. 'F:' .. leg[2]) == id then redis.call('DEL', P .. 'F:' .. leg[2]) end
  if redis.call('ZREM', P .. 'legs', member) == 1 then
    if tonumber(redis.call('ZINCRBY', P .. 'held', -1, principal)) <= 0 then redis.call('ZREM', P .. 'held', principal) end
  end
  redis.call('ZREM', P .. 'P:' .. principal, id)
end
`;

/**
 * Writes an A-leg (merging: last seen and `[first]` only grow, the newest affinity change wins,
 * `q` is left to ATTEMPT), refreshes its lookups and expiry, sweeps expired A-legs from the
 * indexes and evicts past `max_legs` by fair share (never the A-leg being written).
 * ARGV: 1 prefix, 2 now, 3 max_legs, 4 a_leg_id, 5 principal, 6 session id, 7 created,
 * 8 last seen, 9 first consumed (0/1), 10 fingerprint or '', 11 affinity key or '',
 * 12 bound at, 13 affinity changed at (0: never), 14 lifetime ms. Returns the last seq.
 */
export const LEG_LUA = `${DROP_LEG}
local now = tonumber(ARGV[2])
local id, principal = ARGV[4], ARGV[5]
local key = P .. 'L:' .. id
local member = id .. '|' .. principal
local old = redis.call('HMGET', key, 'l', 'ac', 'q')
local seen = tonumber(ARGV[8])
if old[1] and tonumber(old[1]) > seen then seen = tonumber(old[1]) end
local expiry = seen + tonumber(ARGV[14])
if expiry <= now then
  dropLeg(member)
  return 0
end
redis.call('HSET', key, 'p', principal, 's', ARGV[6], 'c', ARGV[7], 'l', string.format('%d', seen), 'fp', ARGV[10])
if ARGV[9] == '1' then redis.call('HSET', key, 'f', '1') end
local changed = tonumber(ARGV[13])
if changed > 0 and changed >= tonumber(old[2] or '0') then redis.call('HSET', key, 'ak', ARGV[11], 'ab', ARGV[12], 'ac', ARGV[13]) end
local ttl = expiry - now
redis.call('PEXPIRE', key, ttl)
redis.call('PEXPIRE', P .. 'A:' .. id, ttl)
redis.call('SET', P .. 'S:' .. #principal .. ':' .. principal .. ':' .. ARGV[6], id, 'PX', ttl)
if ARGV[10] ~= '' then redis.call('SET', P .. 'F:' .. ARGV[10], id, 'PX', ttl) end
if redis.call('ZADD', P .. 'legs', expiry, member) == 1 then redis.call('ZINCRBY', P .. 'held', 1, principal) end
redis.call('ZADD', P .. 'P:' .. principal, seen, id)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', P .. 'legs', '-inf', now, 'LIMIT', 0, 64)) do dropLeg(gone) end
local max = tonumber(ARGV[3])
for _ = 1, 16 do
  if redis.call('ZCARD', P .. 'legs') <= max then break end
  local top = redis.call('ZREVRANGE', P .. 'held', 0, 0, 'WITHSCORES')
  if #top == 0 then break end
  local victim, victimSeen
  for _, holder in ipairs(redis.call('ZRANGEBYSCORE', P .. 'held', top[2], top[2], 'LIMIT', 0, 32)) do
    local heads = redis.call('ZRANGE', P .. 'P:' .. holder, 0, 1, 'WITHSCORES')
    for i = 1, #heads, 2 do
      if heads[i] ~= id then
        if not victim or tonumber(heads[i + 1]) < victimSeen then victim, victimSeen = heads[i] .. '|' .. holder, tonumber(heads[i + 1]) end
        break
      end
    end
  end
  if not victim then break end
  dropLeg(victim)
end
return tonumber(old[3] or '0')
`;

/**
 * Deletes an A-leg that expired, unless another instance saw it since.
 * ARGV: 1 prefix, 2 now, 3 a_leg_id, 4 principal, 5 lifetime ms.
 */
export const RETIRE_LUA = `${DROP_LEG}
local seen = redis.call('HGET', P .. 'L:' .. ARGV[3], 'l')
if seen and tonumber(seen) + tonumber(ARGV[5]) > tonumber(ARGV[2]) then return 0 end
dropLeg(ARGV[3] .. '|' .. ARGV[4])
return 1
`;

/**
 * Writes an attempt row; its first write allocates the seq (HINCRBY on the A-leg) and drops
 * the row `max per leg` seqs older. ARGV: 1 prefix, 2 a_leg_id, 3 b_leg_id, 4 row JSON,
 * 5 max rows per A-leg, 6 lifetime ms (used when the A-leg hash has no expiry). Returns the seq.
 */
export const ATTEMPT_LUA = `
local P = ARGV[1]
local leg, att, b = P .. 'L:' .. ARGV[2], P .. 'A:' .. ARGV[2], ARGV[3]
local seq = redis.call('HGET', att, 's:' .. b)
if not seq then
  seq = redis.call('HINCRBY', leg, 'q', 1)
  redis.call('HSET', att, 's:' .. b, seq, 'q:' .. seq, b)
  local old = tonumber(seq) - tonumber(ARGV[5])
  if old > 0 then
    local gone = redis.call('HGET', att, 'q:' .. old)
    if gone then redis.call('HDEL', att, 'q:' .. old, 's:' .. gone, 'r:' .. gone) end
  end
end
redis.call('HSET', att, 'r:' .. b, ARGV[4])
local ttl = redis.call('PTTL', leg)
if ttl < 0 then
  ttl = tonumber(ARGV[6])
  redis.call('PEXPIRE', leg, ttl)
end
redis.call('PEXPIRE', att, ttl)
return tonumber(seq)
`;

/**
 * Stores a response and keeps its ancestors as long as it (walking `prev` while an ancestor is
 * kept for less). ARGV: 1 prefix, 2 response_id, 3 row JSON, 4 previous id or '', 5 created,
 * 6 ttl ms, 7 now, 8 longest walk.
 */
export const RESPONSE_LUA = `
local P = ARGV[1]
local created, ttl, now = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local key = P .. 'R:' .. ARGV[2]
local kept = math.max(created, tonumber(redis.call('HGET', key, 'k') or '0'))
if kept + ttl <= now then return 0 end
redis.call('HSET', key, 'row', ARGV[3], 'prev', ARGV[4], 'k', string.format('%d', kept))
redis.call('PEXPIRE', key, kept + ttl - now)
local parent, steps = ARGV[4], 0
while parent ~= '' and steps < tonumber(ARGV[8]) do
  local pkey = P .. 'R:' .. parent
  local k = redis.call('HGET', pkey, 'k')
  if not k or tonumber(k) >= created then break end
  redis.call('HSET', pkey, 'k', ARGV[5])
  redis.call('PEXPIRE', pkey, created + ttl - now)
  parent = redis.call('HGET', pkey, 'prev') or ''
  steps = steps + 1
end
return 1
`;

/**
 * Deletes a response, leaving its tombstone for ttl (its continuations keep their own rows and
 * `prev`; the chain through it now ends there). ARGV: 1 prefix, 2 response_id, 3 ttl ms.
 */
export const FORGET_LUA = `
local key = ARGV[1] .. 'R:' .. ARGV[2]
redis.call('DEL', key)
redis.call('HSET', key, 'gone', '1')
redis.call('PEXPIRE', key, tonumber(ARGV[3]))
return 1
`;

/**
 * A stored conversation: the response and its ancestors, newest first, as `row, k` pairs,
 * up to the first one missing or already read (a cycle); one deleted ends it with `'', its id`
 * (its tombstone). ARGV: 1 prefix, 2 response_id, 3 longest chain.
 */
export const CHAIN_LUA = `
local P = ARGV[1]
local out, id, n, seen = {}, ARGV[2], 0, {}
while id ~= '' and n < tonumber(ARGV[3]) and not seen[id] do
  seen[id] = true
  local h = redis.call('HMGET', P .. 'R:' .. id, 'row', 'k', 'prev', 'gone')
  if not h[1] then
    if h[4] then
      out[#out + 1] = ''
      out[#out + 1] = id
    end
    break
  end
  out[#out + 1] = h[1]
  out[#out + 1] = h[2]
  id = h[3] or ''
  n = n + 1
end
return out
`;

/**
 * What a request names, in one round trip: the A-leg of a fingerprint and of a session, then
 * each A-leg's fields. ARGV: 1 prefix, 2 fingerprint or '', 3 session lookup key suffix or '',
 * 4 the fingerprint key the caller computed the fingerprint with (base64) or '', 5.. A-leg ids.
 * With a key, the shared fingerprint key is read and, when Redis has none (it lost its data),
 * set to the caller's, as KEY_LUA does; when it is another, the fingerprint is not looked up.
 * Returns `[fingerprint's id or '', session's id or '', shared key or '', id, p, s, c, l, f,
 * fp, ak, ab, ac, q, id, ...]` (an A-leg that is gone has no entry).
 */
export const LOAD_LUA = `
local P = ARGV[1]
local key = false
if ARGV[4] ~= '' then
  key = redis.call('GET', P .. 'fpkey')
  if not key then
    redis.call('SET', P .. 'fpkey', ARGV[4])
    key = ARGV[4]
  end
end
local byFp = ARGV[2] ~= '' and (not key or key == ARGV[4]) and redis.call('GET', P .. 'F:' .. ARGV[2]) or false
local bySession = ARGV[3] ~= '' and redis.call('GET', P .. 'S:' .. ARGV[3]) or false
local out = { byFp or '', bySession or '', key or '' }
local ids, seen = {}, {}
if byFp then ids[#ids + 1] = byFp end
if bySession then ids[#ids + 1] = bySession end
for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end
for _, id in ipairs(ids) do
  if not seen[id] then
    seen[id] = true
    local h = redis.call('HMGET', P .. 'L:' .. id, 'p', 's', 'c', 'l', 'f', 'fp', 'ak', 'ab', 'ac', 'q')
    if h[1] and h[2] and h[4] then
      out[#out + 1] = id
      for j = 1, 10 do out[#out + 1] = h[j] or '' end
    end
  end
end
return out
`;

/** The shared fingerprint key: the stored one, or ARGV[2] when none is stored yet. ARGV: 1 key name, 2 candidate. */
export const KEY_LUA = `
local current = redis.call('GET', ARGV[1])
if current then return current end
redis.call('SET', ARGV[1], ARGV[2])
return ARGV[2]
`;

/** Releases an `exclusive` lock if this instance still holds it. ARGV: 1 lock key, 2 the holder's token. */
export const UNLOCK_LUA = `
if redis.call('GET', ARGV[1]) == ARGV[2] then return redis.call('DEL', ARGV[1]) end
return 0
`;
