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

-- The shared clock and summary (bench/wrk/summary.lua), found beside this script.
local summary = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "summary.lua")
local now_ms = summary.now_ms

local threads = {}
setup = summary.numbering(threads)

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
  epoch_offset = summary.epoch_ms() - now_ms() -- for the stamps
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

function done(wrk_summary, latency, totals)
  local lists, statuses, n = summary.gather(threads, { "latencies", "answered" }, { "good", "refused", "ran_out" })
  local all = lists.latencies
  summary.write(
    { { "responses", #all }, { "good", n.good }, { "refused", n.refused }, { "ran_out", n.ran_out } },
    statuses, all, { { "answered_p99_ms", summary.percentile(lists.answered, 99) } }, wrk_summary)
end
