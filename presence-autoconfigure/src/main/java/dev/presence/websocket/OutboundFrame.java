package dev.presence.websocket;

import org.jspecify.annotations.Nullable;
import org.springframework.web.socket.TextMessage;

/**
 * A frame on its way to clients, encoded at most once per serializer however many
 * sessions it is sent to.
 */
final class OutboundFrame {

	private final PhoenixFrame frame;

	private volatile @Nullable Encoded v1;

	private volatile @Nullable Encoded v2;

	OutboundFrame(PhoenixFrame frame) {
		this.frame = frame;
	}

	Encoded encodedFor(PhoenixSerializer serializer) {
		boolean first = V1JsonSerializer.VERSION.equals(serializer.version());
		Encoded message = first ? this.v1 : this.v2;
		if (message == null) {
			// two threads may both encode; the results are equal, so either may win
			String text = serializer.encode(this.frame);
			message = new Encoded(new TextMessage(text), PhoenixConnection.utf8Length(text));
			if (first) {
				this.v1 = message;
			}
			else {
				this.v2 = message;
			}
		}
		return message;
	}

	/**
	 * A frame encoded for one serializer.
	 * @param message the text message
	 * @param bytes its size in bytes of UTF-8, as it travels
	 */
	record Encoded(TextMessage message, long bytes) {
	}

}
