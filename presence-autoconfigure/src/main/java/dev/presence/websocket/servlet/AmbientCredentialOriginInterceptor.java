package dev.presence.websocket.servlet;

import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.WebUtils;

/**
 * Guards against cross-site WebSocket hijacking when no allowed origins are configured:
 * a handshake that a browser authenticated on its own — with a session cookie, a cached
 * HTTP login or a client certificate, which any web page can make the browser send — is
 * accepted only from the application's own origin. A browser cannot put an
 * {@code Authorization} header on a WebSocket, so a principal without one came from such
 * an ambient credential. Clients that authenticate with a token ({@code apikey},
 * {@code access_token}) or an {@code Authorization} header, and anonymous clients, are
 * accepted from any origin, as the Supabase clients expect.
 */
public final class AmbientCredentialOriginInterceptor implements HandshakeInterceptor {

	@Override
	public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			Map<String, Object> attributes) {
		HttpHeaders headers = request.getHeaders();
		boolean ambient = request.getPrincipal() != null && !headers.containsHeader(HttpHeaders.AUTHORIZATION);
		if (ambient && headers.getOrigin() != null && !WebUtils.isSameOrigin(request)) {
			response.setStatusCode(HttpStatus.FORBIDDEN);
			return false;
		}
		return true;
	}

	@Override
	public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
			@Nullable Exception exception) {
	}

}
