-- wrk driver for bench/api_load.py (--driver wrk): POSTs pre-generated operation bodies
-- round-robin. Each line of BODIES is "<key index>\t<json>"; KEYS holds one API key a line.
-- Every thread takes every n-th body (n = threads), so no body is posted twice before all were.
local bodies_path = os.getenv("DECONFLICT_WRK_BODIES")
local keys_path = os.getenv("DECONFLICT_WRK_KEYS")
local watcher = os.getenv("DECONFLICT_WRK_WATCHER") or "Range Control"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local keys = {}
  for line in io.lines(keys_path) do table.insert(keys, line) end
  local nthreads = tonumber(os.getenv("DECONFLICT_WRK_THREADS") or "1")
  requests_ = {}
  local i = 0
  for line in io.lines(bodies_path) do
    if i % nthreads == tid then
      local k, body = line:match("^(%d+)\t(.*)$")
      local headers = {
        ["Authorization"] = "Bearer " .. keys[tonumber(k) + 1],
        ["Content-Type"] = "application/json",
      }
      table.insert(requests_, wrk.format("POST", "/v1/operations", headers, body))
    end
    i = i + 1
  end
  next_ = 1
  statuses = {}
  watched = 0
  conflicts = 0
end

function request()
  local r = requests_[next_]
  next_ = next_ % #requests_ + 1
  return r
end

local needle = '"other_party":"' .. watcher .. '"'

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local start = 1
    while true do
      local a, b = body:find('"other_party":"', start, true)
      if not a then break end
      conflicts = conflicts + 1
      if body:sub(a, a + #needle - 1) == needle then watched = watched + 1 end
      start = b + 1
    end
  end
end

function done(summary, latency, requests)
  local st, w, c = {}, 0, 0
  for _, t in ipairs(threads) do
    w = w + t:get("watched")
    c = c + t:get("conflicts")
    for s, n in pairs(t:get("statuses")) do st[s] = (st[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(st) do table.insert(parts, string.format('"%d":%d', s, n)) end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"status_errors":%d,"statuses":{%s},"conflicts":%d,' ..
    '"watched":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, table.concat(parts, ","), c, w))
end
