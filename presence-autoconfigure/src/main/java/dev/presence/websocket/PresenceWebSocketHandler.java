package dev.presence.websocket;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
import org.springframework.web.util.UriComponentsBuilder;

import dev.presence.core.LogValues;

/**
 * The WebSocket endpoint the Supabase and Phoenix clients connect to. Each session gets a
 * {@link PhoenixConnection} speaking the serializer its {@code vsn} asked for (chosen by
 * {@link PhoenixHandshakeInterceptor}); sends go through a {@link ClientOutbox}, so a
 * client that stops reading is closed once its buffer or send time limit is exceeded,
 * and slows nobody else down.
 */
public final class PresenceWebSocketHandler implements WebSocketHandler {

	private static final Log logger = LogFactory.getLog(PresenceWebSocketHandler.class);

	private static final String BLOCKING_SEND_TIMEOUT = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT";

	private final ConnectionServices services;

	private final int maxConnections;

	private final long idleTimeoutNanos;

	private final Executor sendPool;

	private final int sendTimeLimitMillis;

	private final int sendBufferSizeLimit;

	private final Map<String, PhoenixConnection> connections = new ConcurrentHashMap<>();

	/**
	 * Create the handler.
	 * @param settings how the endpoint behaves
	 */
	public PresenceWebSocketHandler(PresenceEndpointSettings settings) {
		PhoenixMessages messages = new PhoenixMessages(settings.mapper());
		ChannelTopics channelTopics = new ChannelTopics(messages, settings.monitor(), settings.scheduler(),
				settings.batchWindow());
		this.services = new ConnectionServices(settings.topics(), channelTopics, messages, settings.limits(),
				settings.executor(), settings.scheduler(), settings.monitor(), settings.authenticator(),
				settings.authorizer(), settings.keyBinding());
		this.maxConnections = settings.maxConnections();
		this.idleTimeoutNanos = settings.idleTimeout().toNanos();
		this.sendPool = settings.sendPool();
		long shortest = Math.min(settings.sendTimeLimit().toMillis(),
				(this.idleTimeoutNanos > 0) ? settings.idleTimeout().toMillis() : Long.MAX_VALUE);
		long sweep = Math.max(100, Math.min(1000, shortest / 4));
		settings.scheduler().scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
		this.sendTimeLimitMillis = Math.toIntExact(settings.sendTimeLimit().toMillis());
		this.sendBufferSizeLimit = settings.sendBufferSize();
	}

	/**
	 * The number of open connections on this node.
	 * @return the count
	 */
	public int connectionCount() {
		return this.connections.size();
	}

	/**
	 * The number of joined channels on this node.
	 * @return the count
	 */
	public int channelCount() {
		return this.services.channelTopics().channelCount();
	}

	@Override
	public void afterConnectionEstablished(WebSocketSession session) throws IOException {
		if (this.connections.size() >= this.maxConnections) {
			this.services.monitor().frameRejected("too-many-connections");
			session.close(CloseStatus.SERVICE_OVERLOAD.withReason("too many connections on this node"));
			return;
		}
		PhoenixSerializer serializer = (PhoenixSerializer) session.getAttributes()
			.get(PhoenixHandshakeInterceptor.SERIALIZER_ATTRIBUTE);
		if (serializer == null) {
			serializer = new V1JsonSerializer(this.services.messages().mapper());
		}
		if (session instanceof NativeWebSocketSession nativeSession
				&& nativeSession.getNativeSession() instanceof jakarta.websocket.Session container) {
			// Tomcat: a blocked write gives up after the send time limit instead of its 20 s default
			container.getUserProperties().put(BLOCKING_SEND_TIMEOUT, (long) this.sendTimeLimitMillis);
		}
		ClientOutbox outbox = new ClientOutbox(session, this.sendPool, this.services.executor(),
				this.sendBufferSizeLimit, TimeUnit.MILLISECONDS.toNanos(this.sendTimeLimitMillis),
				this.services.monitor());
		String apiKey = (session.getUri() != null)
				? UriComponentsBuilder.fromUri(session.getUri()).build().getQueryParams().getFirst("apikey") : null;
		PhoenixConnection connection = new PhoenixConnection(outbox, serializer, this.services, session.getPrincipal(),
				apiKey);
		this.connections.put(session.getId(), connection);
		if (logger.isDebugEnabled()) {
			logger.debug("Connection " + session.getId() + " opened with vsn " + serializer.version());
		}
	}

	/**
	 * Close the connections that sent nothing, not even a heartbeat, for the idle timeout
	 * (their presences leave as with any closed connection), and those a write has been
	 * stuck on past the send time limit. Done here rather than by the container, whose own
	 * idle check runs only every few seconds.
	 */
	private void sweep() {
		long now = System.nanoTime();
		for (PhoenixConnection connection : this.connections.values()) {
			try {
				connection.closeIfStuck(now);
				if (this.idleTimeoutNanos > 0 && now - connection.lastReceivedNanos() > this.idleTimeoutNanos) {
					logger.debug("Closing connection " + connection.id() + ", silent past the idle timeout");
					connection.close(ClientTransport.POLICY_VIOLATION, "idle timeout");
				}
			}
			catch (RuntimeException ex) {
				// a failure must not cancel the sweep, which a scheduled task that throws would
				logger.warn("Could not check connection " + connection.id() + " for idleness", ex);
			}
		}
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
		else if (message instanceof BinaryMessage) {
			connection.receiveBinary();
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
		PhoenixConnection connection = this.connections.remove(session.getId());
		if (connection != null) {
			if (logger.isDebugEnabled()) {
				// the reason of a close is the client's to choose
				logger.debug("Connection " + session.getId() + " closed: " + LogValues.quote(closeStatus));
			}
			connection.closed();
		}
	}

	@Override
	public boolean supportsPartialMessages() {
		// the connection assembles frames itself, so the container's per-connection
		// buffers stay small whatever the maximum frame size is
		return true;
	}

}
