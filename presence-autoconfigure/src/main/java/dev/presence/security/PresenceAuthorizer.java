package dev.presence.security;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Decides who may join which topic and track what. Denials reach the client as a join
 * error with a readable reason, or as an error reply to the track.
 */
public interface PresenceAuthorizer {

	/**
	 * Whether a client may join a topic.
	 * @param identity who asks
	 * @param topic the topic, e.g. {@code realtime:room_01}
	 * @param privateChannel whether the join asked for a private channel
	 * @return {@code true} to allow
	 */
	boolean canJoin(PresenceIdentity identity, String topic, boolean privateChannel);

	/**
	 * Whether a client may track a presence.
	 * @param identity who asks
	 * @param topic the topic
	 * @param key the presence key
	 * @param state the state to track
	 * @return {@code true} to allow
	 */
	default boolean canTrack(PresenceIdentity identity, String topic, String key, Map<String, @Nullable Object> state) {
		return true;
	}

	/**
	 * The default: every public topic, no private one (docs/protocol.md §5.5).
	 * @return the authorizer
	 */
	static PresenceAuthorizer publicTopicsOnly() {
		return (identity, topic, privateChannel) -> !privateChannel;
	}

}
