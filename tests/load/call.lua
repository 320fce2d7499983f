-- wrk script: POST one MCP tools/call per request (stateless JSON) and count
-- as an error every answer that is not a successful tool result: a non-200
-- status, a JSON-RPC error, or a result with isError true. A successful result
-- ends with `"isError":false}}` (rmcp writes isError last), so only the tail of
-- each body is looked at, which keeps the load generator's own CPU small.
-- Environment: TOOL (tool name), ARGS (JSON arguments object).
local tool = os.getenv("TOOL") or "list_groups"
local args = os.getenv("ARGS") or "{}"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"' .. tool .. '","arguments":' .. args .. '}}'

-- A global, not a local: done() reads it from each thread with thread:get().
errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local ok_tail = '"isError":false}}'

function response(status, headers, body)
  if status ~= 200 or string.sub(body, -#ok_tail) ~= ok_tail then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e + socket + summary.errors.status))
end
