-- Removes one presence entry of a topic, bumps the topic's sequence number and publishes
-- the leave: one atomic step. Removing an entry that is not there changes nothing and
-- publishes nothing.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        string, the topic's sequence number
-- ARGV[1]  presence:{T}:changes  the pub/sub channel of the topic
-- ARGV[2]  ref of the entry to remove
-- ARGV[3]  id of the node that makes the change (the origin)
-- ARGV[4]  time to live of both keys, in milliseconds
--
-- Returns the topic's new sequence number, or 0 when there was no such entry.

local removed = redis.call('HGET', KEYS[1], ARGV[2])
if not removed then
	return 0
end
redis.call('HDEL', KEYS[1], ARGV[2])
local seq = redis.call('INCR', KEYS[2])
local leave = '{"r":' .. cjson.encode(ARGV[2]) .. ',' .. string.sub(removed, 2)
redis.call('PUBLISH', ARGV[1], '{"s":' .. string.format('%d', seq) .. ',"o":' .. cjson.encode(ARGV[3])
	.. ',"j":[],"l":[' .. leave .. ']}')
-- the hash is gone once its last entry is: PEXPIRE of a missing key does nothing
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return seq
