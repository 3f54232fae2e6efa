package dev.presence.websocket;

import java.nio.charset.StandardCharsets;

/**
 * Turns text WebSocket frames into {@link PhoenixFrame}s and back, for one {@code vsn} of
 * the Phoenix protocol. Implementations are stateless and thread-safe.
 */
public interface PhoenixSerializer {

	/**
	 * The protocol version, as the client sends it in the {@code vsn} query parameter.
	 * @return the version, e.g. {@code 2.0.0}
	 */
	String version();

	/**
	 * Read a frame.
	 * @param text the text of a WebSocket frame
	 * @return the frame
	 * @throws PhoenixProtocolException when the text is not a valid frame
	 */
	PhoenixFrame decode(String text);

	/**
	 * Write a frame as the bytes that travel, once for every session it goes to.
	 * @param frame the frame
	 * @return the UTF-8 text of a WebSocket frame
	 */
	byte[] encodeUtf8(PhoenixFrame frame);

	/**
	 * Write a frame.
	 * @param frame the frame
	 * @return the text of a WebSocket frame
	 */
	default String encode(PhoenixFrame frame) {
		return new String(encodeUtf8(frame), StandardCharsets.UTF_8);
	}

}
