package dev.presence.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a broadcast carries: a JSON value, held as its UTF-8 encoding, or raw bytes (a
 * client's {@code ArrayBuffer}, which only clients of protocol version 2.0.0 can
 * receive). It is encoded once where it enters and those bytes travel to every node and
 * every member. Instances are immutable and thread-safe.
 */
public final class BroadcastPayload {

	private static final JsonMapper MAPPER = JsonMapper.shared();

	private static final BroadcastPayload EMPTY_OBJECT = new BroadcastPayload("{}".getBytes(StandardCharsets.UTF_8),
			false);

	private final byte[] bytes;

	private final boolean binary;

	private BroadcastPayload(byte[] bytes, boolean binary) {
		this.bytes = bytes;
		this.binary = binary;
	}

	/**
	 * The empty object, {@code {}}: what a client's broadcast without a payload carries.
	 * @return the payload
	 */
	public static BroadcastPayload emptyObject() {
		return EMPTY_OBJECT;
	}

	/**
	 * Encode a Java value as JSON.
	 * @param value maps, lists, strings, numbers, booleans, records, {@code null}: any
	 * value Jackson writes
	 * @return the payload
	 * @throws IllegalArgumentException if the value cannot be written as JSON
	 */
	public static BroadcastPayload of(@Nullable Object value) {
		try {
			return new BroadcastPayload(MAPPER.writeValueAsBytes(value), false);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("The payload cannot be written as JSON: " + ex.getOriginalMessage(), ex);
		}
	}

	/**
	 * Take JSON that is already encoded and checked; the array is kept, not copied.
	 * @param utf8 one JSON value as UTF-8, never changed afterwards
	 * @return the payload
	 */
	public static BroadcastPayload ofJson(byte[] utf8) {
		Assert.notNull(utf8, "'utf8' must not be null");
		return new BroadcastPayload(utf8, false);
	}

	/**
	 * Take raw bytes; the array is kept, not copied.
	 * @param bytes the bytes, never changed afterwards
	 * @return the payload
	 */
	public static BroadcastPayload ofBinary(byte[] bytes) {
		Assert.notNull(bytes, "'bytes' must not be null");
		return new BroadcastPayload(bytes, true);
	}

	/**
	 * Whether the payload is raw bytes rather than JSON.
	 * @return {@code true} for raw bytes
	 */
	public boolean isBinary() {
		return this.binary;
	}

	/**
	 * The bytes that travel: UTF-8 JSON, or the raw bytes. Callers must not change them.
	 * @return the bytes
	 */
	public byte[] bytes() {
		return this.bytes;
	}

	/**
	 * Its size as it travels, in bytes.
	 * @return the size
	 */
	public int size() {
		return this.bytes.length;
	}

	/**
	 * The JSON text.
	 * @return the JSON
	 * @throws IllegalStateException when the payload is raw bytes
	 */
	public String json() {
		Assert.state(!this.binary, "A binary payload is not JSON");
		return new String(this.bytes, StandardCharsets.UTF_8);
	}

	/**
	 * Read the JSON as a Java value of a type: {@code Map.class}, a record of the
	 * application, {@code String.class}…
	 * @param type the type
	 * @param <T> the type
	 * @return the value
	 * @throws IllegalStateException when the payload is raw bytes
	 * @throws IllegalArgumentException when the JSON does not fit the type
	 */
	public <T> @Nullable T as(Class<T> type) {
		Assert.state(!this.binary, "A binary payload is not JSON");
		try {
			return MAPPER.readValue(this.bytes, type);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("The payload is not a " + type.getName() + ": " + ex.getOriginalMessage(),
					ex);
		}
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return other instanceof BroadcastPayload that && this.binary == that.binary
				&& Arrays.equals(this.bytes, that.bytes);
	}

	@Override
	public int hashCode() {
		return Arrays.hashCode(this.bytes) * 31 + Boolean.hashCode(this.binary);
	}

	@Override
	public String toString() {
		return this.binary ? "binary:" + Base64.getEncoder().encodeToString(this.bytes) : json();
	}

}
