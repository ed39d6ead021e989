-- wrk script: POSTs GraphQL request bodies to the URL given on the command line.
--
-- BENCH_BODIES names a file holding one JSON request body per line; each connection
-- thread cycles through them (a single line = the same request every time).
-- At the end it prints one line "BENCH_JSON {...}" with requests, duration, errors and
-- latency percentiles (microseconds), which bench/benchlib.py parses.

local bodies = {}
local next_body = 1

local function load_bodies()
  local path = os.getenv("BENCH_BODIES")
  if not path then
    error("BENCH_BODIES is not set")
  end
  for line in io.lines(path) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  if #bodies == 0 then
    error("no request body in " .. path)
  end
end

load_bodies()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local requests = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count)
end

function init(args)
  -- Pre-format every request once per thread; offset threads so they do not march in step.
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format(nil, nil, nil, body)
  end
  next_body = 1 + ((tonumber(offset) or 0) * 7) % #requests
end

function request()
  local r = requests[next_body]
  next_body = next_body + 1
  if next_body > #requests then
    next_body = 1
  end
  return r
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
