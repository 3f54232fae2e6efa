package dev.presence.redis;

/**
 * The Redis keys and the sharded pub/sub channel of one topic. The topic sits verbatim
 * in a hash tag, so that every key of a topic, and its channel, live in the same Redis
 * Cluster slot.
 *
 * @param entries the hash of the topic's entries, {@code presence:{T}:e}
 * @param sequence the hash of the topic's sequence number and epoch,
 * {@code presence:{T}:s}
 * @param channel the sharded channel the topic's changes are published to,
 * {@code presence:{T}:changes}
 */
record TopicKeys(String entries, String sequence, String channel) {

	static TopicKeys of(String topic) {
		String prefix = "presence:{" + topic + "}:";
		return new TopicKeys(prefix + "e", prefix + "s", prefix + "changes");
	}

	/**
	 * The set of the topics a node holds entries in, {@code presence:node:{N}:topics}.
	 * @param node the node id
	 * @return the key
	 */
	static String nodeTopics(String node) {
		return "presence:node:{" + node + "}:topics";
	}

	/**
	 * The claim of the node that reaps a dead node, {@code presence:reap:{N}}.
	 * @param node the id of the dead node
	 * @return the key
	 */
	static String reapClaim(String node) {
		return "presence:reap:{" + node + "}";
	}

	/**
	 * The {@code KEYS} of every script of a topic: one slot.
	 * @return the entries hash, the sequence hash and the channel, in that order
	 */
	String[] scriptKeys() {
		return new String[] { this.entries, this.sequence, this.channel };
	}

}
