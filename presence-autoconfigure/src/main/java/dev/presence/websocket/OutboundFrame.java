package dev.presence.websocket;

import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * A frame on its way to clients, encoded at most once per serializer however many
 * sessions it is sent to: a text frame of either version, or a binary frame that only
 * clients of version 2.0.0 read.
 */
public final class OutboundFrame {

	private final @Nullable PhoenixFrame frame;

	private volatile @Nullable Encoded v1;

	private volatile @Nullable Encoded v2;

	OutboundFrame(PhoenixFrame frame) {
		this.frame = frame;
	}

	private OutboundFrame(Encoded binaryV2) {
		this.frame = null;
		this.v2 = binaryV2;
	}

	/**
	 * A binary frame for clients of version 2.0.0; clients of 1.0.0 are not sent it.
	 */
	static OutboundFrame binaryForV2(byte[] bytes) {
		return new OutboundFrame(new Encoded(bytes, true));
	}

	/**
	 * The frame as a serializer's clients receive it, or {@code null} when they cannot
	 * receive it.
	 */
	@Nullable Encoded encodedFor(PhoenixSerializer serializer) {
		boolean first = V1JsonSerializer.VERSION.equals(serializer.version());
		Encoded encoded = first ? this.v1 : this.v2;
		if (encoded == null) {
			if (this.frame == null) {
				return null;
			}
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
	 * A frame encoded for one serializer: the bytes that travel (the UTF-8 text of a text
	 * frame, or a binary frame's data), shared by every session it goes to and never
	 * changed.
	 */
	public static final class Encoded {

		private final byte[] utf8;

		private final boolean binary;

		private volatile @Nullable Object adapted;

		/**
		 * A text frame as the UTF-8 bytes that travel.
		 * @param utf8 the bytes, never changed afterwards
		 */
		public Encoded(byte[] utf8) {
			this(utf8, false);
		}

		/**
		 * A frame as the bytes that travel.
		 * @param bytes the bytes, never changed afterwards
		 * @param binary whether it is a binary frame rather than a text frame
		 */
		public Encoded(byte[] bytes, boolean binary) {
			this.utf8 = bytes;
			this.binary = binary;
		}

		/**
		 * The bytes: UTF-8 text, or binary data when {@link #binary()}; callers must not
		 * change them.
		 */
		public byte[] utf8() {
			return this.utf8;
		}

		/**
		 * Whether this goes as a binary frame rather than a text frame.
		 */
		public boolean binary() {
			return this.binary;
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
