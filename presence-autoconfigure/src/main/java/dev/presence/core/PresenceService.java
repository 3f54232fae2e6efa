package dev.presence.core;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Read and write presence from server-side code. Topics are named as clients name them on
 * the wire: {@code supabase.channel("room_01")} joins topic {@code realtime:room_01}.
 * <p>
 * Reads of a topic with members on this node come from the node's replica; other topics
 * are read from the store, which may take a network round trip.
 */
public interface PresenceService {

	/**
	 * Track a presence owned by the application (not by a connection): it stays until it
	 * is untracked or this node stops.
	 * @param topic the topic, e.g. {@code realtime:room_01}
	 * @param key the presence key
	 * @param state the state, a JSON-like object, encoded once as JSON and kept as such
	 * ({@link PresenceState})
	 * @return a handle to update or untrack the presence
	 * @throws PresenceLimitExceededException when this node already tracks its maximum
	 * number of presences ({@code presence.limits.max-presences-per-node})
	 * @throws PresenceException when the store did not accept the presence
	 * @throws IllegalArgumentException when the state holds {@code phx_ref} or
	 * {@code phx_ref_prev}, which the server sets
	 */
	TrackedPresence track(String topic, String key, Map<String, @Nullable Object> state);

	/**
	 * Every presence of a topic.
	 * @param topic the topic
	 * @return key to presences, in join order
	 */
	Map<String, List<Presence>> list(String topic);

	/**
	 * The presences of one key of a topic.
	 * @param topic the topic
	 * @param key the key
	 * @return the presences, empty when the key is absent
	 */
	List<Presence> get(String topic, String key);

	/**
	 * Count the keys and presences of a topic.
	 * @param topic the topic
	 * @return the count
	 */
	PresenceCount count(String topic);

}
