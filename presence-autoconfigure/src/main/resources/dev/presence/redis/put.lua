-- Stores one presence entry of a topic, removing the entry it replaces in the same
-- change, bumps the topic's sequence number and publishes the change: one atomic step.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the sharded pub/sub channel of the topic
-- ARGV[1]  id of the node that makes the change (the origin)
-- ARGV[2]  time to live of both keys, in milliseconds
-- ARGV[3]  a fresh random epoch, used only if the topic has none (a new history)
-- ARGV[4]  ref of the new entry
-- ARGV[5]  JSON of the new entry, an object {"k","n","p"?,"m"}
-- ARGV[6]  ref of the entry the new one replaces, or "" for none
--
-- Returns the topic's new sequence number.

-- A message entry is the stored entry with its ref added in front: {"r":ref,"k":...}.
local function with_ref(ref, json)
	return '{"r":' .. cjson.encode(ref) .. ',' .. string.sub(json, 2)
end

local leaves = {}
if ARGV[6] ~= '' then
	local replaced = redis.call('HGET', KEYS[1], ARGV[6])
	if replaced then
		redis.call('HDEL', KEYS[1], ARGV[6])
		leaves[1] = with_ref(ARGV[6], replaced)
	end
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
	epoch = ARGV[3]
	redis.call('HSET', KEYS[2], 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('SPUBLISH', KEYS[3], '{"e":' .. cjson.encode(epoch) .. ',"s":' .. string.format('%d', seq)
	.. ',"o":' .. cjson.encode(ARGV[1]) .. ',"j":[' .. with_ref(ARGV[4], ARGV[5]) .. '],"l":['
	.. table.concat(leaves, ',') .. ']}')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
