-- Removes presence entries of a topic, bumps the topic's sequence number and publishes
-- their leaves as one change: one atomic step. Refs that are not there change nothing;
-- when none is there, nothing is published.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the sharded pub/sub channel of the topic
-- ARGV[1]  id of the node that makes the change (the origin)
-- ARGV[2]  time to live of both keys, in milliseconds
-- ARGV[3]  a fresh random epoch, used only if the topic has none (a new history)
-- ARGV[4.. ] refs of the entries to remove
--
-- Returns the topic's new sequence number, or 0 when none of the entries was there.

local leaves = {}
for i = 4, #ARGV do
	local removed = redis.call('HGET', KEYS[1], ARGV[i])
	if removed then
		redis.call('HDEL', KEYS[1], ARGV[i])
		leaves[#leaves + 1] = '{"r":' .. cjson.encode(ARGV[i]) .. ',' .. string.sub(removed, 2)
	end
end
if #leaves == 0 then
	return 0
end
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
	epoch = ARGV[3]
	redis.call('HSET', KEYS[2], 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('SPUBLISH', KEYS[3], '{"e":' .. cjson.encode(epoch) .. ',"s":' .. string.format('%d', seq)
	.. ',"o":' .. cjson.encode(ARGV[1]) .. ',"j":[],"l":[' .. table.concat(leaves, ',') .. ']}')
-- the hash is gone once its last entry is: PEXPIRE of a missing key does nothing
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
