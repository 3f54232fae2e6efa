package dev.presence.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.presence.core.Presence;
import dev.presence.store.PresenceEntry;

/**
 * What changed in a topic, grouped by key the way clients receive it in a
 * {@code presence_diff}: the presences that joined and the presences that left.
 *
 * @param joins key to the presences that joined under it
 * @param leaves key to the presences that left it
 */
public record PresenceDiff(Map<String, List<Presence>> joins, Map<String, List<Presence>> leaves) {

	public PresenceDiff {
		joins = copy(joins);
		leaves = copy(leaves);
	}

	/**
	 * Whether nothing joined and nothing left.
	 * @return {@code true} for an empty diff
	 */
	public boolean isEmpty() {
		return this.joins.isEmpty() && this.leaves.isEmpty();
	}

	/**
	 * Group entries by key, keeping their order.
	 * @param joins entries that joined
	 * @param leaves entries that left
	 * @return the diff
	 */
	public static PresenceDiff of(List<PresenceEntry> joins, List<PresenceEntry> leaves) {
		return new PresenceDiff(group(joins), group(leaves));
	}

	static Map<String, List<Presence>> group(List<PresenceEntry> entries) {
		Map<String, List<Presence>> byKey = new LinkedHashMap<>();
		for (PresenceEntry entry : entries) {
			byKey.computeIfAbsent(entry.key(), (key) -> new ArrayList<>()).add(entry.presence());
		}
		return byKey;
	}

	private static Map<String, List<Presence>> copy(Map<String, List<Presence>> byKey) {
		Map<String, List<Presence>> copy = new LinkedHashMap<>();
		byKey.forEach((key, presences) -> copy.put(key, List.copyOf(presences)));
		return Collections.unmodifiableMap(copy);
	}

}
