-- wrk script for Callwright's web chat: POST /api/v1/chat/<flow>/messages, one new session per request.
-- Rotates round-robin over the same three texts as the Node-RED peer's chat.lua (balance, agent,
-- fallback). A body without "session" starts a session whose trigger is the text; the flow answers
-- and then waits in a menu, so that session is saved (the "agent" text transfers and ends instead).
-- At the end prints one machine-readable line starting with "WRKJSON " (same fields as the peer's).
local bodies = {
  '{"text":"what is my balance"}',
  '{"text":"I want to talk to an agent"}',
  '{"text":"hello there"}',
}
local reqs = {}
local idx = 0

init = function(args)
  for i = 1, #bodies do
    reqs[i] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[i])
  end
end

request = function()
  idx = idx % #reqs + 1
  return reqs[idx]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"mean_ms":%.3f,"max_ms":%.3f,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
