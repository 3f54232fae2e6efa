package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The field checks both serializers share.
 */
final class FrameFields {

	private FrameFields() {
	}

	static JsonNode parse(JsonMapper mapper, String text) {
		try {
			return mapper.readTree(text);
		}
		catch (JacksonException ex) {
			throw new PhoenixProtocolException("malformed frame: not JSON", null, null);
		}
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

	private static boolean isRef(JsonNode node) {
		return node.isNull() || node.isMissingNode() || node.isString() || node.isIntegralNumber();
	}

}
