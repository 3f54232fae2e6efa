package dev.presence.websocket;

import org.jspecify.annotations.Nullable;
import org.springframework.web.socket.TextMessage;

/**
 * A frame on its way to clients, encoded at most once per serializer however many
 * sessions it is sent to.
 */
final class OutboundFrame {

	private final PhoenixFrame frame;

	private volatile @Nullable TextMessage v1;

	private volatile @Nullable TextMessage v2;

	OutboundFrame(PhoenixFrame frame) {
		this.frame = frame;
	}

	TextMessage encodedFor(PhoenixSerializer serializer) {
		boolean first = V1JsonSerializer.VERSION.equals(serializer.version());
		TextMessage message = first ? this.v1 : this.v2;
		if (message == null) {
			// two threads may both encode; the results are equal, so either may win
			message = new TextMessage(serializer.encode(this.frame));
			if (first) {
				this.v1 = message;
			}
			else {
				this.v2 = message;
			}
		}
		return message;
	}

}
