package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import dev.presence.core.Presence;
import dev.presence.core.PresenceState;
import dev.presence.engine.TopicReplica;
import dev.presence.security.PresenceIdentity;

/**
 * One joined topic on one connection: its join ref, its presence key, who it acts for,
 * and the presence it tracks. A channel holds at most one presence; a re-track replaces
 * it. Its mutable state is touched by its connection's frame handling, one step at a
 * time, and read by the topic's executor.
 */
final class PhoenixChannel {

	static final String TOPIC_PREFIX = "realtime:";

	static final String PRIVATE_PREFIX = "private:";

	private final PhoenixConnection connection;

	private final String topic;

	private final String storeTopic;

	private final String joinRef;

	private final String key;

	private volatile PresenceIdentity identity;

	private volatile boolean presenceEnabled;

	private volatile @Nullable Presence presence;

	private volatile @Nullable TopicReplica replica;

	private volatile boolean closed;

	private final boolean broadcastSelf;

	private final boolean broadcastAck;

	// what the authorizer allowed at the join or the last token refresh
	private volatile boolean broadcastSendAllowed;

	private volatile boolean broadcastReceiveAllowed;

	// made on the channel's first broadcast; read by the topic's fan-out
	private volatile @Nullable String senderId;

	// the fields below are touched only by the connection's frame handling
	private @Nullable PresenceState pendingState;

	private boolean flushScheduled;

	private long lastWriteNanos;

	private final FixedWindowCounter presenceMessages;

	/**
	 * A channel joined as its join asked.
	 * @param config what the join asked for: private or not, presence, the broadcast flags
	 */
	PhoenixChannel(PhoenixConnection connection, String topic, String joinRef, String key, PresenceIdentity identity,
			JoinConfig config, long presenceMessageWindowNanos) {
		this.connection = connection;
		this.topic = topic;
		this.storeTopic = config.privateChannel() ? PRIVATE_PREFIX + topic : topic;
		this.joinRef = joinRef;
		this.key = key;
		this.identity = identity;
		this.presenceEnabled = config.presenceEnabled();
		this.broadcastSelf = config.broadcastSelf();
		this.broadcastAck = config.broadcastAck();
		this.presenceMessages = new FixedWindowCounter(presenceMessageWindowNanos);
	}

	/**
	 * The channel name clients use: the topic without its {@code realtime:} prefix.
	 */
	static String channelName(String topic) {
		return topic.startsWith(TOPIC_PREFIX) ? topic.substring(TOPIC_PREFIX.length()) : topic;
	}

	/**
	 * The topic as it travels on the wire, from the topic the store knows: private topics
	 * live apart from public ones of the same name (docs/protocol.md §5.6).
	 */
	static String wireTopic(String storeTopic) {
		return storeTopic.startsWith(PRIVATE_PREFIX) ? storeTopic.substring(PRIVATE_PREFIX.length()) : storeTopic;
	}

	PhoenixConnection connection() {
		return this.connection;
	}

	/** The topic on the wire, e.g. {@code realtime:room_01}. */
	String topic() {
		return this.topic;
	}

	/** The topic in the store and in events: private topics carry a {@code private:} prefix. */
	String storeTopic() {
		return this.storeTopic;
	}

	String joinRef() {
		return this.joinRef;
	}

	String key() {
		return this.key;
	}

	PresenceIdentity identity() {
		return this.identity;
	}

	void identity(PresenceIdentity identity) {
		this.identity = identity;
	}

	boolean presenceEnabled() {
		return this.presenceEnabled;
	}

	void enablePresence() {
		this.presenceEnabled = true;
	}

	@Nullable Presence presence() {
		return this.presence;
	}

	void presence(@Nullable Presence presence) {
		this.presence = presence;
	}

	@Nullable TopicReplica replica() {
		return this.replica;
	}

	void replica(TopicReplica replica) {
		this.replica = replica;
	}

	/** Whether the client asked for its own broadcasts ({@code config.broadcast.self}). */
	boolean broadcastSelf() {
		return this.broadcastSelf;
	}

	/** Whether the client asked for its broadcasts to be acknowledged. */
	boolean broadcastAck() {
		return this.broadcastAck;
	}

	boolean broadcastSendAllowed() {
		return this.broadcastSendAllowed;
	}

	boolean broadcastReceiveAllowed() {
		return this.broadcastReceiveAllowed;
	}

	/**
	 * What the authorizer allows the channel's identity to do with broadcasts.
	 */
	void allowBroadcasts(boolean send, boolean receive) {
		this.broadcastSendAllowed = send;
		this.broadcastReceiveAllowed = receive;
	}

	/**
	 * The id the channel's broadcasts carry so that the members leave them out, unique
	 * across nodes; {@code null} until the channel first broadcasts.
	 */
	@Nullable String senderId() {
		return this.senderId;
	}

	void senderId(String senderId) {
		this.senderId = senderId;
	}

	/** Whether this is a private channel. */
	boolean privateChannel() {
		return !this.topic.equals(this.storeTopic);
	}

	boolean closed() {
		return this.closed;
	}

	void markClosed() {
		this.closed = true;
		this.pendingState = null;
	}

	/** The state a coalesced track will store at the end of its window, if any. */
	@Nullable PresenceState pendingState() {
		return this.pendingState;
	}

	void pendingState(@Nullable PresenceState state) {
		this.pendingState = state;
	}

	/**
	 * The size of the state this channel holds: the one a coalesced track will store, or
	 * else its presence's, in bytes of JSON.
	 */
	int trackedStateBytes() {
		PresenceState pending = this.pendingState;
		Presence presence = this.presence;
		return (pending != null) ? pending.size() : (presence != null) ? presence.encodedState().size() : 0;
	}

	boolean flushScheduled() {
		return this.flushScheduled;
	}

	void flushScheduled(boolean scheduled) {
		this.flushScheduled = scheduled;
	}

	long lastWriteNanos() {
		return this.lastWriteNanos;
	}

	void lastWriteNanos(long nanos) {
		this.lastWriteNanos = nanos;
	}

	/**
	 * Count one presence message against the channel's fixed window.
	 * @return the number of messages in the current window, this one included
	 */
	int countMessage(long nowNanos) {
		return this.presenceMessages.increment(nowNanos);
	}

}
