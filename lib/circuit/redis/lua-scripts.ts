/**
 * The Redis side of the circuit state machine: Lua scripts that port `transitions.ts` line by
 * line, so each transition is one atomic step in Redis, whichever instance runs it. Every
 * script that changes a circuit also bumps the store's version counter and PUBLISHes the new
 * record in the same step. Subscribers therefore see changes in exactly the order Redis made
 * them. The shared store suite runs the same cases against these scripts and the memory store.
 *
 * Layout (prefix = `redis.key_prefix`, e.g. `lip:`):
 * * `<prefix>circuit:<candidate key>`: hash `s f o p w u` (state, failures, openedAt, probes,
 *   probeWindowAt, updatedAt), PEXPIREd `keyTtlMs` after each change. No hash means closed and
 *   clean: a success deletes the hash.
 * * `<prefix>circuits`: set of candidate keys that have a hash (pruned when listing), same TTL.
 *   It holds at most `maxKeys` (ARGV 10): a failure (or a merge) that would start a circuit past
 *   them first prunes members whose hash expired, from a sample of 16, and when that makes no
 *   room starts nothing and answers `full` (`[version, "full"]`): clients choose candidates
 *   (a model that does not exist is a 404, a failure), and each started one hash.
 * * `<prefix>circuits:version`: the version counter (one integer, never expires). A missing
 *   counter (a Redis restarted empty, a FLUSHALL) is re-seeded by the first script to run (LIST
 *   included) with the larger of the server's time in microseconds and one more than the
 *   highest version the calling instance has seen, and that script announces it:
 *   `{"emptied": "version"}` on the channel, upon which every instance pushes back the circuits
 *   it holds open or half-open.
 * * `<prefix>circuits:version:epoch`: the seed of the current counter (written with it, never
 *   expires), returned by LIST. The announcement alone does not reach every instance: one that
 *   resubscribes after it was published misses it, and one subscribed hears it on another
 *   connection than its listing's reply, so possibly after that reply. An instance whose last
 *   news is older than the epoch knows from the listing itself that the store lost its data
 *   since (CircuitMirror.predates). Missing (a counter seeded by an older lip): 0, unknown.
 *   The counter grows by one per change, and Redis cannot make a million changes a second,
 *   so it never runs ahead of the microsecond clock: a re-seed is above every version handed
 *   out before, for every instance, and a breaker never mistakes new news for old. (Seeding
 *   from milliseconds did repeat versions: a thousand changes within a second of the seed
 *   outran the clock.) Versions stay below 2^53 until the year 2255.
 * * channel `<prefix>circuits:changes`: JSON `[key, "version", origin, op, s, f, o, p, w, u]`,
 *   or `[key, "version", origin, op]` when the circuit became closed and clean. The version is
 *   a string: Redis's cjson writes numbers with 14 significant digits, too few for it.
 *
 * Common KEYS: 1 the version counter, 2 the key set, 3.. the hashes. Common ARGV: 1 channel,
 * 2 origin, 3 op id, 4 now, 5 ttl ms, 6 failure threshold, 7 open_for ms, 8 half-open probes,
 * 9 the highest version the caller has seen, 10 the most circuits the store holds; then the
 * script's own arguments.
 *
 * `LIST` computes key names (hash names from the set) and the keys of one call do not share a
 * hash slot, so the scripts suit a single Redis (or a Sentinel-managed primary), not Redis
 * Cluster.
 */

/**
 * Re-seeds a missing version counter, records the seed as its epoch (the counter's name plus
 * `:epoch`) and announces it. Arguments: the counter, the channel, the highest version the
 * caller has seen.
 */
const RESEED = `
local function reseed(counter, channel, seen)
  if redis.call('GET', counter) then return end
  local t = redis.call('TIME')
  local seed = string.format('%d', math.max(tonumber(t[1]) * 1000000 + tonumber(t[2]), tonumber(seen) + 1))
  redis.call('SET', counter, seed)
  redis.call('SET', counter .. ':epoch', seed)
  redis.call('PUBLISH', channel, cjson.encode({ emptied = seed }))
end
`;

