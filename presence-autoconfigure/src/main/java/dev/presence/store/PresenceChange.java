package dev.presence.store;

import java.util.List;

import org.springframework.util.Assert;


/**
 * One atomic change of a topic, as the store publishes it to every node that follows the
 * topic. Changes of one topic carry consecutive sequence numbers; a hole in the numbers
 * means a change was lost.
 *
 * @param topic the topic
 * @param epoch the identity of the topic's history in the store: it changes when the
 * store loses the topic (a restart, a flush, an expiry) and numbering starts again
 * @param sequence the topic's sequence number after this change
 * @param origin the id of the node that made the change
 * @param joins the entries added
 * @param leaves the entries removed
 */
public record PresenceChange(String topic, String epoch, long sequence, String origin, List<PresenceEntry> joins,
		List<PresenceEntry> leaves) {

	public PresenceChange {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(epoch, "'epoch' must not be null");
		Assert.notNull(origin, "'origin' must not be null");
		joins = List.copyOf(joins);
		leaves = List.copyOf(leaves);
	}

}
