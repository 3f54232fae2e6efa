package dev.presence.websocket;

import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * A frame on its way to clients, encoded at most once per serializer however many
 * sessions it is sent to.
 */
public final class OutboundFrame {

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
	public static final class Encoded {

		private final byte[] utf8;

		private volatile @Nullable Object adapted;

		/**
		 * A frame as the UTF-8 bytes that travel.
		 * @param utf8 the bytes, never changed afterwards
		 */
		public Encoded(byte[] utf8) {
			this.utf8 = utf8;
		}

		/**
		 * The UTF-8 text; callers must not change it.
		 */
		public byte[] utf8() {
			return this.utf8;
		}

		/**
		 * Its size as it travels.
		 */
		public long bytes() {
			return this.utf8.length;
		}

		/**
		 * The frame in the form a transport writes it (a Spring text message for
		 * containers that take only strings, a shared Netty buffer), made on first use and
		 * kept for every other connection of that transport.
		 * @param type the form's type
		 * @param adapter makes the form from the UTF-8 bytes
		 */
		public <T> T adapted(Class<T> type, Function<byte[], T> adapter) {
			Object adapted = this.adapted;
			if (type.isInstance(adapted)) {
				return type.cast(adapted);
			}
			// two threads may both adapt; the results are equal, so either may win
			T made = adapter.apply(this.utf8);
			this.adapted = made;
			return made;
		}

	}

}
