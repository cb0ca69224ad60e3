-- wrk script for benchmarks/cpu_costs.py: a fixed number of requests, not a fixed time.
--
-- $CPU_BENCH_REQUESTS names a file of request lines "METHOD PATH [BODY]"; thread i of
-- $CPU_BENCH_THREADS takes lines i, i+n, i+2n, ... and stops after $CPU_BENCH_PER_THREAD
-- responses. The file holds more lines than are answered, so the requests still in flight when
-- a thread stops are distinct too. done() prints how many requests were sent (the server
-- served those, answered or not), how many answered, and their X-Cache headers and statuses.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("CPU_BENCH_THREADS"))
  local headers = {}
  local auth = os.getenv("CPU_BENCH_AUTH")
  if auth and auth ~= "" then
    headers["Authorization"] = auth
  end
  headers["Content-Type"] = "application/json"
  quota = tonumber(os.getenv("CPU_BENCH_PER_THREAD"))
  lines = {}
  local index = 0
  for line in io.lines(os.getenv("CPU_BENCH_REQUESTS")) do
    if index % count == id then
      local method, path, body = line:match("^(%S+) (%S+) ?(.*)$")
      if body == "" then body = nil end
      table.insert(lines, wrk.format(method, path, headers, body))
    end
    index = index + 1
  end
  sent, answered, hits, misses, bad = 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  return lines[((sent - 1) % #lines) + 1]
end

function response(status, headers, body)
  answered = answered + 1
  local cache = headers["X-Cache"] or headers["x-cache"]
  if cache == "HIT" then hits = hits + 1 elseif cache == "MISS" then misses = misses + 1 end
  if status >= 300 then bad = bad + 1 end
  if answered >= quota then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local totals = {sent = 0, answered = 0, hits = 0, misses = 0, bad = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  io.write(string.format("FIXED sent=%d answered=%d hits=%d misses=%d bad=%d\n",
    totals.sent, totals.answered, totals.hits, totals.misses, totals.bad))
end
