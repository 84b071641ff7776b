-- wrk script for bench/: shakes spread over the shopper tokens, or the trivial endpoint.
--   wrk -s bench/wrk_shake.lua URL -- shake ROUND_ID TOKENS_FILE
--   wrk -s bench/wrk_shake.lua URL -- healthz
-- Every request of a shake run carries a shake_id of its own ("w<thread>-<n>-r<round>"), and
-- the tokens are taken in turn (each thread from its own offset). response() counts statuses
-- per thread; done() adds them up and prints one line "WRK_JSON {...}" that bench/wrk.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  mode = args[1] or "healthz"
  statuses = {}
  n = 0
  tokens = {}
  if mode == "shake" then
    round_id = args[2]
    for line in io.lines(args[3]) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
    path = "/api/v1/shake-rounds/" .. round_id .. "/shakes"
    offset = (tid - 1) * 7919
  end
end

function request()
  n = n + 1
  if mode ~= "shake" then
    return wrk.format("GET", "/api/v1/healthz")
  end
  local token = tokens[((offset + n) % #tokens) + 1]
  local body = '{"shake_id":"w' .. tid .. "-" .. n .. "-r" .. round_id .. '"}'
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                   ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses") or {}
    for status, count in pairs(counted) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, table.concat(parts, ",")))
end
