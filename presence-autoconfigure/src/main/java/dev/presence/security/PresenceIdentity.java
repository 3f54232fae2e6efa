package dev.presence.security;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Who a connection or channel acts for, as its authenticator established it.
 *
 * @param name the principal's name, or {@code null} for an anonymous client
 * @param attributes what else is known (e.g. the JWT's claims)
 * @param expiresAt when the credentials expire, or {@code null} when they do not
 */
public record PresenceIdentity(@Nullable String name, Map<String, @Nullable Object> attributes,
		@Nullable Instant expiresAt) {

	/** An anonymous client with credentials that never expire. */
	public static final PresenceIdentity ANONYMOUS = new PresenceIdentity(null, Map.of(), null);

	public PresenceIdentity {
		attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
	}

	/**
	 * Whether the credentials have expired at the given instant.
	 * @param now the instant
	 * @return {@code true} past {@link #expiresAt()}
	 */
	public boolean isExpired(Instant now) {
		return this.expiresAt != null && !now.isBefore(this.expiresAt);
	}

}
