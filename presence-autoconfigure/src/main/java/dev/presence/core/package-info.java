/**
 * The presence domain: presences, diffs, the node's topic replicas, {@link dev.presence.core.PresenceService}, the {@link dev.presence.core.PresenceStore} SPI and the application events. Knows nothing of WebSockets or Redis.
 */
@NullMarked
package dev.presence.core;

import org.jspecify.annotations.NullMarked;
