/**
 * {@link dev.presence.store.PresenceStore} on Redis or Redis Cluster through Lettuce's async API: Lua scripts,
 * sharded pub/sub fan-out, the node heartbeat, re-assertion of lost presences and the reaper of dead nodes.
 */
@NullMarked
package dev.presence.redis;

import org.jspecify.annotations.NullMarked;
