-- wrk script for tests/load/soak.sh: a mix of reads and confirmed writes.
-- Of every 10 requests a thread starts: 4 list_groups, 3 get_group, 2
-- get_user, 1 create_access_request of protocol 2026-07-28, which answers
-- `input_required` with a requestState; the thread's next request is then the
-- confirmed retry (the write). Counted: errors (a non-200, a JSON-RPC error, an
-- isError result) and writes (confirmed retries that filed a request).
local GROUP = "00gTz3sHWqgF4SvtmZt0"
local META = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
  '"io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}},' ..
  '"io.modelcontextprotocol/clientInfo":{"name":"soak","version":"0"}}'
local WRITE_ARGS = '{"group_id":"' .. GROUP .. '","reason":"soak"}'

local reads = {
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_groups","arguments":{"size":20}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_group","arguments":{"group_id_or_name":"' .. GROUP .. '"}}}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id_or_email":"00uwumpus000000000001"}}}',
}
local plain = {["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream"}
local v2026 = {
  ["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream",
  ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "tools/call", ["Mcp-Name"] = "create_access_request",
}

errors = 0
writes = 0
local n = 0
local confirm = {}
-- SOAK_WRITES=0: reads only (the write's slot becomes a list_groups).
local with_writes = os.getenv("SOAK_WRITES") ~= "0"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  local state = table.remove(confirm)
  if state then
    return wrk.format("POST", nil, v2026,
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_access_request","arguments":' ..
      WRITE_ARGS .. ',"requestState":"' .. state ..
      '","inputResponses":{"confirm_write":{"action":"accept","content":{"confirm":true}}},' .. META .. '}}')
  end
  n = n + 1
  local k = n % 10
  if k == 0 and with_writes then
    return wrk.format("POST", nil, v2026,
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_access_request","arguments":' ..
      WRITE_ARGS .. ',' .. META .. '}}')
  elseif k <= 4 then
    return wrk.format("POST", nil, plain, reads[1])
  elseif k <= 7 then
    return wrk.format("POST", nil, plain, reads[2])
  end
  return wrk.format("POST", nil, plain, reads[3])
end

local debug = os.getenv("SOAK_DEBUG")

local function failed(status, body)
  errors = errors + 1
  if debug then io.stderr:write("ERROR " .. status .. " " .. string.sub(body, 1, 300) .. "\n") end
end

function response(status, headers, body)
  if status ~= 200 then
    failed(status, body)
    return
  end
  local state = string.match(body, '"requestState":"([^"]+)"')
  if state then
    table.insert(confirm, state)
  elseif string.find(body, '"isError":true', 1, true) or string.find(body, '"error":{', 1, true) then
    failed(status, body)
  elseif string.find(body, '"status":"PENDING"', 1, true) then
    writes = writes + 1
  end
end

function done(summary, latency, requests)
  local e, w = 0, 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
    w = w + (t:get("writes") or 0)
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d errors=%d writes=%d socket=%d/%d/%d/%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e + socket + summary.errors.status, w, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
