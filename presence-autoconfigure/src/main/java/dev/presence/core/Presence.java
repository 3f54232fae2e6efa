package dev.presence.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

/**
 * One presence ("meta" in Phoenix terms): the state one connection, or one server-side
 * tracker, holds under a key of a topic.
 *
 * @param ref unique identity of this version of the presence, sent to clients as
 * {@code phx_ref}; an update always gets a new ref
 * @param previousRef the ref this presence replaced when it was an update, sent as
 * {@code phx_ref_prev}; {@code null} for a first track
 * @param state the tracked JSON object as plain Java values (maps, lists, strings,
 * numbers, booleans and {@code null})
 */
public record Presence(String ref, @Nullable String previousRef, Map<String, @Nullable Object> state) {

	public Presence {
		Assert.hasText(ref, "'ref' must not be empty");
		Assert.notNull(state, "'state' must not be null");
		state = Collections.unmodifiableMap(new LinkedHashMap<>(state));
	}

}
