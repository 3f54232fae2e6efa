-- Removes every entry a dead node holds in a topic and publishes their leaves as one
-- change whose origin is the reaper. Only what HDEL really removed is published, so a
-- reaper that runs again after another one (or after itself, having died halfway) never
-- doubles a leave; when nothing was removed, nothing is published.
--
-- KEYS and ARGV[1..3]: see change.lua (the origin is the reaping node)
-- ARGV[4]  id of the dead node
--
-- Returns the number of entries removed.

--#include change.lua

local all = redis.call('HGETALL', KEYS[1])
local leaves = {}
for i = 1, #all - 1, 2 do
	-- only the node is read; the entry published is the stored JSON, unchanged
	local ok, entry = pcall(cjson.decode, all[i + 1])
	if ok and type(entry) == 'table' and entry.n == ARGV[4] then
		if redis.call('HDEL', KEYS[1], all[i]) == 1 then
			leaves[#leaves + 1] = with_ref(all[i], all[i + 1])
		end
	end
end
if #leaves == 0 then
	return 0
end
publish({}, leaves)
keep()
return #leaves
