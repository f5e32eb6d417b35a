-- Riders with passes rent at a random station and return at another, one ride at a time per
-- connection (wrk runs one connection per thread here, so the thread's state is the connection's).
-- An empty station (409 on rent) sends the rider to another one; a full one (409 on return) too,
-- up to 10 times, as the API's answer suggests.
--
-- Arguments (after `--`): riders file (one bearer token a line), stations file (one id a line),
-- the number of threads (= connections).

-- The shared clock and summary (bench/wrk/summary.lua), found beside this script.
local summary = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "summary.lua")
local now_ms = summary.now_ms

local threads = {}
setup = summary.numbering(threads)

local riders, stations, turn, rental, rider, tries, started_at
-- Globals: done() reads them from each thread's Lua state with thread:get.
latencies, statuses, pairs_done, unexpected = {}, {}, 0, 0

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

function done(wrk_summary, latency, totals)
  local lists, statuses, n = summary.gather(threads, { "latencies" }, { "pairs_done", "unexpected" })
  local all = lists.latencies
  summary.write(
    { { "responses", #all }, { "good", #all - n.unexpected }, { "units", n.pairs_done }, { "refused", 0 },
      { "ran_out", 0 }, { "unexpected", n.unexpected } },
    statuses, all, {}, wrk_summary)
end
