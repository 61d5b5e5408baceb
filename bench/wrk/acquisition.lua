-- wrk script: GET a campaign link (/l/<slug>) or a tracking pixel (/p/<key>.gif) as many
-- visitors would (bench/ingest.py fills DATA and creates the link or pixel).
--
-- Each request is one visitor (X-Forwarded-For IP, User-Agent, Accept-Language) drawn
-- from a pool, with a landing referrer and a small query string half of the time. A 302
-- (link) or 200 (pixel) records one event. Per-thread counters are collected in done()
-- and printed as one JSON line prefixed with "RESULT ", like collect.lua.
--
-- usage: wrk -t1 -c16 -d30s -s acquisition.lua http://127.0.0.1:PORT -- DATA_FILE PATH

threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local data, path
responses, non2xx, accepted, dropped, statuses = 0, 0, 0, 0, {}

function init(args)
  data = dofile(args[1])
  path = args[2]
  math.randomseed(7919 * (tid or 1) + #path)
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  local visitor = pick(data.visitors)
  local headers = {
    ["X-Forwarded-For"] = visitor[1],
    ["User-Agent"] = visitor[2],
    ["Accept"] = "text/html,image/*,*/*",
    ["Accept-Language"] = visitor[4],
  }
  local ref = pick(data.referrers)
  if ref ~= "" then headers["Referer"] = ref end
  local target = path
  if math.random() < 0.5 then target = target .. "?ref=post" .. math.random(100) .. "&v=" .. math.random(9) end
  return wrk.format("GET", target, headers)
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status == 302 or status == 200 then
    accepted = accepted + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local r, n, a, d, codes = 0, 0, 0, 0, {}
  for _, t in ipairs(threads) do
    r = r + t:get("responses")
    n = n + t:get("non2xx")
    a = a + t:get("accepted")
    d = d + t:get("dropped")
    local s = t:get("statuses")
    for code, count in pairs(s) do codes[#codes + 1] = '"' .. code .. '":' .. count end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"responses":%d,"duration_us":%d,"non2xx":%d,"accepted_events":%d,' ..
    '"dropped_events":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, r, summary.duration, n, a, d, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(codes, ","), latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
