package dev.presence.core;

import java.util.List;

/**
 * Presences joined a key of a topic: a first track, or the new version of an update.
 * Published on every node that follows the topic.
 *
 * @param topic the topic, as clients name it (e.g. {@code realtime:room_01})
 * @param key the presence key
 * @param currentPresences the presences the key held before this join
 * @param newPresences the presences that joined
 * @param origin whether this node made the change; true on exactly one node
 * @param first whether the key had no presence before this join: the key came online
 */
public record PresenceJoinEvent(String topic, String key, List<Presence> currentPresences,
		List<Presence> newPresences, boolean origin, boolean first) {

	public PresenceJoinEvent {
		currentPresences = List.copyOf(currentPresences);
		newPresences = List.copyOf(newPresences);
	}

}
