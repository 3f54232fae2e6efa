package dev.presence.sample.cluster;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.presence.core.Presence;
import dev.presence.core.PresenceService;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.PresenceView;
import tools.jackson.databind.JsonNode;

/**
 * Every view of a topic's presences (a node's {@link PresenceService}, a client's
 * {@link PresenceView}, what Redis holds) in one comparable form: ref to key and state.
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

		/**
		 * The presence a named client tracks in the failure tests: its key is
		 * {@code user-<name>}, its state its name and a version.
		 */
		static Fact of(PhoenixSocket client, int version) {
			return new Fact("user-" + client.name(), Map.of("client", client.name(), "v", version));
		}

		/**
		 * The presence a meta of a client's view stands for.
		 */
		@SuppressWarnings("unchecked")
		static Fact of(String key, JsonNode meta) {
			Map<String, Object> state = new LinkedHashMap<>(PhoenixSocket.MAPPER.convertValue(meta, Map.class));
			state.remove("phx_ref");
			state.remove("phx_ref_prev");
			return new Fact(key, state);
		}

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
	static Map<String, Fact> ofClient(PresenceView view) {
		Map<String, Fact> byRef = new TreeMap<>();
		view.metas().forEach((key, metas) -> {
			for (JsonNode meta : metas) {
				putUnique(byRef, meta.get("phx_ref").asString(), Fact.of(key, meta));
			}
		});
		return byRef;
	}

	/**
	 * The presences a client saw leave, in order.
	 */
	static List<Fact> left(PresenceView view) {
		return view.changes()
			.stream()
			.filter((change) -> change.kind().equals("leave"))
			.map((change) -> Fact.of(change.key(), change.meta()))
			.toList();
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
