package dev.presence.websocket.servlet;

import java.security.Principal;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeFailureException;
import org.springframework.web.socket.server.RequestUpgradeStrategy;
import org.springframework.web.socket.server.standard.StandardWebSocketUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;

/**
 * The handshake of the presence endpoint: it declines {@code permessage-deflate}, which
 * every browser offers, unless compression is turned on, as Phoenix does. A deflater
 * costs each connection hundreds of KiB of native memory and every frame a compression
 * per member, which the encode-once fan-out cannot share; and compressed frames wait in
 * the socket buffers in far greater numbers than the send buffer accounts for.
 */
public final class PresenceHandshakeHandler extends DefaultHandshakeHandler {

	/**
	 * Create a handshake handler.
	 * @param compression whether to accept {@code permessage-deflate} when a client
	 * offers it
	 */
	public PresenceHandshakeHandler(boolean compression) {
		super(compression ? new StandardWebSocketUpgradeStrategy()
				: new UncompressedUpgradeStrategy(new StandardWebSocketUpgradeStrategy()));
	}

	/**
	 * Upgrades with no extension: the container negotiates extensions from the request's
	 * {@code Sec-WebSocket-Extensions} header alone, so the header is hidden from it.
	 */
	private static final class UncompressedUpgradeStrategy implements RequestUpgradeStrategy {

		private static final String EXTENSIONS_HEADER = "Sec-WebSocket-Extensions";

		private final RequestUpgradeStrategy delegate;

		UncompressedUpgradeStrategy(RequestUpgradeStrategy delegate) {
			this.delegate = delegate;
		}

		@Override
		public String[] getSupportedVersions() {
			return this.delegate.getSupportedVersions();
		}

		@Override
		public List<WebSocketExtension> getSupportedExtensions(ServerHttpRequest request) {
			return List.of();
		}

		@Override
		public void upgrade(ServerHttpRequest request, ServerHttpResponse response, @Nullable String selectedProtocol,
				List<WebSocketExtension> selectedExtensions, @Nullable Principal user, WebSocketHandler wsHandler,
				Map<String, Object> attributes) throws HandshakeFailureException {
			ServerHttpRequest upgraded = request;
			if (request instanceof ServletServerHttpRequest servlet) {
				upgraded = new ServletServerHttpRequest(new WithoutExtensions(servlet.getServletRequest()));
			}
			this.delegate.upgrade(upgraded, response, selectedProtocol, List.of(), user, wsHandler, attributes);
		}

		private static final class WithoutExtensions extends HttpServletRequestWrapper {

			WithoutExtensions(HttpServletRequest request) {
				super(request);
			}

			@Override
			public @Nullable String getHeader(String name) {
				return EXTENSIONS_HEADER.equalsIgnoreCase(name) ? null : super.getHeader(name);
			}

			@Override
			public Enumeration<String> getHeaders(String name) {
				return EXTENSIONS_HEADER.equalsIgnoreCase(name) ? Collections.emptyEnumeration()
						: super.getHeaders(name);
			}

			@Override
			public Enumeration<String> getHeaderNames() {
				List<String> names = Collections.list(super.getHeaderNames());
				names.removeIf(EXTENSIONS_HEADER::equalsIgnoreCase);
				return Collections.enumeration(names);
			}

		}

	}

}
