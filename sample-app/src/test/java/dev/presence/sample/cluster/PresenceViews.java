package dev.presence.sample.cluster;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.presence.core.Presence;
import dev.presence.core.PresenceService;

/**
 * Every view of a topic's presences in one comparable form: ref to key and state.
 */
final class PresenceViews {

	private PresenceViews() {
	}

	/**
	 * A presence as every view must agree on it.
	 * @param key the key
	 * @param state the tracked state, without {@code phx_ref} and {@code phx_ref_prev}
	 */
	record Fact(String key, Map<String, Object> state) {

		@Override
		public String toString() {
			return this.key + "=" + new TreeMap<>(this.state);
		}

	}

	/**
	 * What a node's {@link PresenceService#list(String)} answers.
	 */
	static Map<String, Fact> ofService(PresenceService service, String topic) {
		Map<String, Fact> byRef = new TreeMap<>();
		service.list(topic).forEach((key, presences) -> {
			for (Presence presence : presences) {
				putUnique(byRef, presence.ref(), new Fact(key, new LinkedHashMap<>(presence.state())));
			}
		});
		return byRef;
	}

	/**
	 * What a client shows.
	 */
	static Map<String, Fact> ofClient(PhoenixTestClient.ClientChannel channel) {
		Map<String, Fact> byRef = new TreeMap<>();
		channel.state().forEach((key, metas) -> {
			for (Map<String, Object> meta : metas) {
				Map<String, Object> state = new LinkedHashMap<>(meta);
				Object ref = state.remove("phx_ref");
				state.remove("phx_ref_prev");
				putUnique(byRef, (String) ref, new Fact(key, state));
			}
		});
		return byRef;
	}

	/**
	 * The facts without their refs, sorted for readable comparison.
	 */
	static List<String> facts(Map<String, Fact> byRef) {
		return byRef.values().stream().map(Fact::toString).sorted().toList();
	}

	static List<String> facts(Collection<Fact> facts) {
		return facts.stream().map(Fact::toString).sorted().toList();
	}

	private static void putUnique(Map<String, Fact> byRef, String ref, Fact fact) {
		Fact previous = byRef.put(ref, fact);
		if (previous != null) {
			throw new AssertionError("ref " + ref + " held twice: " + previous + " and " + fact);
		}
	}

}
