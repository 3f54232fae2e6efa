-- Stores one presence entry of a topic, removing the entry it replaces in the same
-- change, bumps the topic's sequence number and publishes the change: one atomic step.
--
-- KEYS and ARGV[1..3]: see change.lua
-- ARGV[4]  ref of the new entry
-- ARGV[5]  JSON of the new entry, an object {"k","n","p"?,"m"}
-- ARGV[6]  ref of the entry the new one replaces, or "" for none
--
-- Returns the topic's new sequence number.

--#include change.lua

local leaves = {}
if ARGV[6] ~= '' then
	local replaced = redis.call('HGET', KEYS[1], ARGV[6])
	if replaced then
		redis.call('HDEL', KEYS[1], ARGV[6])
		leaves[1] = with_ref(ARGV[6], replaced)
	end
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
local seq = publish({ with_ref(ARGV[4], ARGV[5]) }, leaves)
keep()
return seq
