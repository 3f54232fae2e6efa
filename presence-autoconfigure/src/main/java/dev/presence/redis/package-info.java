/**
 * {@link dev.presence.core.PresenceStore} on Redis through Lettuce's async API: Lua scripts, pub/sub fan-out and the node heartbeat.
 */
@NullMarked
package dev.presence.redis;

import org.jspecify.annotations.NullMarked;
