package dev.presence.websocket.servlet;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
import org.springframework.web.util.UriComponentsBuilder;

import dev.presence.websocket.PhoenixConnection;
import dev.presence.websocket.PhoenixSerializer;
import dev.presence.websocket.PresenceConnections;

/**
 * The servlet transport: the WebSocket endpoint on the application's own port that the
 * Supabase and Phoenix clients connect to. Each session gets a {@link PhoenixConnection}
 * from the node's {@link PresenceConnections}, speaking the serializer its {@code vsn}
 * asked for (chosen by {@link PhoenixHandshakeInterceptor}); sends go through a
 * {@link ClientOutbox}, so a client that stops reading is closed once its buffer or send
 * time limit is exceeded, and slows nobody else down.
 */
public final class PresenceWebSocketHandler implements WebSocketHandler, DisposableBean {

	private static final Log logger = LogFactory.getLog(PresenceWebSocketHandler.class);

	private static final String BLOCKING_SEND_TIMEOUT = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT";

	private final PresenceConnections connections;

	private static final int SEND_THREADS = 16;

	private final ThreadPoolExecutor sendPool;

	/**
	 * Create the handler, and its pool of {@code presence-send-N} threads, which write to
	 * clients, one write per client at a time.
	 * @param connections the node's connections
	 */
	public PresenceWebSocketHandler(PresenceConnections connections) {
		this.connections = connections;
		// writes may block on a client that stops reading (until the send time limit): more
		// threads than cores, so that a few such clients cannot hold up everyone's writes
		this.sendPool = new ThreadPoolExecutor(SEND_THREADS, SEND_THREADS, 60, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), new CustomizableThreadFactory("presence-send-"));
		this.sendPool.allowCoreThreadTimeOut(true);
	}

	@Override
	public void destroy() {
		this.sendPool.shutdown();
	}

	@Override
	public void afterConnectionEstablished(WebSocketSession session) {
		PhoenixSerializer serializer = (PhoenixSerializer) session.getAttributes()
			.get(PhoenixHandshakeInterceptor.SERIALIZER_ATTRIBUTE);
		if (serializer == null) {
			serializer = this.connections.serializer(null);
		}
		long sendTimeLimitNanos = this.connections.sendTimeLimitNanos();
		if (session instanceof NativeWebSocketSession nativeSession
				&& nativeSession.getNativeSession() instanceof jakarta.websocket.Session container) {
			// Tomcat: a blocked write gives up after the send time limit instead of its 20 s default
			container.getUserProperties().put(BLOCKING_SEND_TIMEOUT, TimeUnit.NANOSECONDS.toMillis(sendTimeLimitNanos));
		}
		ClientOutbox outbox = new ClientOutbox(session, this.sendPool, this.connections.executor(),
				this.connections.sendBufferSize(), sendTimeLimitNanos, this.connections.monitor());
		String apiKey = (session.getUri() != null)
				? UriComponentsBuilder.fromUri(session.getUri()).build().getQueryParams().getFirst("apikey") : null;
		this.connections.open(outbox, serializer, session.getPrincipal(), apiKey);
	}

	@Override
	public void handleMessage(WebSocketSession session, WebSocketMessage<?> message) {
		PhoenixConnection connection = this.connections.get(session.getId());
		if (connection == null) {
			return;
		}
		if (message instanceof TextMessage text) {
			connection.receive(text.getPayload(), text.isLast());
		}
		else if (message instanceof BinaryMessage binary) {
			connection.receiveBinary(binary.getPayload(), binary.isLast());
		}
		else if (!(message instanceof PongMessage)) {
			logger.debug("Ignoring " + message.getClass().getSimpleName() + " on connection " + session.getId());
		}
	}

	@Override
	public void handleTransportError(WebSocketSession session, Throwable exception) {
		if (logger.isDebugEnabled()) {
			logger.debug("Transport error on connection " + session.getId() + ": " + exception);
		}
	}

	@Override
	public void afterConnectionClosed(WebSocketSession session, CloseStatus closeStatus) {
		this.connections.closed(session.getId(), closeStatus);
	}

	@Override
	public boolean supportsPartialMessages() {
		// the connection assembles frames itself, so the container's per-connection
		// buffers stay small whatever the maximum frame size is
		return true;
	}

}
