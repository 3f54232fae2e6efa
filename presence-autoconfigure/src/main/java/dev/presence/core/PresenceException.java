package dev.presence.core;

/**
 * The presence store could not carry out an operation.
 */
public class PresenceException extends RuntimeException {

	public PresenceException(String message, Throwable cause) {
		super(message, cause);
	}

}
