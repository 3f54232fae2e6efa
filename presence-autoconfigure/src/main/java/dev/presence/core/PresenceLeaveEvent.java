package dev.presence.core;

import java.util.List;

/**
 * Presences left a key of a topic: an untrack, the old version of an update, a closed
 * connection, or the presences of a dead node. Published on every node that follows the
 * topic.
 *
 * @param topic the topic, as clients name it (e.g. {@code realtime:room_01})
 * @param key the presence key
 * @param currentPresences the presences the key still holds
 * @param leftPresences the presences that left
 * @param origin whether this node made the change; true on exactly one node
 * @param last whether the key has no presence left: the key went offline
 */
public record PresenceLeaveEvent(String topic, String key, List<Presence> currentPresences,
		List<Presence> leftPresences, boolean origin, boolean last) {

	public PresenceLeaveEvent {
		currentPresences = List.copyOf(currentPresences);
		leftPresences = List.copyOf(leftPresences);
	}

}
