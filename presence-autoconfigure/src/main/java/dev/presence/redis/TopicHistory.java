package dev.presence.redis;

/**
 * Where a topic's history stood when a node saw it: the epoch and the highest sequence
 * number seen in it. A store that answers the same epoch with a lower number lost changes
 * (a failover to a replica that missed the last writes).
 *
 * @param epoch the epoch
 * @param sequence the highest sequence number seen in the epoch
 */
record TopicHistory(String epoch, long sequence) {

	/**
	 * Whether a topic whose store holds this epoch and sequence number went back from
	 * what was seen.
	 * @param storedEpoch the epoch Redis holds, {@code null} when it holds none
	 * @param storedSequence the sequence number Redis holds
	 * @return whether Redis holds the same history, further back than it was seen
	 */
	boolean wentBack(String storedEpoch, long storedSequence) {
		return this.epoch.equals(storedEpoch) && storedSequence < this.sequence;
	}

}
