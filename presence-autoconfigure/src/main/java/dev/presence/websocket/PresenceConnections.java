package dev.presence.websocket;

import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;
import tools.jackson.databind.json.JsonMapper;

/**
 * The presence connections of this node, whatever transport carries them: the servlet
 * WebSocket endpoint ({@link dev.presence.websocket.servlet.PresenceWebSocketHandler}) and
 * the Reactor Netty server ({@link dev.presence.websocket.netty.NettyPresenceServer}) both
 * open and close their connections here, so the
 * connection limit, the idle timeout and the counts that metrics and health report hold
 * for the node as a whole.
 * <p>
 * A transport hands each client's frames to the {@link PhoenixConnection} it gets from
 * {@link #open}, and reports the client gone with {@link #closed}.
 */
public final class PresenceConnections {

	private static final Log logger = LogFactory.getLog(PresenceConnections.class);

	private final ConnectionServices services;

	private final List<PhoenixSerializer> serializers;

	private final int maxConnections;

	private final long idleTimeoutNanos;

	private final long sendTimeLimitNanos;

	private final int sendBufferSize;

	private final Map<String, PhoenixConnection> connections = new ConcurrentHashMap<>();

	/**
	 * Create the registry, and start checking its connections for idleness and stuck
	 * writes on the settings' scheduler.
	 * @param settings how the endpoint behaves
	 */
	public PresenceConnections(PresenceEndpointSettings settings) {
		JsonMapper mapper = settings.mapper();
		PhoenixMessages messages = new PhoenixMessages(mapper);
		ChannelTopics channelTopics = new ChannelTopics(messages, settings.monitor(), settings.scheduler(),
				settings.batchWindow());
		this.services = new ConnectionServices(settings.topics(), channelTopics, messages, settings.limits(),
				settings.executor(), settings.scheduler(), settings.monitor(), settings.authenticator(),
				settings.authorizer(), settings.keyBinding(), settings.clock(), settings.broadcastReceived());
		this.serializers = List.of(new V1JsonSerializer(mapper), new V2JsonSerializer(mapper));
		this.maxConnections = settings.maxConnections();
		this.idleTimeoutNanos = settings.idleTimeout().toNanos();
		this.sendTimeLimitNanos = settings.sendTimeLimit().toNanos();
		this.sendBufferSize = settings.sendBufferSize();
		long shortest = Math.min(settings.sendTimeLimit().toMillis(),
				(this.idleTimeoutNanos > 0) ? settings.idleTimeout().toMillis() : Long.MAX_VALUE);
		long sweep = Math.max(100, Math.min(1000, shortest / 4));
		settings.scheduler().scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
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

	/**
	 * The serializer a client asked for with the {@code vsn} query parameter
	 * (docs/protocol.md §1.3): none means {@code 1.0.0}, as in Phoenix; {@code 1.x} and
	 * {@code 2.x} are served.
	 * @param vsn the parameter's value, or {@code null} when the client sent none
	 * @return the serializer, or {@code null} for a version this server does not speak
	 */
	public @Nullable PhoenixSerializer serializer(@Nullable String vsn) {
		String version = (vsn != null) ? vsn : V1JsonSerializer.VERSION;
		String major = version.contains(".") ? version.substring(0, version.indexOf('.')) : version;
		for (PhoenixSerializer serializer : this.serializers) {
			if (serializer.version().startsWith(major + ".")) {
				return serializer;
			}
		}
		return null;
	}

	/**
	 * The answer, as a JSON body, to a handshake whose {@code vsn} this server does not
	 * speak.
	 */
	public static String unsupportedVersionError() {
		return "{\"error\":\"unsupported serializer version (vsn), use 1.0.0 or 2.0.0\"}";
	}

	/**
	 * The send time limit, which a transport holds each client's writes to.
	 * @return nanoseconds
	 */
	public long sendTimeLimitNanos() {
		return this.sendTimeLimitNanos;
	}

	/**
	 * The send buffer size, which bounds each client's {@link ClientBacklog}.
	 * @return bytes
	 */
	public int sendBufferSize() {
		return this.sendBufferSize;
	}

	/**
	 * The largest message a client may send, which a transport that assembles messages
	 * itself holds them to.
	 * @return bytes
	 */
	public int maxFrameBytes() {
		return this.services.limits().maxFrameBytes();
	}

	/**
	 * How long a connection may stay silent; zero for ever.
	 * @return the idle timeout
	 */
	public Duration idleTimeout() {
		return Duration.ofNanos(this.idleTimeoutNanos);
	}

	/**
	 * Told about slow clients and refused frames.
	 * @return the monitor
	 */
	public ConnectionMonitor monitor() {
		return this.services.monitor();
	}

	/**
	 * Where a transport may run short work off its own threads (closing a client).
	 * @return the executor
	 */
	public Executor executor() {
		return this.services.executor();
	}

	ConnectionServices services() {
		return this.services;
	}

	/**
	 * The open connection a transport knows by this id.
	 */
	public @Nullable PhoenixConnection get(String id) {
		return this.connections.get(id);
	}

	/**
	 * Start speaking the protocol to a client whose handshake succeeded; a node at its
	 * connection limit closes it instead, with {@code 1013}.
	 * @param transport the client's transport
	 * @param serializer the serializer its {@code vsn} chose
	 * @param principal who the handshake authenticated, if the transport knows
	 * @param apiKey the {@code apikey} query parameter, if any
	 * @return the connection, or {@code null} when the node is full
	 */
	public @Nullable PhoenixConnection open(ClientTransport transport, PhoenixSerializer serializer,
			@Nullable Principal principal, @Nullable String apiKey) {
		if (this.connections.size() >= this.maxConnections) {
			this.services.monitor().frameRejected("too-many-connections");
			transport.close(ClientTransport.TRY_AGAIN_LATER, "too many connections on this node");
			return null;
		}
		PhoenixConnection connection = new PhoenixConnection(transport, serializer, this.services, principal,
				apiKey);
		this.connections.put(transport.id(), connection);
		if (logger.isDebugEnabled()) {
			logger.debug("Connection " + transport.id() + " opened with vsn " + serializer.version());
		}
		return connection;
	}

	/**
	 * The client is gone: end its channels, which removes its presences.
	 * @param id the transport's id of the connection
	 * @param how how it closed, for the log
	 */
	public void closed(String id, Object how) {
		PhoenixConnection connection = this.connections.remove(id);
		if (connection != null) {
			if (logger.isDebugEnabled()) {
				// the reason of a close is the client's to choose
				logger.debug("Connection " + id + " closed: " + LogValues.quote(how));
			}
			connection.closed();
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

}
