package dev.presence.core;

/**
 * A presence operation could not be carried out: the store did not accept it, or a limit
 * refused it ({@link PresenceLimitExceededException}).
 */
public class PresenceException extends RuntimeException {

	public PresenceException(String message) {
		super(message);
	}

	public PresenceException(String message, Throwable cause) {
		super(message, cause);
	}

}
