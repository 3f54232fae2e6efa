-- Puts back what a live node owns in a topic, with the existing refs, and publishes what
-- it changed as one change. It adds the entries that the topic lost (Redis restarted, was
-- flushed, the keys expired, the node was reaped while cut off, a failover lost the last
-- writes); given the node's complete list, it also removes the entries of this node that
-- the node no longer owns (an untrack the failover lost). An entry that is there is left
-- untouched; when nothing changed, nothing is published, unless the history was renewed.
--
-- The history is renewed (a fresh epoch, the sequence restarting) when the topic went
-- backwards: its epoch is still ARGV[5] but its sequence number is below ARGV[6], the
-- highest one a node saw, so the promoted replica missed changes. Every node's replica
-- then sees a new epoch and resyncs from a snapshot.
--
-- KEYS and ARGV[1..3]: see change.lua (the origin is the node that owns the entries; the
-- fresh epoch is also the one a renewed history gets)
-- ARGV[4]  "1" when ARGV[7..] are all the entries the node owns in the topic, else ""
-- ARGV[5]  the epoch to renew if the topic went backwards, or "" to renew nothing
-- ARGV[6]  the highest sequence number seen in epoch ARGV[5], or "0"
-- ARGV[7.. ] ref1, entry1, ref2, entry2, ... the entries the node owns
--
-- Returns the number of entries added back or removed.

--#include change.lua

local renewed = false
if ARGV[5] ~= '' then
	local history = redis.call('HMGET', KEYS[2], 'epoch', 'seq')
	if history[1] == ARGV[5] and tonumber(history[2] or '0') < tonumber(ARGV[6]) then
		redis.call('HSET', KEYS[2], 'epoch', ARGV[3], 'seq', 0)
		renewed = true
	end
end
local joins = {}
local owned = {}
for i = 7, #ARGV - 1, 2 do
	owned[ARGV[i]] = true
	if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
		joins[#joins + 1] = with_ref(ARGV[i], ARGV[i + 1])
	end
end
local leaves = {}
if ARGV[4] == '1' then
	local all = redis.call('HGETALL', KEYS[1])
	for i = 1, #all - 1, 2 do
		if not owned[all[i]] then
			local ok, entry = pcall(cjson.decode, all[i + 1])
			if ok and type(entry) == 'table' and entry.n == ARGV[1] then
				redis.call('HDEL', KEYS[1], all[i])
				leaves[#leaves + 1] = with_ref(all[i], all[i + 1])
			end
		end
	end
end
if #joins > 0 or #leaves > 0 or renewed then
	publish(joins, leaves)
end
keep()
return #joins + #leaves
