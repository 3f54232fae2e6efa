package dev.presence.store;

import java.util.List;

import org.springframework.util.Assert;


/**
 * Every entry of a topic at one point of its history.
 *
 * @param topic the topic
 * @param epoch the identity of the topic's history in the store (see
 * {@link PresenceChange#epoch()}); empty when the store holds nothing of the topic
 * @param sequence the sequence number of the last change the snapshot reflects
 * @param entries the entries
 */
public record PresenceSnapshot(String topic, String epoch, long sequence, List<PresenceEntry> entries) {

	public PresenceSnapshot {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(epoch, "'epoch' must not be null");
		entries = List.copyOf(entries);
	}

}
