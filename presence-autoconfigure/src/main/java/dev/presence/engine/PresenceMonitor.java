package dev.presence.engine;


/**
 * Told about what happens inside the engine and its store, for metrics: changes applied,
 * replicas resynchronised, dead nodes reaped. What passes between the node and its clients
 * goes to the transport side's {@code ConnectionMonitor}. Implementations must be fast and
 * thread-safe and must not throw: they are called on the paths that deliver presence.
 */
public interface PresenceMonitor {

	/** A monitor that ignores everything. */
	PresenceMonitor NONE = new PresenceMonitor() {
	};

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
	 * This node reaped a dead node.
	 * @param node the dead node's id
	 * @param presences the number of presences removed
	 */
	default void nodeReaped(String node, int presences) {
	}

}