const PRELUDE = `${RESEED}
local now = tonumber(ARGV[4])
reseed(KEYS[1], ARGV[1], ARGV[9])
local function load(hash)
  local h = redis.call('HMGET', hash, 's', 'f', 'o', 'p', 'w', 'u')
  if not h[1] then return nil end
  return { s = h[1], f = tonumber(h[2]), o = tonumber(h[3]), p = tonumber(h[4]), w = tonumber(h[5]), u = tonumber(h[6]) }
end
local function reply(version, r)
  if not r then return { version } end
  return { version, r.s, r.f, r.o, r.p, r.w, r.u }
end
local function current(r)
  return reply(tonumber(redis.call('GET', KEYS[1]) or '0'), r)
end
local function nextVersion()
  return redis.call('INCR', KEYS[1])
end
local function announce(key, version, r)
  local v = string.format('%d', version)
  if not r then
    redis.call('PUBLISH', ARGV[1], cjson.encode({ key, v, ARGV[2], tonumber(ARGV[3]) }))
  else
    redis.call('PUBLISH', ARGV[1], cjson.encode({ key, v, ARGV[2], tonumber(ARGV[3]), r.s, r.f, r.o, r.p, r.w, r.u }))
  end
end
local function full()
  return { tonumber(redis.call('GET', KEYS[1]) or '0'), 'full' }
end
-- Whether a new circuit may start: under the bound, or under it once the members of a sample
-- whose hash expired are pruned (the key's hash name ends with the key: the rest is the prefix).
local function room(hash, key)
  local most = tonumber(ARGV[10])
  if redis.call('SCARD', KEYS[2]) < most then return true end
  local rows = string.sub(hash, 1, #hash - #key)
  for _, member in ipairs(redis.call('SRANDMEMBER', KEYS[2], 16)) do
    if redis.call('EXISTS', rows .. member) == 0 then redis.call('SREM', KEYS[2], member) end
  end
  return redis.call('SCARD', KEYS[2]) < most
end
local function store(hash, key, r)
  local version = nextVersion()
  if (not r) or (r.s == 'closed' and r.f == 0) then
    redis.call('DEL', hash)
    redis.call('SREM', KEYS[2], key)
    announce(key, version, nil)
    return reply(version, nil)
  end
  redis.call('HSET', hash, 's', r.s, 'f', r.f, 'o', r.o, 'p', r.p, 'w', r.w, 'u', r.u)
  redis.call('PEXPIRE', hash, ARGV[5])
  redis.call('SADD', KEYS[2], key)
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  announce(key, version, r)
  return reply(version, r)
end
`;

/** ARGV 11 candidate key. Reply: `[verdict (0 allow, 1 probe, 2 refuse), retryAfterMs, state, version, ...record]`. */
export const ADMIT_LUA = `${PRELUDE}
local key = ARGV[11]
local openFor = tonumber(ARGV[7])
local r = load(KEYS[3])
if (not r) or r.s == 'closed' then
  return { 0, 0, 'closed', unpack(current(r)) }
end
if r.s == 'open' then
  local reopens = r.o + openFor
  if now < reopens then return { 2, reopens - now, 'open', unpack(current(r)) } end
  r.s = 'half_open'; r.p = 0; r.w = now; r.u = now
end
if now >= r.w + openFor then r.p = 0; r.w = now; r.u = now end
if r.p >= tonumber(ARGV[8]) then
  return { 2, r.w + openFor - now, 'half_open', unpack(current(r)) }
end
r.p = r.p + 1; r.u = now
return { 1, 0, 'half_open', unpack(store(KEYS[3], key, r)) }
`;

/**
 * ARGV 11 candidate key, 12 outcome, 13 probe ('1' or '0'). Reply: `[version, ...record]`, or
 * `[version, "full"]` for a new circuit past the bound.
 */
