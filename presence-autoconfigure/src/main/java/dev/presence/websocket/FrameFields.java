package dev.presence.websocket;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The field checks both serializers share.
 */
final class FrameFields {

	private FrameFields() {
	}

	/**
	 * A parser factory like the mapper's (its limits included) that does not canonicalize
	 * property names: a client's frames carry names of its own choosing (a tracked state
	 * of 5,000 fields has 5,000 of them), which would only fill the symbol table that
	 * canonical names are kept in.
	 */
	static TokenStreamFactory parsers(JsonMapper mapper) {
		return mapper.tokenStreamFactory()
			.rebuild()
			.disable(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES)
			.build();
	}

	/**
	 * Read one JSON value, the whole text.
	 * @param parsers from {@link #parsers(JsonMapper)}
	 */
	static JsonNode parse(JsonMapper mapper, TokenStreamFactory parsers, String text) {
		try (JsonParser parser = parsers.createParser(text)) {
			JsonNode root = mapper.readTree(parser);
			if (root == null || root.isMissingNode() || parser.nextToken() != null) {
				throw new PhoenixProtocolException("malformed frame: not JSON", null, null);
			}
			return root;
		}
		catch (StreamConstraintsException ex) {
			throw new PhoenixProtocolException("malformed frame: nested or sized beyond what the server reads ("
					+ ex.getOriginalMessage() + ")", null, null);
		}
		catch (JacksonException ex) {
			throw new PhoenixProtocolException("malformed frame: not JSON", null, null);
		}
	}

	/**
	 * Check a JSON value that arrived as bytes (a binary broadcast's payload) as a text
	 * frame's payload is checked: strict UTF-8, one JSON value, valid Unicode, readable
	 * numbers.
	 * @return the bytes as they came
	 * @throws PhoenixProtocolException when they are not
	 */
	static byte[] checkedJson(JsonMapper mapper, TokenStreamFactory parsers, byte[] utf8, @Nullable String ref,
			@Nullable String topic) {
		String text;
		try {
			text = strictUtf8(utf8, 0, utf8.length);
		}
		catch (CharacterCodingException ex) {
			throw new PhoenixProtocolException("malformed frame: a JSON payload that is not UTF-8", ref, topic);
		}
		JsonNode value;
		try {
			value = parse(mapper, parsers, text);
		}
		catch (PhoenixProtocolException ex) {
			throw new PhoenixProtocolException(ex.getMessage(), ref, topic);
		}
		String invalid = firstInvalid(value);
		if (invalid != null) {
			throw new PhoenixProtocolException("malformed frame: " + invalid, ref, topic);
		}
		return utf8;
	}

	/**
	 * Decode UTF-8 that a client sent as bytes, refusing what is not valid UTF-8 rather
	 * than replacing it: what is passed on to other members must read back the same.
	 * @throws CharacterCodingException when the bytes are not valid UTF-8
	 */
	static String strictUtf8(byte[] bytes, int offset, int length) throws CharacterCodingException {
		return StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT)
			.decode(ByteBuffer.wrap(bytes, offset, length))
			.toString();
	}

	static PhoenixFrame frame(JsonNode joinRef, JsonNode ref, JsonNode topic, JsonNode event, JsonNode payload) {
		@Nullable String refText = lenientText(ref);
		@Nullable String topicText = lenientText(topic);
		if (!topic.isString() || topicText == null) {
			throw new PhoenixProtocolException("malformed frame: topic must be a string", refText, null);
		}
		if (!event.isString()) {
			throw new PhoenixProtocolException("malformed frame: event must be a string", refText, topicText);
		}
		if (!isRef(joinRef) || !isRef(ref)) {
			throw new PhoenixProtocolException("malformed frame: join_ref and ref must be strings or null", refText,
					topicText);
		}
		if (!payload.isObject()) {
			throw new PhoenixProtocolException("malformed frame: payload must be an object", refText, topicText);
		}
		String invalid = firstInvalid(payload);
		if (invalid == null && (hasUnpairedSurrogate(topicText) || hasUnpairedSurrogate(event.asString()))) {
			invalid = "a string holds an unpaired surrogate (not valid Unicode)";
		}
		if (invalid != null) {
			throw new PhoenixProtocolException("malformed frame: " + invalid, refText,
					hasUnpairedSurrogate(topicText) ? null : topicText);
		}
		return new PhoenixFrame(lenientText(joinRef), refText, topicText, event.asString(), payload);
	}

	/**
	 * A ref as text: strings as they are, numbers in their decimal form, anything else
	 * {@code null}.
	 */
	static @Nullable String lenientText(@Nullable JsonNode node) {
		if (node == null) {
			return null;
		}
		if (node.isString()) {
			return node.asString();
		}
		if (node.isIntegralNumber()) {
			return node.asString();
		}
		return null;
	}

	/**
	 * What makes a payload unfit to be stored and sent on to others, or {@code null}: text
	 * that is not valid Unicode (it cannot be written as UTF-8 to the other members) and
	 * numbers no JSON reader could read back.
	 */
	private static @Nullable String firstInvalid(JsonNode node) {
		if (node.isString()) {
			return hasUnpairedSurrogate(node.asString())
					? "a string holds an unpaired surrogate (not valid Unicode)" : null;
		}
		if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
			return "a number is out of range";
		}
		if (node.isObject()) {
			for (var property : node.properties()) {
				if (hasUnpairedSurrogate(property.getKey())) {
					return "a field name holds an unpaired surrogate (not valid Unicode)";
				}
				String invalid = firstInvalid(property.getValue());
				if (invalid != null) {
					return invalid;
				}
			}
		}
		else if (node.isArray()) {
			for (JsonNode element : node) {
				String invalid = firstInvalid(element);
				if (invalid != null) {
					return invalid;
				}
			}
		}
		return null;
	}

	private static boolean hasUnpairedSurrogate(String text) {
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (Character.isHighSurrogate(c)) {
				if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
					i++;
				}
				else {
					return true;
				}
			}
			else if (Character.isLowSurrogate(c)) {
				return true;
			}
		}
		return false;
	}

	private static boolean isRef(JsonNode node) {
		return node.isNull() || node.isMissingNode() || node.isString() || node.isIntegralNumber();
	}

}
