-- wrk script of `npm run bench:ingest`: POSTs tracker batches of page views to the
-- ingest function, as browsers would. wrk (C) drives the load so the 2 cores go to the
-- gateway, the function and Postgres rather than to a load generator in JavaScript.
-- Args (after --): project public key, events per batch, visitors per thread.
-- Every event has a fresh id (nothing is a replay); each visitor has one session.
-- Prints one JSON line at the end: requests, seconds, p50/p99 latency, answers that
-- were not 202 (with the first such status) and socket errors.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local key, size, visitors
local counter = 0
bad, first_bad = 0, 0 -- globals: done() reads them per thread
local ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
  .. "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

function init(args)
  key = args[1]
  size = tonumber(args[2])
  visitors = tonumber(args[3])
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  counter = counter + 1
  local v = tid * 100000 + counter % visitors
  local now = os.time() * 1000
  local events = {}
  for i = 1, size do
    events[i] = string.format(
      '{"id":"%08x-%04x-4%03x-8%03x-%012x","ts":%d,"type":"pageview","path":"/page/%d","title":"Bench"}',
      math.random(0, 0x7fffffff), tid, math.random(0, 0xfff), math.random(0, 0xfff),
      counter * 1000 + i, now, (counter + i) % 50)
  end
  local body = string.format(
    '{"project":"%s","sent_at":%d,"visitor_id":"00000000-0000-4000-8000-%012x",'
      .. '"session_id":"00000000-0000-4000-9000-%012x","events":[%s]}',
    key, now, v, v, table.concat(events, ","))
  -- No x-forwarded-for: the gateway sets it to the connection's address, as Supabase's does.
  return wrk.format("POST", nil, { ["content-type"] = "text/plain", ["user-agent"] = ua }, body)
end

function response(status)
  if status ~= 202 then
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency)
  local not_202, first = 0, 0
  for _, t in ipairs(threads) do
    not_202 = not_202 + t:get("bad")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"not_202":%d,"first_bad_status":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    not_202, first, e.connect + e.read + e.write + e.timeout))
end
