package dev.presence.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JacksonSerializable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.jsontype.TypeSerializer;

/**
 * The state of a presence, held as its JSON encoding (a UTF-8 object) and parsed only
 * when a Java caller asks for it: a state of many small fields costs about its size in
 * bytes, not a tree of maps, strings and boxed numbers many times that size.
 * <p>
 * It is encoded once, where it enters (a client's track, a
 * {@link PresenceService#track server-side track}, a read from the store), and those
 * bytes are what the store keeps and what is spliced into every frame that shows it.
 * Instances are immutable and thread-safe. Two states are equal when they are the same
 * JSON value: the same members with equal values, in any order.
 */
public final class PresenceState implements JacksonSerializable {

	private static final JsonMapper MAPPER = JsonMapper.shared();

	private static final TypeReference<LinkedHashMap<String, @Nullable Object>> MAP_TYPE = new TypeReference<>() {
	};

	private static final PresenceState EMPTY = new PresenceState("{}".getBytes(StandardCharsets.UTF_8));

	private final byte[] json;

	// computed on first use; 0 until then, as String does it
	private int hash;

	private PresenceState(byte[] json) {
		this.json = json;
	}

	/**
	 * The empty state, {@code {}}.
	 * @return the empty state
	 */
	public static PresenceState empty() {
		return EMPTY;
	}

	/**
	 * Encode a state given as Java values.
	 * @param state a JSON-like object: maps, lists, strings, numbers, booleans,
	 * {@code null}, and any value Jackson writes
	 * @return the state
	 * @throws IllegalArgumentException if the state cannot be written as JSON
	 */
	public static PresenceState of(Map<String, ? extends @Nullable Object> state) {
		Assert.notNull(state, "'state' must not be null");
		try {
			return new PresenceState(MAPPER.writeValueAsBytes(state));
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("The state cannot be written as JSON: " + ex.getOriginalMessage(), ex);
		}
	}

	/**
	 * Encode a state parsed by Jackson.
	 * @param object a JSON object
	 * @return the state
	 * @throws IllegalArgumentException if the node is not an object
	 */
	public static PresenceState of(JsonNode object) {
		Assert.notNull(object, "'object' must not be null");
		Assert.isTrue(object.isObject(), () -> "A presence state must be a JSON object, not " + object.getNodeType());
		return new PresenceState(MAPPER.writeValueAsBytes(object));
	}

	/**
	 * Take a state already encoded as JSON.
	 * @param json the UTF-8 JSON text of an object; it is validated and copied
	 * @return the state
	 * @throws IllegalArgumentException if the text is not one JSON object
	 */
	public static PresenceState fromJson(byte[] json) {
		Assert.notNull(json, "'json' must not be null");
		return new PresenceState(compact(json));
	}

	/**
	 * Take a state already encoded as JSON.
	 * @param json the JSON text of an object
	 * @return the state
	 * @throws IllegalArgumentException if the text is not one JSON object
	 */
	public static PresenceState fromJson(String json) {
		Assert.notNull(json, "'json' must not be null");
		return new PresenceState(compact(json.getBytes(StandardCharsets.UTF_8)));
	}

	/**
	 * Take a state exactly as {@link #jsonBytes()} gave it, without parsing it again: for
	 * a store reading back the bytes it wrote. Anything else goes through
	 * {@link #fromJson(byte[])}.
	 * @param json the bytes of a state's {@link #jsonBytes()}; not copied, so not to be
	 * changed after
	 * @return the state
	 */
	public static PresenceState fromEncoded(byte[] json) {
		Assert.notNull(json, "'json' must not be null");
		Assert.isTrue(json.length >= 2 && json[0] == '{' && json[json.length - 1] == '}',
				"An encoded presence state must be a JSON object");
		return new PresenceState(json);
	}

	/**
	 * Validate one JSON object and write it as Jackson writes what it parsed (no
	 * insignificant whitespace, numbers as parsed), so that equal states are encoded
	 * alike up to the order of their members.
	 */
	private static byte[] compact(byte[] json) {
		try (JsonParser parser = MAPPER.createParser(json)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				throw new IllegalArgumentException("A presence state must be a JSON object");
			}
			ByteArrayOutputStream out = new ByteArrayOutputStream(json.length);
			try (JsonGenerator generator = MAPPER.createGenerator(out)) {
				generator.copyCurrentStructure(parser);
			}
			if (parser.nextToken() != null) {
				throw new IllegalArgumentException("A presence state must be one JSON object, not followed by more");
			}
			return out.toByteArray();
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("A presence state must be a JSON object: " + ex.getOriginalMessage(),
					ex);
		}
	}

	/**
	 * The size of the state as JSON.
	 * @return the number of bytes of its UTF-8 encoding
	 */
	public int size() {
		return this.json.length;
	}

	/**
	 * The state as JSON text, as clients see it inside their metas.
	 * @return the JSON of an object
	 */
	public String json() {
		return new String(this.json, StandardCharsets.UTF_8);
	}

	/**
	 * The state as JSON bytes.
	 * @return a copy of its UTF-8 encoding
	 */
	public byte[] jsonBytes() {
		return this.json.clone();
	}

	/**
	 * Parse the state into Java values: a new map each call, so hold on to it rather than
	 * calling again when reading several fields.
	 * @return an unmodifiable map, members in JSON order, values as Jackson reads them
	 * (maps, lists, strings, numbers, booleans and {@code null})
	 */
	public Map<String, @Nullable Object> toMap() {
		return Collections.unmodifiableMap(MAPPER.readValue(this.json, MAP_TYPE));
	}

	@Override
	public void serialize(JsonGenerator generator, SerializationContext context) {
		generator.writeRawValue(json());
	}

	@Override
	public void serializeWithType(JsonGenerator generator, SerializationContext context, TypeSerializer typeSer) {
		serialize(generator, context);
	}

	@Override
	public boolean equals(@Nullable Object other) {
		if (this == other) {
			return true;
		}
		if (!(other instanceof PresenceState that)) {
			return false;
		}
		// Every state is written by Jackson, so equal states differ at most in the order of
		// their members, which keeps the bytes, only moved: parse only when that may be it
		return Arrays.equals(this.json, that.json)
				|| (sameBytesInAnyOrder(this.json, that.json) && toMap().equals(that.toMap()));
	}

	private static boolean sameBytesInAnyOrder(byte[] some, byte[] other) {
		if (some.length != other.length) {
			return false;
		}
		int[] counts = new int[256];
		for (int i = 0; i < some.length; i++) {
			counts[some[i] & 0xFF]++;
			counts[other[i] & 0xFF]--;
		}
		for (int count : counts) {
			if (count != 0) {
				return false;
			}
		}
		return true;
	}

	@Override
	public int hashCode() {
		int hash = this.hash;
		if (hash == 0) {
			// a map's hash does not depend on the order of its members, as equality does not
			hash = toMap().hashCode();
			this.hash = hash;
		}
		return hash;
	}

	@Override
	public String toString() {
		return json();
	}

}
