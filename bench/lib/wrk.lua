-- wrk script for the benchmarks: an optional body per request, taken in turn from the file named
-- by WRK_BODIES (one per line; each wrk thread starts at its own offset), and a JSON summary line
-- at the end for bench/lib/wrk.ts. Method and headers come from the command line (-H) and WRK_METHOD.
local bodies = {}
local bodies_file = os.getenv("WRK_BODIES")
if bodies_file then
  for line in io.lines(bodies_file) do bodies[#bodies + 1] = line end
end
wrk.method = os.getenv("WRK_METHOD") or "GET"

local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  threads[#threads + 1] = thread
end

local counter = 0
function init()
  counter = offset or 0
end

function request()
  if #bodies == 0 then return wrk.format() end
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
