/**
 * The presence engine: the node's topic replicas, which apply a store's changes in order
 * and tell their listeners, the {@code PresenceService} implementation, the application
 * events' publisher and the node's executors. Knows nothing of WebSockets or Redis.
 */
@NullMarked
package dev.presence.engine;

import org.jspecify.annotations.NullMarked;

import dev.presence.core.PresenceService;
