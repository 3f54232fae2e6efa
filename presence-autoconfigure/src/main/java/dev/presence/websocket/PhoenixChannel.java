package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import dev.presence.core.Presence;
import dev.presence.core.TopicReplica;

/**
 * One joined topic on one connection: its join ref, its presence key and the presence it
 * tracks. A channel holds at most one presence; a re-track replaces it.
 */
final class PhoenixChannel {

	static final String TOPIC_PREFIX = "realtime:";

	private final PhoenixConnection connection;

	private final String topic;

	private final String joinRef;

	private final String key;

	private volatile boolean presenceEnabled;

	private volatile @Nullable Presence presence;

	private volatile @Nullable TopicReplica replica;

	private volatile boolean closed;

	PhoenixChannel(PhoenixConnection connection, String topic, String joinRef, String key, boolean presenceEnabled) {
		this.connection = connection;
		this.topic = topic;
		this.joinRef = joinRef;
		this.key = key;
		this.presenceEnabled = presenceEnabled;
	}

	/**
	 * The channel name clients use: the topic without its {@code realtime:} prefix.
	 */
	static String channelName(String topic) {
		return topic.startsWith(TOPIC_PREFIX) ? topic.substring(TOPIC_PREFIX.length()) : topic;
	}

	PhoenixConnection connection() {
		return this.connection;
	}

	String topic() {
		return this.topic;
	}

	String joinRef() {
		return this.joinRef;
	}

	String key() {
		return this.key;
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

	boolean closed() {
		return this.closed;
	}

	void markClosed() {
		this.closed = true;
	}

}
