-- wrk script for the benchmarks: an optional body per request, taken in turn from the file named
-- by WRK_BODIES (one per line, "cookie<TAB>body" when the request carries its own cookie; each wrk
-- thread starts at its own offset), and a JSON summary line at the end for bench/lib/wrk.ts.
-- Method and the other headers come from WRK_METHOD and the command line (-H).
local bodies = {}
local cookies = {}
local bodies_file = os.getenv("WRK_BODIES")
if bodies_file then
  for line in io.lines(bodies_file) do
    local cookie, body = line:match("^([^\t]*)\t(.*)$")
    bodies[#bodies + 1] = body or line
    cookies[#cookies + 1] = cookie or false
  end
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
  local i = (counter % #bodies) + 1
  if cookies[i] then
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Cookie"] = cookies[i]
    return wrk.format(nil, nil, headers, bodies[i])
  end
  return wrk.format(nil, nil, nil, bodies[i])
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
