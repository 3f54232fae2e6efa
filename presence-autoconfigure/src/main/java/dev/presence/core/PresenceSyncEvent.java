package dev.presence.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of a topic changed; published once per applied batch of changes, after the
 * batch's join and leave events.
 *
 * @param topic the topic, as clients name it (e.g. {@code realtime:room_01})
 * @param presences the full state: key to its presences
 */
public record PresenceSyncEvent(String topic, Map<String, List<Presence>> presences) {

	public PresenceSyncEvent {
		presences = Collections.unmodifiableMap(new LinkedHashMap<>(presences));
	}

}
