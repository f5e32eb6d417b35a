-- What every bench script shares: a millisecond clock, and the one `BENCH {...}` line that done()
-- prints from every thread's tallies (bench/wrk.py reads it). Loaded with dofile by the scripts
-- beside it; each wrk thread runs its own Lua state, so each loads its own copy.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *now);
]]
local now_ts = ffi.new("timespec_t")
local summary = {}

local function clock_ms(clock)
  ffi.C.clock_gettime(clock, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

-- Monotonic milliseconds, for latencies (wrk gives Lua no clock).
function summary.now_ms() return clock_ms(1) end
-- Wall-clock milliseconds since the epoch, for the load balancer's arrival stamp.
function summary.epoch_ms() return clock_ms(0) end

-- wrk's setup(): numbers the threads 0, 1, 2 ... (each thread's global `index`) and keeps them in
-- `threads`, where done() reads their tallies.
function summary.numbering(threads)
  local counter = 0
  return function(thread)
    thread:set("index", counter)
    counter = counter + 1
    table.insert(threads, thread)
  end
end

-- The value at percentile p of a sorted list (0 when empty).
function summary.percentile(sorted, p)
  if #sorted == 0 then return 0 end
  return sorted[math.max(1, math.ceil(#sorted * p / 100))]
end

-- Every thread's lists (concatenated, sorted), its statuses (added up) and its counters (added up),
-- read by name from each thread's Lua state.
function summary.gather(threads, list_names, counter_names)
  local lists, statuses, counters = {}, {}, {}
  for _, name in ipairs(list_names) do lists[name] = {} end
  for _, name in ipairs(counter_names) do counters[name] = 0 end
  for _, thread in ipairs(threads) do
    for _, name in ipairs(list_names) do
      for _, value in ipairs(thread:get(name)) do table.insert(lists[name], value) end
    end
    for status, n in pairs(thread:get("statuses")) do statuses[status] = (statuses[status] or 0) + n end
    for _, name in ipairs(counter_names) do counters[name] = counters[name] + thread:get(name) end
  end
  for _, list in pairs(lists) do table.sort(list) end
  return lists, statuses, counters
end

-- Print the BENCH line: `counts` ({name, integer} pairs, in order), the statuses, the latency
-- percentiles of `latencies` (sorted), `extra_ms` ({name, milliseconds} pairs) and wrk's socket errors.
function summary.write(counts, statuses, latencies, extra_ms, wrk_summary)
  local fields = {}
  for _, entry in ipairs(counts) do table.insert(fields, string.format('"%s": %d', entry[1], entry[2])) end
  local parts = {}
  for status, n in pairs(statuses) do table.insert(parts, string.format('"%d": %d', status, n)) end
  table.insert(fields, '"statuses": {' .. table.concat(parts, ", ") .. "}")
  for _, p in ipairs({ 50, 95, 99 }) do
    table.insert(fields, string.format('"p%d_ms": %.3f', p, summary.percentile(latencies, p)))
  end
  table.insert(fields, string.format('"max_ms": %.3f', summary.percentile(latencies, 100)))
  for _, entry in ipairs(extra_ms or {}) do table.insert(fields, string.format('"%s": %.3f', entry[1], entry[2])) end
  local errors = wrk_summary.errors
  table.insert(fields, string.format('"socket_errors": %d', errors.connect + errors.read + errors.write))
  table.insert(fields, string.format('"timeouts": %d', errors.timeout))
  io.write("BENCH {" .. table.concat(fields, ", ") .. "}\n")
end

return summary
