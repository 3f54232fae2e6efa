-- Stores one presence entry of a topic, removing the entry it replaces in the same
-- change, bumps the topic's sequence number and publishes the change: one atomic step.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        string, the topic's sequence number
-- ARGV[1]  presence:{T}:changes  the pub/sub channel of the topic
-- ARGV[2]  ref of the new entry
-- ARGV[3]  JSON of the new entry, an object {"k","n","p"?,"m"}
-- ARGV[4]  ref of the entry the new one replaces, or "" for none
-- ARGV[5]  id of the node that makes the change (the origin)
-- ARGV[6]  time to live of both keys, in milliseconds
--
-- Returns the topic's new sequence number.

-- A message entry is the stored entry with its ref added in front: {"r":ref,"k":...}.
local function with_ref(ref, json)
	return '{"r":' .. cjson.encode(ref) .. ',' .. string.sub(json, 2)
end

local leaves = {}
if ARGV[4] ~= '' then
	local replaced = redis.call('HGET', KEYS[1], ARGV[4])
	if replaced then
		redis.call('HDEL', KEYS[1], ARGV[4])
		leaves[1] = with_ref(ARGV[4], replaced)
	end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], '{"s":' .. string.format('%d', seq) .. ',"o":' .. cjson.encode(ARGV[5])
	.. ',"j":[' .. with_ref(ARGV[2], ARGV[3]) .. '],"l":[' .. table.concat(leaves, ',') .. ']}')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return seq
