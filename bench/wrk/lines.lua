-- Requests read from a file, one per line: METHOD \t PATH \t BODY \t HEADER: value \t ...
-- wrk runs one connection per thread here, and thread i sends lines i, i + n, i + 2n ...: no two
-- connections ever send the same line, and a line is sent at most once unless the file is marked
-- reusable (one-time QR payloads must never be replayed; a replay is a refusal, not a measurement).
--
-- Arguments (after `--`): lines file, reuse (0/1), expected statuses ("200,201"), a Lua pattern the
-- body must match to count as good ("" for any), rate per connection per second (0: closed loop),
-- the number of threads (= connections), stamp (1: each request carries `X-Request-Start: t=<when due>`,
-- as the load balancer sets it, so the app can shed what queued too long).
-- At a fixed rate each connection sends on a schedule and a request's latency counts from when it
-- was due (wrk2-style, no coordinated omission); clock from LuaJIT's FFI, as wrk gives Lua none.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *now);
]]
local now_ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local threads, counter = {}, 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests, position, reuse, expected, pattern, interval, due, next_due, stopped, stamp, epoch_offset
-- Globals: done() reads them from each thread's Lua state with thread:get.
latencies, answered, statuses, good, refused, ran_out = {}, {}, {}, 0, 0, 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local file, count = args[1], #threads
  reuse, pattern = args[2] == "1", args[4] or ""
  expected = {}
  for status in (args[3] or "200"):gmatch("%d+") do
    expected[tonumber(status)] = true
  end
  local rate = tonumber(args[5] or "0")
  interval = rate > 0 and 1000 / rate or nil
  local number, thread_count, mine = 0, tonumber(args[6]), wrk.thread:get("index")
  -- wrk.format adds no Host header when given headers of its own.
  local host = wrk.host .. ":" .. wrk.port
  stamp = args[7] == "1"
  ffi.C.clock_gettime(0, now_ts) -- CLOCK_REALTIME, for the stamps
  epoch_offset = tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6 - now_ms()
  requests = {}
  for line in io.lines(file) do
    -- Reusable lines (a read, one path or a few) go to every thread; one-time lines to one thread each.
    if reuse or number % thread_count == mine then
      local f = split(line)
      local headers = {}
      for i = 4, #f do
        local name, value = f[i]:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
      if f[3] ~= "" then headers["Content-Type"] = "application/json" end
      headers["Host"] = host
      local body = f[3] ~= "" and f[3] or nil
      table.insert(requests, stamp and { f[1], f[2], headers, body } or wrk.format(f[1], f[2], headers, body))
    end
    number = number + 1
  end
  -- Threads sharing reusable lines start at different ones.
  position = reuse and (mine % math.max(#requests, 1)) or 0
  -- Connections start evenly spread over one interval, not all at once.
  next_due = interval and now_ms() + interval * mine / thread_count or nil
end

function delay()
  if not interval then return 0 end
  local wait = next_due - now_ms()
  return wait > 0 and wait or 0
end

function request()
  position = position + 1
  if position > #requests then
    if not reuse then
      ran_out, stopped = 1, true
      wrk.thread:stop()
      return wrk.format("GET", "/health") -- answered after the stop, if at all, and not counted
    else
      position = 1
    end
  end
  if interval then
    due, next_due = next_due, next_due + interval
  else
    due = now_ms()
  end
  if stamp then
    local r = requests[position]
    r[3]["X-Request-Start"] = string.format("t=%.3f", (due + epoch_offset) / 1000)
    return wrk.format(r[1], r[2], r[3], r[4])
  end
  return requests[position]
end

function response(status, headers, body)
  if stopped then return end
  table.insert(latencies, now_ms() - due)
  statuses[status] = (statuses[status] or 0) + 1
  if expected[status] then
    table.insert(answered, latencies[#latencies])
    if pattern == "" or (body and body:find(pattern)) then
      good = good + 1
    else
      refused = refused + 1
    end
  end
end

function done(summary, latency, totals)
  local all, served, status_total, good_total, refused_total, ran_out_total = {}, {}, {}, 0, 0, 0
  for _, thread in ipairs(threads) do
    for _, ms in ipairs(thread:get("latencies")) do table.insert(all, ms) end
    for _, ms in ipairs(thread:get("answered")) do table.insert(served, ms) end
    for status, n in pairs(thread:get("statuses")) do status_total[status] = (status_total[status] or 0) + n end
    good_total = good_total + thread:get("good")
    refused_total = refused_total + thread:get("refused")
    ran_out_total = ran_out_total + thread:get("ran_out")
  end
  table.sort(all)
  table.sort(served)
  local function pct(p, of)
    of = of or all
    if #of == 0 then return 0 end
    return of[math.max(1, math.ceil(#of * p / 100))]
  end
  local parts = {}
  for status, n in pairs(status_total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write(string.format(
    'BENCH {"responses": %d, "good": %d, "refused": %d, "ran_out": %d, "statuses": {%s}, ' ..
    '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "answered_p99_ms": %.3f, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    #all, good_total, refused_total, ran_out_total, table.concat(parts, ", "),
    pct(50), pct(95), pct(99), pct(100), pct(99, served),
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout))
end
