package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

/**
 * A client sent something the protocol does not allow. It knows how much of the frame
 * could be read, so that the error reply can still reach the push that caused it.
 */
public class PhoenixProtocolException extends RuntimeException {

	private final @Nullable String ref;

	private final @Nullable String topic;

	/**
	 * Create an exception.
	 * @param reason what was wrong, sent to the client as the reply's {@code reason}
	 * @param ref the ref of the offending frame, when it could be read
	 * @param topic the topic of the offending frame, when it could be read
	 */
	public PhoenixProtocolException(String reason, @Nullable String ref, @Nullable String topic) {
		super(reason);
		this.ref = ref;
		this.topic = topic;
	}

	public @Nullable String getRef() {
		return this.ref;
	}

	public @Nullable String getTopic() {
		return this.topic;
	}

}
