package dev.presence.engine;


/**
 * Receives the diffs of a followed topic on this node, in the order the changes were
 * made, one call at a time.
 */
@FunctionalInterface
public interface TopicListener {

	/**
	 * Entries of the topic joined or left. Called on the topic's serial executor: the
	 * listener must not block.
	 * @param diff what changed, never empty
	 */
	void onDiff(PresenceDiff diff);

}
