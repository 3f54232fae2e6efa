package dev.presence.security;

/**
 * Credentials were refused. The message is sent to the client as the reason of the join
 * error (docs/protocol.md §2.4), or as the {@code system} message that closes a channel whose
 * token went bad mid-session, so it follows Supabase's {@code "Code: message"} form, e.g.
 * {@code "InvalidJWTToken: Token has expired 12 seconds ago"}.
 */
public class PresenceAuthenticationException extends RuntimeException {

	public PresenceAuthenticationException(String message) {
		super(message);
	}

	public PresenceAuthenticationException(String message, Throwable cause) {
		super(message, cause);
	}

}