export const RECORD_LUA = `${PRELUDE}
local key = ARGV[11]
local outcome = ARGV[12]
local r = load(KEYS[3])
if outcome == 'failure' then
  if not r then
    if not room(KEYS[3], key) then return full() end
    r = { s = 'closed', f = 0, o = 0, p = 0, w = 0, u = now }
  end
  local f = r.f + 1
  if r.s == 'half_open' or (r.s == 'closed' and f >= tonumber(ARGV[6])) then
    return store(KEYS[3], key, { s = 'open', f = f, o = now, p = 0, w = 0, u = now })
  end
  r.f = f; r.u = now
  return store(KEYS[3], key, r)
end
if not r then return current(nil) end
if outcome == 'success' then
  if r.s == 'half_open' or (r.s == 'closed' and r.f > 0) then return store(KEYS[3], key, nil) end
  return current(r)
end
if ARGV[13] == '1' and r.s == 'half_open' and r.p > 0 then
  r.p = r.p - 1; r.u = now
  return store(KEYS[3], key, r)
end
return current(r)
`;

/**
 * Resynchronisation of many circuits in one call: KEYS 3.. the hashes, ARGV 11.. seven per hash
 * (candidate key, s f o p w u of the local record). Each keeps the survivor of `mergedOf()`
 * (`transitions.ts`): of two records in the same class (open or half-open; closed), the one
 * updated last, on a tie the stored one; of an open or half-open record and a closed one, the
 * open one unless the closed one is clean (a recovery) and newer. Each survivor is announced.
 * Reply: one `[version, ...record]` per hash, in order; `[version, "full"]` for a circuit Redis
 * lacks, past the bound (not started).
 */
export const MERGE_LUA = `${PRELUDE}
local function wins(l, r)
  if not r then return true end
  local lc = l.s == 'closed'
  if lc == (r.s == 'closed') then return l.u > r.u end
  if lc then return l.f == 0 and l.u > r.u end
  return not (r.f == 0 and r.u > l.u)
end
local out = {}
for i = 3, #KEYS do
  local a = 11 + (i - 3) * 7
  local key = ARGV[a]
  local l = { s = ARGV[a + 1], f = tonumber(ARGV[a + 2]), o = tonumber(ARGV[a + 3]), p = tonumber(ARGV[a + 4]), w = tonumber(ARGV[a + 5]), u = tonumber(ARGV[a + 6]) }
  local r = load(KEYS[i])
  if (not r) and not (l.s == 'closed' and l.f == 0) and not room(KEYS[i], key) then
    out[#out + 1] = full()
  elseif wins(l, r) then
    out[#out + 1] = store(KEYS[i], key, l)
  else
    local version = nextVersion()
    announce(key, version, r)
    out[#out + 1] = reply(version, r)
  end
end
return out
`;

/**
 * One page of the listing: KEYS 1 the version counter, 2 the key set; ARGV 1 the hash name
 * prefix, 2 channel, 3 the highest version the caller has seen (for a re-seed), 4 the SSCAN
 * cursor ('0' to start), 5 the page size (SSCAN's COUNT). Reply: `[version, epoch, cursor, key,
 * s, f, o, p, w, u, key, ...]`, cursor '0' on the last page; set members whose hash expired are
 * pruned. The version is the counter as found: 0 when it was missing (re-seeded and announced
 * here), so the caller sees that the store lost what it knew (CircuitMirror.predates). The epoch
 * is the counter's seed (0 when not recorded): newer than the caller's last news, it says the
 * same to the callers that come after. A page reads a bounded part of the set: one call over
 * every member took seconds with 13,000 circuits, past the command timeout.
 */
export const LIST_LUA = `${RESEED}
local out = { tonumber(redis.call('GET', KEYS[1]) or '0') }
reseed(KEYS[1], ARGV[2], ARGV[3])
out[2] = tonumber(redis.call('GET', KEYS[1] .. ':epoch') or '0')
local page = redis.call('SSCAN', KEYS[2], ARGV[4], 'COUNT', ARGV[5])
out[3] = page[1]
for _, key in ipairs(page[2]) do
  local h = redis.call('HMGET', ARGV[1] .. key, 's', 'f', 'o', 'p', 'w', 'u')
  if h[1] then
    out[#out + 1] = key
    for i = 1, 6 do out[#out + 1] = h[i] end
  else
    redis.call('SREM', KEYS[2], key)
  end
end
return out
`;
