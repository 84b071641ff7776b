-- One shake, decided atomically inside Redis (engine.py runs it; decision.py reads its reply).
--
-- KEYS: 1 answer (this shopper's shake_id), 2 shakes per shopper (hash), 3 wins per shopper
--       (hash), 4 prizes awarded per round prize (hash), 5 the shake log (stream), 6 the
--       compounds this shopper is known to count as in (a set, from the database), 7 the
--       compound this shopper shakes in for the round's campaign on the round's day (a string)
-- ARGV: 1 shopper_id, 2 shake_id, 3 round_id, 4 refusal (answer JSON, or ""),
--       5 limit refusal (answer JSON), 6 shakes_per_shopper, 7 wins_per_shopper, 8 seconds the
--       round's keys live, 9 seconds an answer lives, 10 the round's compound, to look for in
--       key 6 ("": the caller knows the shopper counts as in it), 11 seconds refusal 4 is kept
--       (0: not kept), 12 seconds the refusals decided here are kept, 13 the round's compound,
--       14 seconds key 7 lives, 15 the refusal of a shake in a second compound that day (answer
--       JSON), then, when the shake's number fell in a prize line's share (the caller computes
--       it from the round's seed: Lua has no HMAC), four values of that line:
--       16 round_prize_id, 17 stock, 18 released now, 19 awarded in the database
--
-- Returns {"replay", stored} | {"answer", stored} | {"win", round_prize_id, shakes used} |
-- {"residence"} (nothing done: key 6 does not hold the compound, ask the database).
-- A stored answer is JSON {"status": n, "body": {...}}, {"lose": shakes_left}, or, for a win
-- being recorded in the database, {"pending": round_prize_id, "used": n} (decision.py).
local answer_key, shakes_key, wins_key, awarded_key, log_key, resident_key, day_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local shopper, shake_id, round_id, refusal, limit_refusal = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local shakes_limit, wins_limit = tonumber(ARGV[6]), tonumber(ARGV[7])
local keys_ttl, answer_ttl, compound = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local refusal_ttl, refused_ttl = tonumber(ARGV[11]), tonumber(ARGV[12])
local round_compound, day_ttl, elsewhere_refusal = ARGV[13], tonumber(ARGV[14]), ARGV[15]

-- A refusal is kept briefly (a client's retries), or not at all: a flood of fresh shake_ids
-- must not fill Redis.
local function refuse(answer, ttl)
  if ttl > 0 then
    redis.call("SET", answer_key, answer, "EX", ttl)
  end
  return {"answer", answer}
end

local stored = redis.call("GET", answer_key)
if stored then
  return {"replay", stored}
end
if refusal ~= "" then
  return refuse(refusal, refusal_ttl)
end

if compound ~= "" and redis.call("SISMEMBER", resident_key, compound) == 0 then
  return {"residence"}
end

local counted = redis.call("HGET", shakes_key, shopper)
local used = tonumber(counted or "0") + 1
if used > shakes_limit then
  return refuse(limit_refusal, refused_ttl)
end
if not counted then -- the shopper's first shake here: one compound a campaign and day (rules.py)
  local claimed = redis.call("GET", day_key)
  if not claimed then
    redis.call("SET", day_key, round_compound, "EX", day_ttl)
  elseif claimed ~= round_compound then
    return refuse(elsewhere_refusal, refused_ttl)
  end
end
redis.call("HSET", shakes_key, shopper, used)
if not counted then -- the shopper's first shake here (the key may be new): it lives keys_ttl
  redis.call("EXPIRE", shakes_key, keys_ttl)
end

if #ARGV >= 19 and tonumber(redis.call("HGET", wins_key, shopper) or "0") < wins_limit then
  local line = ARGV[16]
  redis.call("HSETNX", awarded_key, line, ARGV[19])
  local awarded = tonumber(redis.call("HGET", awarded_key, line))
  if awarded < tonumber(ARGV[17]) and awarded < tonumber(ARGV[18]) then
    redis.call("HINCRBY", awarded_key, line, 1)
    redis.call("HINCRBY", wins_key, shopper, 1)
    redis.call("EXPIRE", awarded_key, keys_ttl)
    redis.call("EXPIRE", wins_key, keys_ttl)
    redis.call("SET", answer_key, cjson.encode({pending = tonumber(line), used = used}), "EX", answer_ttl)
    return {"win", line, used}
  end
end

local answer = cjson.encode({lose = math.max(shakes_limit - used, 0)})
redis.call("SET", answer_key, answer, "EX", answer_ttl)
redis.call("XADD", log_key, "*", "round", round_id, "shopper", shopper, "shake_id", shake_id, "used", used)
return {"answer", answer}
