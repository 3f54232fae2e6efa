package dev.presence.websocket;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;

import dev.presence.core.PresenceMonitor;
import dev.presence.core.PresenceTopics;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WebSocket endpoint the Supabase and Phoenix clients connect to. Each session gets a
 * {@link PhoenixConnection} speaking the serializer its {@code vsn} asked for (chosen by
 * {@link PhoenixHandshakeInterceptor}); sends go through a
 * {@link ConcurrentWebSocketSessionDecorator}, so a client that stops reading is closed
 * once its buffer or send time limit is exceeded.
 */
public final class PresenceWebSocketHandler implements WebSocketHandler {

	private static final Log logger = LogFactory.getLog(PresenceWebSocketHandler.class);

	private final PresenceTopics topics;

	private final PhoenixMessages messages;

	private final ChannelTopics channelTopics;

	private final ChannelLimits limits;

	private final Executor executor;

	private final PresenceMonitor monitor;

	private final int sendTimeLimitMillis;

	private final int sendBufferSizeLimit;

	private final Map<String, PhoenixConnection> connections = new ConcurrentHashMap<>();

	/**
	 * Create the handler.
	 * @param topics the node's topics
	 * @param mapper the JSON mapper of the protocol
	 * @param limits the limits of each connection
	 * @param executor the executor frames are handled on
	 * @param sendTimeLimitMillis maximum time one send to a client may take, in milliseconds
	 * @param sendBufferSizeLimit maximum bytes buffered for a client that is not reading
	 * @param monitor told about rejected frames and slow clients, for metrics
	 * @param scheduler the scheduler that flushes batched diffs
	 * @param batchWindow how long a topic's changes are merged before they are sent, zero
	 * to send each at once
	 */
	public PresenceWebSocketHandler(PresenceTopics topics, JsonMapper mapper, ChannelLimits limits, Executor executor,
			int sendTimeLimitMillis, int sendBufferSizeLimit, PresenceMonitor monitor,
			ScheduledExecutorService scheduler, Duration batchWindow) {
		this.topics = topics;
		this.monitor = monitor;
		this.messages = new PhoenixMessages(mapper);
		this.channelTopics = new ChannelTopics(this.messages, monitor, scheduler, batchWindow);
		this.limits = limits;
		this.executor = executor;
		this.sendTimeLimitMillis = sendTimeLimitMillis;
		this.sendBufferSizeLimit = sendBufferSizeLimit;
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
		return this.channelTopics.channelCount();
	}

	@Override
	public void afterConnectionEstablished(WebSocketSession session) {
		PhoenixSerializer serializer = (PhoenixSerializer) session.getAttributes()
			.get(PhoenixHandshakeInterceptor.SERIALIZER_ATTRIBUTE);
		if (serializer == null) {
			serializer = new V1JsonSerializer(this.messages.mapper());
		}
		WebSocketSession decorated = new ConcurrentWebSocketSessionDecorator(session, this.sendTimeLimitMillis,
				this.sendBufferSizeLimit, ConcurrentWebSocketSessionDecorator.OverflowStrategy.TERMINATE);
		PhoenixConnection connection = new PhoenixConnection(decorated, serializer, this.messages, this.topics,
				this.channelTopics, this.limits, this.executor, this.monitor);
		this.connections.put(session.getId(), connection);
		if (logger.isDebugEnabled()) {
			logger.debug("Connection " + session.getId() + " opened with vsn " + serializer.version());
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
				logger.debug("Connection " + session.getId() + " closed: " + closeStatus);
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
