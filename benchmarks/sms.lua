-- wrk script for Callwright's SMS webhook: POST /api/v1/channels/sms, signed, a new contact each.
-- The requests are written beforehand by benchmarks/sms_requests.py (wrk's Lua has no HMAC): run
-- `wrk ... -s sms.lua URL -- PREFIX`; thread n reads PREFIX-n.txt, one `signature<TAB>body` a
-- line. A thread that runs out starts its list again: those requests are redeliveries (200,
-- nothing runs), counted as "wrapped" in the WRKJSON line, which must then be discarded.
local threads = {}
local count = 0
local reqs = {}
local idx = 0
wrapped = 0

setup = function(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

init = function(args)
  local file = assert(io.open(args[1] .. "-" .. tid .. ".txt", "r"))
  for line in file:lines() do
    local signature, body = line:match("^([^\t]+)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/json", ["X-Callwright-Signature"] = signature }, body)
  end
  file:close()
end

request = function()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
    wrapped = wrapped + 1
  end
  return reqs[idx]
end

done = function(summary, latency, requests)
  local e = summary.errors
  local laps = 0
  for _, thread in ipairs(threads) do
    laps = laps + thread:get("wrapped")
  end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"mean_ms":%.3f,"max_ms":%.3f,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,' ..
    '"err_timeout":%d,"wrapped":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, laps))
end
