-- Removes presence entries of a topic, bumps the topic's sequence number and publishes
-- their leaves as one change: one atomic step. Refs that are not there change nothing;
-- when none is there, nothing is published.
--
-- KEYS and ARGV[1..3]: see change.lua
-- ARGV[4.. ] refs of the entries to remove
--
-- Returns the topic's new sequence number, or 0 when none of the entries was there.

--#include change.lua

local leaves = {}
for i = 4, #ARGV do
	local removed = redis.call('HGET', KEYS[1], ARGV[i])
	if removed then
		redis.call('HDEL', KEYS[1], ARGV[i])
		leaves[#leaves + 1] = with_ref(ARGV[i], removed)
	end
end
if #leaves == 0 then
	return 0
end
local seq = publish({}, leaves)
-- the hash is gone once its last entry is: its PEXPIRE does nothing
keep()
return seq
