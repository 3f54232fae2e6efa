package dev.presence.redis;

/**
 * The Redis keys and the pub/sub channel of one topic. The topic sits verbatim in a hash
 * tag, so that every key of a topic lives in the same Redis Cluster slot.
 *
 * @param entries the hash of the topic's entries, {@code presence:{T}:e}
 * @param sequence the topic's sequence number, {@code presence:{T}:s}
 * @param channel the channel the topic's changes are published to,
 * {@code presence:{T}:changes}
 */
record TopicKeys(String entries, String sequence, String channel) {

	static TopicKeys of(String topic) {
		String prefix = "presence:{" + topic + "}:";
		return new TopicKeys(prefix + "e", prefix + "s", prefix + "changes");
	}

	/**
	 * The {@code KEYS} of every script of a topic.
	 * @return the entries hash and the sequence number, in that order
	 */
	String[] scriptKeys() {
		return new String[] { this.entries, this.sequence };
	}

}
