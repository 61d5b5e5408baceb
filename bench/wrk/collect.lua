-- wrk script: POST /api/collect with varied events (bench/ingest.py fills DATA).
--
-- Each request is one client: a visitor (X-Forwarded-For IP, User-Agent, screen,
-- language) drawn from a pool, sending BATCH events (paths drawn Zipf-like, landing
-- referrers, ~10 % custom events with properties). Per-thread counters are collected
-- in done() and printed as one JSON line prefixed with "RESULT ".
--
-- usage: wrk -t1 -c16 -d30s -s collect.lua http://127.0.0.1:PORT -- DATA_FILE BATCH

threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local data, batch
-- globals: done() reads them from each thread with thread:get()
responses, non2xx, accepted, dropped, statuses = 0, 0, 0, 0, {}

function init(args)
  data = dofile(args[1])
  batch = tonumber(args[2] or "1")
  math.randomseed(7919 * (tid or 1) + batch)
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  local v = math.random(#data.visitors)
  local visitor = data.visitors[v]
  local events = {}
  local url = "https://" .. data.host .. pick(data.paths)
  local ref = pick(data.referrers)
  for i = 1, batch do
    local e = '{"website_id":"' .. data.website .. '","url":"' .. url .. '","screen":"' .. visitor[3] ..
      '","language":"' .. visitor[4] .. '"'
    if ref ~= "" then e = e .. ',"referrer":"' .. ref .. '"' end
    if math.random() < 0.1 then
      local ev = pick(data.custom)
      e = e .. ',"type":"event","event_name":"' .. ev[1] .. '","event_data":' .. ev[2] .. '}'
    else
      e = e .. ',"type":"pageview"}'
      ref = url
      url = "https://" .. data.host .. pick(data.paths)
    end
    events[i] = e
  end
  local body = batch == 1 and events[1] or ("[" .. table.concat(events, ",") .. "]")
  local headers = {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["X-Forwarded-For"] = visitor[1],
    ["User-Agent"] = visitor[2],
    ["Accept"] = "*/*",
    ["Accept-Language"] = visitor[4],
  }
  return wrk.format("POST", "/api/collect", headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  else
    accepted = accepted + tonumber(headers["x-sparklytics-ingest-accepted-events"] or "0")
    dropped = dropped + tonumber(headers["x-sparklytics-ingest-dropped-events"] or "0")
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
