package dev.presence.websocket;

import java.nio.charset.StandardCharsets;

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
		Encoded encoded = first ? this.v1 : this.v2;
		if (encoded == null) {
			// two threads may both encode; the results are equal, so either may win
			encoded = new Encoded(serializer.encodeUtf8(this.frame));
			if (first) {
				this.v1 = encoded;
			}
			else {
				this.v2 = encoded;
			}
		}
		return encoded;
	}

	/**
	 * A frame encoded for one serializer: the UTF-8 bytes that travel, shared by every
	 * session it goes to and never changed.
	 */
	static final class Encoded {

		private final byte[] utf8;

		private volatile @Nullable TextMessage message;

		Encoded(byte[] utf8) {
			this.utf8 = utf8;
		}

		/**
		 * The UTF-8 text; callers must not change it.
		 */
		byte[] utf8() {
			return this.utf8;
		}

		/**
		 * Its size as it travels.
		 */
		long bytes() {
			return this.utf8.length;
		}

		/**
		 * The frame as a Spring text message, for containers that take only strings; made
		 * on first use.
		 */
		TextMessage message() {
			TextMessage message = this.message;
			if (message == null) {
				message = new TextMessage(new String(this.utf8, StandardCharsets.UTF_8));
				this.message = message;
			}
			return message;
		}

	}

}
