package dev.presence.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties for Presence for Spring.
 */
@ConfigurationProperties("presence")
public class PresenceProperties {

	/**
	 * Whether to enable presence.
	 */
	private boolean enabled = true;

	/**
	 * Path of the WebSocket endpoint the Supabase and Phoenix clients connect to.
	 */
	private String endpoint = "/realtime/v1/websocket";

	/**
	 * Origins allowed to open the WebSocket, as patterns ("*" allows any origin). When
	 * none are set, any origin may connect with a token or anonymously, but a handshake
	 * authenticated by a cookie (or another credential the browser sends on its own) is
	 * accepted only from the application's own origin.
	 */
	private List<String> allowedOrigins = new ArrayList<>();

	/**
	 * Where presences are stored. By default Redis when a Lettuce connection factory is
	 * available, otherwise in memory.
	 */
	private @Nullable StoreType store;

	/**
	 * Id of this node in the cluster. Defaults to a new random id at every start.
	 */
	private @Nullable String nodeId;

	/**
	 * Time after which a node that stopped heart-beating is declared dead and its
	 * presences are removed by a surviving node.
	 */
	private Duration nodeTimeout = Duration.ofSeconds(10);

	/**
	 * Window over which a busy topic's changes are merged into one presence_diff for the
	 * node's members, for a topic with 100 or more members on the node; a topic with fewer
	 * waits that share of it. A change to a topic that sent nothing within its window goes
	 * out at once; zero sends every change at once.
	 */
	private Duration batchWindow = Duration.ofMillis(20);

	/**
	 * Maximum time a PresenceService call waits for the store.
	 */
	private Duration timeout = Duration.ofSeconds(5);

	private final Redis redis = new Redis();

	private final Limits limits = new Limits();

	private final Events events = new Events();

	private final Security security = new Security();

	private final Compression compression = new Compression();

	private final Server server = new Server();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public String getEndpoint() {
		return this.endpoint;
	}

	public void setEndpoint(String endpoint) {
		this.endpoint = endpoint;
	}

	public List<String> getAllowedOrigins() {
		return this.allowedOrigins;
	}

	public void setAllowedOrigins(List<String> allowedOrigins) {
		this.allowedOrigins = allowedOrigins;
	}

	public @Nullable StoreType getStore() {
		return this.store;
	}

	public void setStore(@Nullable StoreType store) {
		this.store = store;
	}

	public @Nullable String getNodeId() {
		return this.nodeId;
	}

	public void setNodeId(@Nullable String nodeId) {
		this.nodeId = nodeId;
	}

	public Duration getNodeTimeout() {
		return this.nodeTimeout;
	}

	public void setNodeTimeout(Duration nodeTimeout) {
		this.nodeTimeout = nodeTimeout;
	}

	public Duration getBatchWindow() {
		return this.batchWindow;
	}

