/**
 * The store SPI: where presences are kept and how their changes reach every node
 * ({@link dev.presence.store.PresenceStore} and the values it speaks in). Implemented by
 * the Redis and in-memory stores, or by an application's own bean. Knows nothing of
 * WebSockets, Redis or the engine that uses it.
 */
@NullMarked
package dev.presence.store;

import org.jspecify.annotations.NullMarked;
