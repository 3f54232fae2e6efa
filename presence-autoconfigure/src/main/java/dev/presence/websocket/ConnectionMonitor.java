package dev.presence.websocket;

/**
 * Told about what passes between this node and its clients, for metrics: frames sent to
 * members, frames refused, clients closed for not keeping up. The engine's own events
 * (changes applied, resynchronisations, reaped nodes) go to
 * {@link dev.presence.engine.PresenceMonitor}. Implementations must be fast and
 * thread-safe and must not throw: they are called on the paths that deliver frames.
 */
public interface ConnectionMonitor {

	/** A monitor that ignores everything. */
	ConnectionMonitor NONE = new ConnectionMonitor() {
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

}
