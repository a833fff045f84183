-- wrk script: a random page of the list by keyset cursor, with a random page size of 40 to
-- 60, so that almost every request asks for a page no server has in memory (the list cache
-- is keyed by the whole query) and is read from the store. The cursors come from
-- scripts/bench-cursors.py, in the file named by the environment's CURSORS.
local cursors = {}
for line in io.lines(os.getenv("CURSORS")) do
  cursors[#cursors + 1] = line
end

init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local c = cursors[math.random(#cursors)]
  local path = "/api/forms?after=" .. c .. "&per_page=" .. math.random(40, 60)
  return wrk.format("GET", path)
end
