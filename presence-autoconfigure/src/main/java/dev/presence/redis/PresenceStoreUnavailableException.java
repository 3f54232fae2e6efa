package dev.presence.redis;

/**
 * Thrown when the presence store cannot reach Redis as it starts: without Redis the
 * application has no presence to serve, so it does not start (Spring Boot explains why
 * and what to do instead of printing the stack trace).
 */
public class PresenceStoreUnavailableException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what could not be reached
	 * @param cause Lettuce's failure
	 */
	public PresenceStoreUnavailableException(String message, Throwable cause) {
		super(message, cause);
	}

}
