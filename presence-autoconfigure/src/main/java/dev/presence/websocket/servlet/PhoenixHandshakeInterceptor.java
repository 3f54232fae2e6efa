package dev.presence.websocket.servlet;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;

import dev.presence.websocket.PhoenixSerializer;
import dev.presence.websocket.PresenceConnections;

/**
 * Chooses the serializer from the {@code vsn} query parameter (docs/protocol.md §1.3): none
 * means {@code 1.0.0} as in Phoenix, {@code 1.x} and {@code 2.x} are served, anything else
 * is refused with {@code 400} and a JSON error before the upgrade.
 */
public final class PhoenixHandshakeInterceptor implements HandshakeInterceptor {

	static final String SERIALIZER_ATTRIBUTE = PhoenixSerializer.class.getName();

	private final PresenceConnections connections;

	/**
	 * Create an interceptor.
	 * @param connections the node's connections, which know the serializers on offer
	 */
	public PhoenixHandshakeInterceptor(PresenceConnections connections) {
		this.connections = connections;
	}

	@Override
	public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			Map<String, Object> attributes) throws Exception {
		String vsn = UriComponentsBuilder.fromUri(request.getURI()).build().getQueryParams().getFirst("vsn");
		PhoenixSerializer serializer = this.connections.serializer(vsn);
		if (serializer == null) {
			response.setStatusCode(HttpStatus.BAD_REQUEST);
			response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
			response.getBody().write(PresenceConnections.unsupportedVersionError().getBytes(StandardCharsets.UTF_8));
			return false;
		}
		attributes.put(SERIALIZER_ATTRIBUTE, serializer);
		return true;
	}

	@Override
	public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			@Nullable Exception exception) {
	}

}
