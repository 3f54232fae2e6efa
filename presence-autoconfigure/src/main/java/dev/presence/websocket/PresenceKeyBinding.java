package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import dev.presence.security.PresenceIdentity;

/**
 * Binds a channel's presence key to the client's identity, so that nobody tracks under
 * someone else's key.
 */
@FunctionalInterface
public interface PresenceKeyBinding {

	/**
	 * The key the identity must track under.
	 * @param identity the client's identity
	 * @return the key, or {@code null} when the client chooses its own
	 * @throws IllegalStateException when the binding needs something the identity lacks
	 */
	@Nullable String boundKey(PresenceIdentity identity);

	/**
	 * No binding: clients choose their keys.
	 * @return the binding
	 */
	static PresenceKeyBinding none() {
		return (identity) -> null;
	}

	/**
	 * The key is the principal's name.
	 * @return the binding
	 */
	static PresenceKeyBinding principalName() {
		return (identity) -> {
			if (identity.name() == null) {
				throw new IllegalStateException("an authenticated client");
			}
			return identity.name();
		};
	}

	/**
	 * The key is the value of one of the identity's attributes (a JWT claim).
	 * @param claim the claim
	 * @return the binding
	 */
	static PresenceKeyBinding claim(String claim) {
		return (identity) -> {
			Object value = identity.attributes().get(claim);
			if (value == null) {
				throw new IllegalStateException("a token with the claim '" + claim + "'");
			}
			return value.toString();
		};
	}

}
