package dev.presence.redis;

/**
 * Lets tests outside this package crash a {@link RedisPresenceStore} node: no more
 * heartbeats, its entries left in Redis for the other nodes to reap.
 */
public final class CrashedNodes {

	private CrashedNodes() {
	}

	/**
	 * Stop a node as a crash would.
	 * @param store the node's store
	 */
	public static void crash(RedisPresenceStore store) {
		store.halt();
	}

}
