-- Reads every entry of a topic together with the sequence number they reflect, in one
-- atomic step so that no change can fall between the two.
--
-- KEYS[1]  presence:{T}:e  hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s  string, the topic's sequence number
--
-- Returns {seq, ref1, entry1, ref2, entry2, ...}; seq is "0" when the topic has none.

local result = redis.call('HGETALL', KEYS[1])
table.insert(result, 1, redis.call('GET', KEYS[2]) or '0')
return result
