package dev.presence.core;

import java.util.List;

import org.springframework.util.Assert;

/**
 * Every entry of a topic at one point of its history.
 *
 * @param topic the topic
 * @param sequence the sequence number of the last change the snapshot reflects
 * @param entries the entries
 */
public record PresenceSnapshot(String topic, long sequence, List<PresenceEntry> entries) {

	public PresenceSnapshot {
		Assert.notNull(topic, "'topic' must not be null");
		entries = List.copyOf(entries);
	}

}
