package dev.presence.core;

/**
 * A track was refused because it would take the node past one of its limits; nothing
 * was stored. The message is the reason, worded for the client that asked.
 */
public class PresenceLimitExceededException extends PresenceException {

	public PresenceLimitExceededException(String message) {
		super(message);
	}

}
