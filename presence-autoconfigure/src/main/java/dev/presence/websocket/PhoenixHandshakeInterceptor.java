package dev.presence.websocket;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * Chooses the serializer from the {@code vsn} query parameter (docs/protocol.md §1.3): none
 * means {@code 1.0.0} as in Phoenix, {@code 1.x} and {@code 2.x} are served, anything else
 * is refused with {@code 400} and a JSON error before the upgrade.
 */
public final class PhoenixHandshakeInterceptor implements HandshakeInterceptor {

	static final String SERIALIZER_ATTRIBUTE = PhoenixSerializer.class.getName();

	private final List<PhoenixSerializer> serializers;

	/**
	 * Create an interceptor.
	 * @param serializers the serializers on offer
	 */
	public PhoenixHandshakeInterceptor(List<PhoenixSerializer> serializers) {
		this.serializers = List.copyOf(serializers);
	}

	@Override
	public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			Map<String, Object> attributes) throws Exception {
		String vsn = UriComponentsBuilder.fromUri(request.getURI()).build().getQueryParams().getFirst("vsn");
		PhoenixSerializer serializer = choose((vsn != null) ? vsn : V1JsonSerializer.VERSION);
		if (serializer == null) {
			response.setStatusCode(HttpStatus.BAD_REQUEST);
			response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
			response.getBody()
				.write(("{\"error\":\"unsupported serializer version (vsn), use 1.0.0 or 2.0.0\"}").getBytes());
			return false;
		}
		attributes.put(SERIALIZER_ATTRIBUTE, serializer);
		return true;
	}

	private @Nullable PhoenixSerializer choose(String vsn) {
		String major = vsn.contains(".") ? vsn.substring(0, vsn.indexOf('.')) : vsn;
		for (PhoenixSerializer serializer : this.serializers) {
			if (serializer.version().startsWith(major + ".")) {
				return serializer;
			}
		}
		return null;
	}

	@Override
	public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			@Nullable Exception exception) {
	}

}
