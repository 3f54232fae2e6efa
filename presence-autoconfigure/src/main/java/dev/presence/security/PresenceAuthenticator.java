package dev.presence.security;

import java.security.Principal;

import org.jspecify.annotations.Nullable;

/**
 * Establishes who a client is from what the Supabase client sends: the principal of the
 * WebSocket handshake (when Spring Security authenticated it), the {@code apikey} query
 * parameter of the connection, and the {@code access_token} of a join or of an
 * {@code access_token} push (docs/protocol.md §1.1, §2.2, §2.8).
 */
@FunctionalInterface
public interface PresenceAuthenticator {

	/**
	 * Authenticate.
	 * @param principal the principal of the handshake request, or {@code null}
	 * @param apiKey the {@code apikey} of the connection, or {@code null}
	 * @param accessToken the most recent {@code access_token} the channel sent, or
	 * {@code null}
	 * @return the identity
	 * @throws PresenceAuthenticationException when the credentials are refused
	 */
	PresenceIdentity authenticate(@Nullable Principal principal, @Nullable String apiKey,
			@Nullable String accessToken);

	/**
	 * An authenticator that accepts every client: the handshake principal's name when
	 * there is one, anonymous otherwise.
	 * @return the authenticator
	 */
	static PresenceAuthenticator permitAll() {
		return (principal, apiKey, accessToken) -> (principal != null)
				? new PresenceIdentity(principal.getName(), java.util.Map.of(), null) : PresenceIdentity.ANONYMOUS;
	}

}
