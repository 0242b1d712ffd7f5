-- wrk script for the benchmarks: an optional body per request, taken in turn from the file named
-- by WRK_BODIES (one per line, "cookie<TAB>body" when the request carries its own cookie, or
-- "value<TAB>" for a bodiless request with its own value of the header WRK_LINE_HEADER, Cookie by
-- default; each wrk thread starts at its own offset), and a JSON summary line at the end for
-- bench/lib/wrk.ts. Method and the other headers come from WRK_METHOD and the command line (-H).
local bodies = {}
local cookies = {}
local lines = 0
local line_header = os.getenv("WRK_LINE_HEADER") or "Cookie"
local bodies_file = os.getenv("WRK_BODIES")
if bodies_file then
  for line in io.lines(bodies_file) do
    local cookie, body = line:match("^([^\t]*)\t(.*)$")
    lines = lines + 1
    if body == "" then body = false end
    bodies[lines] = body == nil and line or body
    cookies[lines] = cookie or false
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
  if lines == 0 then return wrk.format() end
  counter = counter + 1
  local i = (counter % lines) + 1
  local body = bodies[i] or nil
  if cookies[i] then
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers[line_header] = cookies[i]
    return wrk.format(nil, nil, headers, body)
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
