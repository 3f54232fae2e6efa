-- Removes every entry a dead node holds in a topic and publishes their leaves as one
-- change whose origin is the reaper. Only what HDEL really removed is published, so a
-- reaper that runs again after another one (or after itself, having died halfway) never
-- doubles a leave; when nothing was removed, nothing is published.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the sharded pub/sub channel of the topic
-- ARGV[1]  id of the reaping node (the origin)
-- ARGV[2]  time to live of both keys, in milliseconds
-- ARGV[3]  a fresh random epoch, used only if the topic has none (a new history)
-- ARGV[4]  id of the dead node
--
-- Returns the number of entries removed.

local all = redis.call('HGETALL', KEYS[1])
local leaves = {}
for i = 1, #all - 1, 2 do
	-- only the node is read; the entry published is the stored JSON, unchanged
	local ok, entry = pcall(cjson.decode, all[i + 1])
	if ok and type(entry) == 'table' and entry.n == ARGV[4] then
		if redis.call('HDEL', KEYS[1], all[i]) == 1 then
			leaves[#leaves + 1] = '{"r":' .. cjson.encode(all[i]) .. ',' .. string.sub(all[i + 1], 2)
		end
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
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return #leaves
