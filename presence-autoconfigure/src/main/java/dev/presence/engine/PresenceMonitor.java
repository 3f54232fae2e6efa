package dev.presence.engine;


/**
 * Told about what happens inside presence, for metrics. Implementations must be fast and
 * thread-safe and must not throw: they are called on the paths that deliver presence.
 */
public interface PresenceMonitor {

	/** A monitor that ignores everything. */
	PresenceMonitor NONE = new PresenceMonitor() {
	};

	/**
	 * A diff of a topic was sent to the local members that have presence enabled.
	 * @param topic the topic
	 * @param frames the number of frames written, one per member
	 */
	default void diffSent(String topic, int frames) {
	}

	/**
	 * A broadcast to a topic was sent to the local members allowed to receive it.
	 * @param topic the topic
	 * @param frames the number of frames written, one per member
	 */
	default void broadcastSent(String topic, int frames) {
	}

	/**
	 * A change made on this node reached this node's replica of its topic.
	 * @param topic the topic
	 * @param nanos the time from the store call to the change being applied, in nanoseconds
	 */
	default void changeApplied(String topic, long nanos) {
	}

	/**
	 * A replica resynchronised from a snapshot (a lost change, a lost subscription, or a
	 * store that lost the topic).
	 * @param topic the topic
	 */
	default void resynchronised(String topic) {
	}

	/**
	 * A client frame was refused with an error reply, a {@code system} message or a close.
	 * @param reason a short, stable reason (e.g. {@code malformed}, {@code state-too-large})
	 */
	default void frameRejected(String reason) {
	}

	/**
	 * A client was closed because it did not keep up with what it was sent.
	 */
	default void slowClientClosed() {
	}

	/**
	 * This node reaped a dead node.
	 * @param node the dead node's id
	 * @param presences the number of presences removed
	 */
	default void nodeReaped(String node, int presences) {
	}

}
