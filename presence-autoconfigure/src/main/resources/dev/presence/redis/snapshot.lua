-- Reads every entry of a topic together with the sequence number and epoch they reflect,
-- in one atomic step so that no change can fall between them.
--
-- KEYS[1]  presence:{T}:e        hash, ref -> entry JSON {"k","n","p"?,"m"}
-- KEYS[2]  presence:{T}:s        hash, {seq, epoch}: the topic's sequence number and history
-- KEYS[3]  presence:{T}:changes  the channel of the topic (unused: every script gets the same KEYS)
--
-- Returns {seq, epoch, ref1, entry1, ref2, entry2, ...}; seq is "0" and epoch "" when
-- Redis holds no history of the topic.

local result = redis.call('HGETALL', KEYS[1])
local history = redis.call('HMGET', KEYS[2], 'seq', 'epoch')
table.insert(result, 1, history[2] or '')
table.insert(result, 1, history[1] or '0')
return result
