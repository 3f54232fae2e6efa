package dev.presence.core;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A presence tracked through {@link PresenceService#track}, owned by the application.
 */
public interface TrackedPresence {

	/**
	 * The topic.
	 * @return the topic
	 */
	String topic();

	/**
	 * The key.
	 * @return the key
	 */
	String key();

	/**
	 * The current version of the presence.
	 * @return the presence
	 * @throws IllegalStateException when it was untracked
	 */
	Presence presence();

	/**
	 * Replace the state. Other members see a join of the new presence and a leave of the
	 * old one, as with a client re-track; a state equal to the current one changes nothing.
	 * @param state the new state
	 * @throws IllegalStateException when it was untracked
	 * @throws PresenceException when the store did not accept the update
	 * @throws IllegalArgumentException when the state holds {@code phx_ref} or
	 * {@code phx_ref_prev}, which the server sets
	 */
	void update(Map<String, @Nullable Object> state);

	/**
	 * Remove the presence. Untracking twice does nothing the second time.
	 * @throws PresenceException when the store did not accept the removal
	 */
	void untrack();

}
