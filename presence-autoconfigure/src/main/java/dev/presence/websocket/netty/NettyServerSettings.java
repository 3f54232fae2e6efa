package dev.presence.websocket.netty;

import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Where and how the Reactor Netty presence server listens.
 *
 * @param address the address to bind to, or {@code null} for every address
 * @param port the port to listen on; {@code 0} picks a free one
 * @param path the path of the WebSocket endpoint
 * @param allowedOrigins the origins a handshake is accepted from (patterns as in Spring's
 * CORS support); empty accepts any
 * @param compression whether to accept {@code permessage-deflate} when a client offers it
 * @param shutdownTimeout how long stopping may wait for connections to close
 */
public record NettyServerSettings(@Nullable String address, int port, String path, List<String> allowedOrigins,
		boolean compression, Duration shutdownTimeout) {

	public NettyServerSettings {
		allowedOrigins = List.copyOf(allowedOrigins);
	}

}
