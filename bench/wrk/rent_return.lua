-- Riders with passes rent at a random station and return at another, one ride at a time per
-- connection (wrk runs one connection per thread here, so the thread's state is the connection's).
-- An empty station (409 on rent) sends the rider to another one; a full one (409 on return) too,
-- up to 10 times, as the API's answer suggests.
--
-- Arguments (after `--`): riders file (one bearer token a line), stations file (one id a line),
-- the number of threads (= connections).

local threads, counter = {}, 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local riders, stations, turn, rental, rider, tries, started_at
-- Globals: done() reads them from each thread's Lua state with thread:get.
latencies, statuses, pairs_done, unexpected = {}, {}, 0, 0

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *now);
]]
local now_ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

function init(args)
  local count, number = tonumber(args[3]), 0
  riders, stations = {}, {}
  for line in io.lines(args[1]) do
    if number % count == index then table.insert(riders, line) end
    number = number + 1
  end
  for line in io.lines(args[2]) do table.insert(stations, line) end
  math.randomseed(2000 + index)
  turn, tries = 0, 0
end

local function station_body()
  return '{"station_id": ' .. stations[math.random(#stations)] .. '}'
end

function request()
  -- wrk.format adds no Host header when given headers of its own.
  local headers = { ["Content-Type"] = "application/json", ["Host"] = wrk.host .. ":" .. wrk.port }
  started_at = now_ms()
  if rental then
    headers["Authorization"] = "Bearer " .. rider
    return wrk.format("POST", "/api/v1/rentals/" .. rental .. "/return", headers, station_body())
  end
  turn = turn + 1
  rider = riders[(turn - 1) % #riders + 1]
  headers["Authorization"] = "Bearer " .. rider
  return wrk.format("POST", "/api/v1/rentals", headers, station_body())
end

function response(status, headers, body)
  table.insert(latencies, now_ms() - started_at)
  statuses[status] = (statuses[status] or 0) + 1
  if rental then
    if status == 200 then
      pairs_done, rental = pairs_done + 1, nil
    elseif status == 409 then
      tries = tries + 1
      if tries >= 10 then rental = nil end -- give up on this ride; its bike stays out
    else
      unexpected, rental = unexpected + 1, nil
    end
  elseif status == 201 then
    rental, tries = body:match('"id"%s*:%s*(%d+)'), 0
  elseif status ~= 409 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, totals)
  local all, status_total, pair_total, unexpected_total = {}, {}, 0, 0
  for _, thread in ipairs(threads) do
    for _, ms in ipairs(thread:get("latencies")) do table.insert(all, ms) end
    for status, n in pairs(thread:get("statuses")) do status_total[status] = (status_total[status] or 0) + n end
    pair_total = pair_total + thread:get("pairs_done")
    unexpected_total = unexpected_total + thread:get("unexpected")
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return 0 end
    return all[math.max(1, math.ceil(#all * p / 100))]
  end
  local parts = {}
  for status, n in pairs(status_total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write(string.format(
    'BENCH {"responses": %d, "good": %d, "units": %d, "refused": 0, "ran_out": 0, "unexpected": %d, ' ..
    '"statuses": {%s}, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    #all, #all - unexpected_total, pair_total, unexpected_total, table.concat(parts, ", "),
    pct(50), pct(95), pct(99), pct(100),
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout))
end