	public void setBatchWindow(Duration batchWindow) {
		this.batchWindow = batchWindow;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public Redis getRedis() {
		return this.redis;
	}

	public Limits getLimits() {
		return this.limits;
	}

	public Events getEvents() {
		return this.events;
	}

	public Security getSecurity() {
		return this.security;
	}

	public Compression getCompression() {
		return this.compression;
	}

	public Server getServer() {
		return this.server;
	}

	/**
	 * Where presences are stored.
	 */
	public enum StoreType {

		/**
		 * Redis, shared by every node (needs Spring Data Redis with Lettuce).
		 */
		REDIS,

		/**
		 * This JVM's memory: one node only.
		 */
		MEMORY

	}

	/**
	 * Redis store properties.
	 */
	public static class Redis {

		/**
		 * Interval at which a node refreshes its heartbeat and the expiry of the topics it
		 * holds presences in.
		 */
		private Duration heartbeatInterval = Duration.ofSeconds(2);

		/**
		 * Time to live of a topic's keys after the last node holding presences in it
		 * stopped refreshing them.
		 */
		private Duration keyTimeToLive = Duration.ofMinutes(2);

		/**
		 * Maximum time a track, update or untrack is retried while Redis is unreachable or
		 * failing over, before its client gets an error reply (the last attempt may take up
		 * to the command timeout more). Keep it below the clients' push timeout (10s in
		 * supabase-js).
		 */
		private Duration mutationTimeout = Duration.ofSeconds(8);

		public Duration getHeartbeatInterval() {
			return this.heartbeatInterval;
		}

		public void setHeartbeatInterval(Duration heartbeatInterval) {
			this.heartbeatInterval = heartbeatInterval;
		}

		public Duration getKeyTimeToLive() {
			return this.keyTimeToLive;
		}

		public void setKeyTimeToLive(Duration keyTimeToLive) {
			this.keyTimeToLive = keyTimeToLive;
		}

		public Duration getMutationTimeout() {
			return this.mutationTimeout;
		}

		public void setMutationTimeout(Duration mutationTimeout) {
			this.mutationTimeout = mutationTimeout;
		}

	}

	/**
	 * The Reactor Netty transport: a WebSocket server of presence's own, beside the
	 * application's web server (or without one).
	 */
	public static class Server {

		/**
		 * Port of presence's own Reactor Netty WebSocket server. When set, presence is
		 * served there (at the endpoint path) instead of on the application's servlet
		 * container; 0 picks a free port. Needs reactor-netty-http on the classpath.
		 */
		private @Nullable Integer port;

		/**
		 * Network address the Reactor Netty server binds to; every address when not set.
		 */
		private @Nullable String address;

		/**
		 * How long stopping the Reactor Netty server may wait for its connections to close.
		 */
		private Duration shutdownTimeout = Duration.ofSeconds(10);

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

		public @Nullable String getAddress() {
			return this.address;
		}

		public void setAddress(@Nullable String address) {
			this.address = address;
		}

		public Duration getShutdownTimeout() {
			return this.shutdownTimeout;
		}

		public void setShutdownTimeout(Duration shutdownTimeout) {
			this.shutdownTimeout = shutdownTimeout;
		}

	}

	/**
	 * WebSocket per-message compression.
	 */
	public static class Compression {

		/**
		 * Whether to accept the permessage-deflate extension when a client offers it (every
		 * browser does). Off by default, as in Phoenix: compression saves bandwidth but
		 * costs each connection a deflater (hundreds of KB of native memory) and each frame
		 * a compression per member.
		 */
		private boolean enabled;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Limits each client is held to.
	 */
	public static class Limits {

		/**
		 * Maximum size of one WebSocket frame from a client; a larger frame closes the
		 * connection with status 1009.
		 */
		private DataSize maxFrameSize = DataSize.ofMegabytes(1);

		/**
		 * Maximum size of a tracked presence state, as JSON; a larger track closes the
		 * channel with the system message "Track message size exceeded".
		 */
		private DataSize maxStateSize = DataSize.ofKilobytes(64);

		/**
		 * Maximum total size of the presence states one connection tracks over all its
		 * channels, as JSON; a track past it gets the error reply
		 * "TrackedStateLimitReached: ..." and the channel's presence stays as it was.
		 */
		private DataSize maxStateSizePerConnection = DataSize.ofMegabytes(2);

		/**
		 * Maximum number of channels one connection may join.
		 */
		private int maxChannelsPerConnection = 100;

		/**
		 * Maximum length of a channel name (the topic without its "realtime:" prefix), in
		 * characters; a longer one gets the join error "TopicNameTooLong". Every topic
		 * name becomes part of Redis key names.
		 */
		private int maxTopicLength = 256;

		/**
		 * Maximum number of frames of one connection waiting to be handled; past it the
		 * connection is closed with status 1008.
		 */
		private int maxPendingFrames = 1000;

		/**
		 * Size of the message buffers the WebSocket container allocates for every session
		 * (of every endpoint of the application). Presence assembles frames itself, so a
		 * small size (e.g. 1KB) saves memory per connection; unset leaves the container's
		 * default (8KB with Tomcat).
		 */
		private @Nullable DataSize containerBufferSize;

		/**
		 * Maximum number of WebSocket connections this node accepts; one more is closed at
		 * once with status 1013 (try again later).
		 */
		private int maxConnections = 20_000;

		/**
		 * Maximum number of joins one connection may send per second; one more gets the
		 * join error "ClientJoinRateLimitReached: Too many joins per second".
		 */
		private int maxJoinsPerSecond = 10;

		/**
		 * Maximum number of presences in one topic; a track that would add one more gets
		 * an error reply.
		 */
		private int maxPresencesPerTopic = 10_000;

		/**
		 * Maximum number of presences this node tracks, for its connections and through
		 * PresenceService; a track that would add one more gets the error reply
		 * "TooManyPresences: This node holds the maximum number of presences" (a
		 * PresenceLimitExceededException from PresenceService).
		 */
		private int maxPresencesPerNode = 100_000;

		/**
		 * Time within which a channel's re-tracks are coalesced: the last state wins and
		 * is stored once at the end of the window.
		 */
		private Duration trackCoalesceWindow = Duration.ofMillis(100);

		/**
		 * Maximum number of presence messages (track and untrack) one channel may send
		 * within the presence message window; one more closes the channel with the system
		 * message "Client presence rate limit exceeded".
		 */
		private int maxPresenceMessages = 100;

		/**
		 * Window over which presence messages are counted against the maximum.
		 */
		private Duration presenceMessageWindow = Duration.ofSeconds(10);

		/**
		 * Time after which a connection that sent nothing (not even a heartbeat) is closed.
		 */
		private Duration idleTimeout = Duration.ofSeconds(60);

		/**
		 * Maximum time one send to a client may take before the client is closed.
		 */
		private Duration sendTimeLimit = Duration.ofSeconds(10);

		/**
		 * Maximum bytes (of UTF-8 text) queued for one client, not counting the largest
		 * queued frame; past it the client is closed with status 4500 and its presences
		 * leave. One frame larger than this (a big room's state) still reaches a client
		 * that keeps up.
		 */
		private DataSize sendBufferSize = DataSize.ofMegabytes(1);

		/**
		 * Maximum number of broadcasts one connection may send per second, over all its
		 * channels; past it the channel is closed with the system message "Too many
		 * messages per second".
		 */
		private int maxBroadcastsPerSecond = 100;

		/**
		 * Maximum size of one broadcast's payload (JSON or binary); a larger one is
		 * refused with an error reply and not sent.
		 */
		private DataSize maxBroadcastPayloadSize = DataSize.ofKilobytes(256);

		public DataSize getMaxFrameSize() {
			return this.maxFrameSize;
		}

		public void setMaxFrameSize(DataSize maxFrameSize) {
			this.maxFrameSize = maxFrameSize;
		}

		public DataSize getMaxStateSize() {
			return this.maxStateSize;
		}

		public void setMaxStateSize(DataSize maxStateSize) {
			this.maxStateSize = maxStateSize;
		}

		public DataSize getMaxStateSizePerConnection() {
			return this.maxStateSizePerConnection;
		}

		public void setMaxStateSizePerConnection(DataSize maxStateSizePerConnection) {
			this.maxStateSizePerConnection = maxStateSizePerConnection;
		}

		public int getMaxChannelsPerConnection() {
			return this.maxChannelsPerConnection;
		}

		public void setMaxChannelsPerConnection(int maxChannelsPerConnection) {
			this.maxChannelsPerConnection = maxChannelsPerConnection;
		}

		public int getMaxTopicLength() {
			return this.maxTopicLength;
		}

		public void setMaxTopicLength(int maxTopicLength) {
			this.maxTopicLength = maxTopicLength;
		}

		public int getMaxPendingFrames() {
			return this.maxPendingFrames;
		}

		public void setMaxPendingFrames(int maxPendingFrames) {
			this.maxPendingFrames = maxPendingFrames;
		}

		public @Nullable DataSize getContainerBufferSize() {
			return this.containerBufferSize;
		}

		public void setContainerBufferSize(@Nullable DataSize containerBufferSize) {
			this.containerBufferSize = containerBufferSize;
		}

		public int getMaxConnections() {
			return this.maxConnections;
		}

		public void setMaxConnections(int maxConnections) {
			this.maxConnections = maxConnections;
		}

		public int getMaxJoinsPerSecond() {
			return this.maxJoinsPerSecond;
		}

		public void setMaxJoinsPerSecond(int maxJoinsPerSecond) {
			this.maxJoinsPerSecond = maxJoinsPerSecond;
		}

		public int getMaxPresencesPerTopic() {
			return this.maxPresencesPerTopic;
		}

		public void setMaxPresencesPerTopic(int maxPresencesPerTopic) {
			this.maxPresencesPerTopic = maxPresencesPerTopic;
		}

		public int getMaxPresencesPerNode() {
			return this.maxPresencesPerNode;
		}

		public void setMaxPresencesPerNode(int maxPresencesPerNode) {
			this.maxPresencesPerNode = maxPresencesPerNode;
		}

		public Duration getTrackCoalesceWindow() {
			return this.trackCoalesceWindow;
		}

		public void setTrackCoalesceWindow(Duration trackCoalesceWindow) {
			this.trackCoalesceWindow = trackCoalesceWindow;
		}

		public int getMaxPresenceMessages() {
			return this.maxPresenceMessages;
		}

		public void setMaxPresenceMessages(int maxPresenceMessages) {
			this.maxPresenceMessages = maxPresenceMessages;
		}

		public Duration getPresenceMessageWindow() {
			return this.presenceMessageWindow;
		}

		public void setPresenceMessageWindow(Duration presenceMessageWindow) {
			this.presenceMessageWindow = presenceMessageWindow;
		}

		public Duration getIdleTimeout() {
			return this.idleTimeout;
		}

		public void setIdleTimeout(Duration idleTimeout) {
			this.idleTimeout = idleTimeout;
		}

		public Duration getSendTimeLimit() {
			return this.sendTimeLimit;
		}

		public void setSendTimeLimit(Duration sendTimeLimit) {
			this.sendTimeLimit = sendTimeLimit;
		}

		public DataSize getSendBufferSize() {
			return this.sendBufferSize;
		}

		public void setSendBufferSize(DataSize sendBufferSize) {
			this.sendBufferSize = sendBufferSize;
		}

		public int getMaxBroadcastsPerSecond() {
			return this.maxBroadcastsPerSecond;
		}

		public void setMaxBroadcastsPerSecond(int maxBroadcastsPerSecond) {
			this.maxBroadcastsPerSecond = maxBroadcastsPerSecond;
		}

		public DataSize getMaxBroadcastPayloadSize() {
			return this.maxBroadcastPayloadSize;
		}

		public void setMaxBroadcastPayloadSize(DataSize maxBroadcastPayloadSize) {
			this.maxBroadcastPayloadSize = maxBroadcastPayloadSize;
		}

	}

	/**
	 * Authentication and authorization properties.
	 */
	public static class Security {

		/**
		 * Which presence key a client may track under: its own choice, or the name of its
		 * authenticated principal (or one of its token's claims), in which case a join
		 * asking for another key is refused.
		 */
		private KeyBinding keyBinding = KeyBinding.NONE;

		/**
		 * Claim whose value is the presence key when the key binding is "claim".
		 */
		private String keyClaim = "sub";

		private final Jwt jwt = new Jwt();

		public KeyBinding getKeyBinding() {
			return this.keyBinding;
		}

		public void setKeyBinding(KeyBinding keyBinding) {
			this.keyBinding = keyBinding;
		}

		public String getKeyClaim() {
			return this.keyClaim;
		}

		public void setKeyClaim(String keyClaim) {
			this.keyClaim = keyClaim;
		}

		public Jwt getJwt() {
			return this.jwt;
		}

		/**
		 * How a presence key is bound to the client's identity.
		 */
		public enum KeyBinding {

			/**
			 * The client chooses its key (or gets a new UUID).
			 */
			NONE,

			/**
			 * The key is the authenticated principal's name.
			 */
			PRINCIPAL,

			/**
			 * The key is the value of a claim of the client's token.
			 */
			CLAIM

		}

		/**
		 * JWT authentication properties.
		 */
		public static class Jwt {

			/**
			 * Whether to validate the access token (or, without one, the apikey) as a JWT
			 * with the application's JwtDecoder when one exists.
			 */
			private boolean enabled = true;

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

		}

	}

	/**
	 * Application event properties.
	 */
	public static class Events {

		/**
		 * Whether to publish PresenceJoinEvent, PresenceLeaveEvent and PresenceSyncEvent
		 * as application events.
		 */
		private boolean enabled = true;

		/**
		 * Maximum number of events waiting for slow listeners; past it new events are
		 * dropped (and logged) rather than delaying clients.
		 */
		private int queueCapacity = 10_000;

		/**
		 * Whether to publish a ClientBroadcastEvent for every broadcast a client sends,
		 * on the node it is connected to.
		 */
		private boolean clientBroadcasts = false;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getQueueCapacity() {
			return this.queueCapacity;
		}

		public void setQueueCapacity(int queueCapacity) {
			this.queueCapacity = queueCapacity;
		}

		public boolean isClientBroadcasts() {
			return this.clientBroadcasts;
		}

		public void setClientBroadcasts(boolean clientBroadcasts) {
			this.clientBroadcasts = clientBroadcasts;
		}

	}

}
