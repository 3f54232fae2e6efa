package dev.presence.security;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Decides who may join which topic, track what, and send and receive broadcasts. Denials reach the client as a join
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
	 * Whether a client may send broadcasts to a topic it joined. Asked when it joins and
	 * again when it refreshes its token; a client that may not is answered with an error
	 * reply to each broadcast.
	 * @param identity who asks
	 * @param topic the topic
	 * @param privateChannel whether it is a private channel
	 * @return {@code true} to allow; the default allows every client that may join
	 */
	default boolean canSendBroadcast(PresenceIdentity identity, String topic, boolean privateChannel) {
		return true;
	}

	/**
	 * Whether a client receives the broadcasts of a topic it joined. Asked when it joins
	 * and again when it refreshes its token.
	 * @param identity who asks
	 * @param topic the topic
	 * @param privateChannel whether it is a private channel
	 * @return {@code true} to allow; the default allows every client that may join
	 */
	default boolean canReceiveBroadcasts(PresenceIdentity identity, String topic, boolean privateChannel) {
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
