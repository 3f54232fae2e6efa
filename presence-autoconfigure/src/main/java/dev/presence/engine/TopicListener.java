package dev.presence.engine;

import dev.presence.store.TopicBroadcast;


/**
 * Receives the diffs of a followed topic on this node, in the order the changes were
 * made, one call at a time.
 */
public interface TopicListener {

	/**
	 * Entries of the topic joined or left. Called on the topic's serial executor: the
	 * listener must not block.
	 * @param diff what changed, never empty
	 */
	void onDiff(PresenceDiff diff);

	/**
	 * A broadcast to the topic arrived. Called on the topic's serial executor, in the
	 * order the store delivered broadcasts: the listener must not block.
	 * @param broadcast the broadcast
	 */
	default void onBroadcast(TopicBroadcast broadcast) {
	}

}
