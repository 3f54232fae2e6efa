-- The part every script that changes a topic shares, put in place of its
-- "--#include change.lua" line when the script is loaded. Those scripts take the same
-- keys and first arguments:
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the sharded pub/sub channel of the topic
-- ARGV[1]  id of the node that makes the change (its origin)
-- ARGV[2]  time to live of both keys, in milliseconds
-- ARGV[3]  a fresh random epoch, used if the topic has none (a new history)

-- An entry as a change carries it: the stored entry JSON with its ref in front,
-- {"r":ref,"k":...}. The stored JSON is never decoded here.
local function with_ref(ref, json)
	return '{"r":' .. cjson.encode(ref) .. ',' .. string.sub(json, 2)
end

-- Gives the change the topic's next sequence number (in a new history when the topic has
-- none) and publishes it; returns that number.
local function publish(joins, leaves)
	local epoch = redis.call('HGET', KEYS[2], 'epoch')
	if not epoch then
		epoch = ARGV[3]
		redis.call('HSET', KEYS[2], 'epoch', epoch, 'seq', 0)
	end
	local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
	redis.call('SPUBLISH', KEYS[3], '{"e":' .. cjson.encode(epoch) .. ',"s":' .. string.format('%d', seq)
		.. ',"o":' .. cjson.encode(ARGV[1]) .. ',"j":[' .. table.concat(joins, ',') .. '],"l":['
		.. table.concat(leaves, ',') .. ']}')
	return seq
end

-- Keeps the topic's keys for another time to live (a key that is gone stays gone).
local function keep()
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
