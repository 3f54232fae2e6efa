package dev.presence.core;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

/**
 * One presence ("meta" in Phoenix terms): the state one connection, or one server-side
 * tracker, holds under a key of a topic.
 * <p>
 * The state is kept as its JSON ({@link PresenceState}), which is what the store, the
 * replicas and the frames to clients use; {@link #state()} parses it for Java callers.
 *
 * @param ref unique identity of this version of the presence, sent to clients as
 * {@code phx_ref}; an update always gets a new ref
 * @param previousRef the ref this presence replaced when it was an update, sent as
 * {@code phx_ref_prev}; {@code null} for a first track
 * @param encodedState the tracked JSON object, as its encoding
 */
public record Presence(String ref, @Nullable String previousRef,
		@JsonProperty("state") PresenceState encodedState) {

	public Presence {
		Assert.hasText(ref, "'ref' must not be empty");
		Assert.notNull(encodedState, "'encodedState' must not be null");
	}

	/**
	 * Create a presence from a state given as Java values, encoding it once.
	 * @param ref unique identity of this version of the presence
	 * @param previousRef the ref this presence replaced, or {@code null}
	 * @param state the tracked JSON object as plain Java values
	 * @see PresenceState#of(Map)
	 */
	public Presence(String ref, @Nullable String previousRef, Map<String, ? extends @Nullable Object> state) {
		this(ref, previousRef, PresenceState.of(state));
	}

	/**
	 * The tracked JSON object as plain Java values (maps, lists, strings, numbers,
	 * booleans and {@code null}), parsed from its encoding on every call.
	 * @return a new unmodifiable map
	 * @see PresenceState#toMap()
	 */
	public Map<String, @Nullable Object> state() {
		return this.encodedState.toMap();
	}

}
