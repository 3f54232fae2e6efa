-- Adds back the entries a live node owns that the topic lost (Redis restarted, was
-- flushed, the keys expired, or the node was reaped while cut off), with their existing
-- refs, and publishes them as one change. An entry that is there is left untouched; when
-- none was missing, nothing is published.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the sharded pub/sub channel of the topic
-- ARGV[1]  id of the node that owns the entries (the origin)
-- ARGV[2]  time to live of both keys, in milliseconds
-- ARGV[3]  a fresh random epoch, used only if the topic has none (a new history)
-- ARGV[4.. ] ref1, entry1, ref2, entry2, ... the entries the node owns
--
-- Returns the number of entries added back.

local joins = {}
for i = 4, #ARGV - 1, 2 do
	if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
		joins[#joins + 1] = '{"r":' .. cjson.encode(ARGV[i]) .. ',' .. string.sub(ARGV[i + 1], 2)
	end
end
if #joins > 0 then
	local epoch = redis.call('HGET', KEYS[2], 'epoch')
	if not epoch then
		epoch = ARGV[3]
		redis.call('HSET', KEYS[2], 'epoch', epoch, 'seq', 0)
	end
	local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
	redis.call('SPUBLISH', KEYS[3], '{"e":' .. cjson.encode(epoch) .. ',"s":' .. string.format('%d', seq)
		.. ',"o":' .. cjson.encode(ARGV[1]) .. ',"j":[' .. table.concat(joins, ',') .. '],"l":[]}')
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return #joins
