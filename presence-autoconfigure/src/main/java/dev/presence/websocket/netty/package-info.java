/**
 * The Reactor Netty transport: presence on a WebSocket server of its own
 * ({@code presence.server.port}).
 */
@NullMarked
package dev.presence.websocket.netty;

import org.jspecify.annotations.NullMarked;
