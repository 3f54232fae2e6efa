package dev.presence.websocket;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.Presence;
import dev.presence.engine.PresenceDiff;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/**
 * Builds the frames the server sends (docs/protocol.md §2–§5): replies, presence state and
 * diff payloads, {@code system} messages.
 */
final class PhoenixMessages {

	static final String PHOENIX_TOPIC = "phoenix";

	private final JsonMapper mapper;

	private final TokenStreamFactory parsers;

	PhoenixMessages(JsonMapper mapper) {
		this.mapper = mapper;
		this.parsers = FrameFields.parsers(mapper);
	}

	JsonMapper mapper() {
		return this.mapper;
	}

	PhoenixFrame ok(@Nullable String joinRef, @Nullable String ref, String topic, JsonNode response) {
		ObjectNode payload = this.mapper.createObjectNode();
		payload.put("status", "ok");
		payload.set("response", response);
		return new PhoenixFrame(joinRef, ref, topic, "phx_reply", payload);
	}

	PhoenixFrame ok(@Nullable String joinRef, @Nullable String ref, String topic) {
		return ok(joinRef, ref, topic, this.mapper.createObjectNode());
	}

	PhoenixFrame error(@Nullable String joinRef, @Nullable String ref, String topic, @Nullable String reason) {
		ObjectNode response = this.mapper.createObjectNode();
		if (reason != null) {
			response.put("reason", reason);
		}
		ObjectNode payload = this.mapper.createObjectNode();
		payload.put("status", "error");
		payload.set("response", response);
		return new PhoenixFrame(joinRef, ref, topic, "phx_reply", payload);
	}

	/**
	 * The reply to a successful join: it carries the channel's join ref and echoes the ref
	 * of the {@code phx_join} push, which a client may have chosen apart from its join ref.
	 */
	PhoenixFrame joined(String joinRef, @Nullable String ref, String topic) {
		ObjectNode response = this.mapper.createObjectNode();
		response.set("postgres_changes", this.mapper.createArrayNode());
		return ok(joinRef, ref, topic, response);
	}

	PhoenixFrame close(String joinRef, String topic) {
		return new PhoenixFrame(joinRef, joinRef, topic, "phx_close", this.mapper.createObjectNode());
	}

	PhoenixFrame system(String joinRef, String topic, String message) {
		ObjectNode payload = this.mapper.createObjectNode();
		payload.put("extension", "system");
		payload.put("status", "error");
		payload.put("message", message);
		payload.put("channel", PhoenixChannel.channelName(topic));
		return new PhoenixFrame(joinRef, null, topic, "system", payload);
	}

	PhoenixFrame state(String joinRef, String topic, Map<String, List<Presence>> presences) {
		return state(joinRef, topic, statePayload(presences));
	}

	/**
	 * A {@code presence_state} frame around a payload built by {@link #statePayload(Map)}.
	 */
	PhoenixFrame state(String joinRef, String topic, JsonNode payload) {
		return new PhoenixFrame(joinRef, null, topic, "presence_state", payload);
	}

	/**
	 * The payload of a {@code presence_state}, key to metas, encoded once: raw JSON that
	 * every serializer writes as it stands into the frame of every joiner.
	 */
	JsonNode statePayload(Map<String, List<Presence>> presences) {
		StringBuilder json = new StringBuilder(64 * presences.size() + 2);
		appendByKey(json, presences);
		return raw(json.toString());
	}

	/**
	 * A {@code presence_diff}. Its payload is written as JSON text straight away, the
	 * states spliced in as they are: it runs for every change of every followed topic, and
	 * a tree of nodes per key and meta cost more than the text it stood for.
	 */
	PhoenixFrame diff(String topic, PresenceDiff diff) {
		StringBuilder json = new StringBuilder(128 * (diff.joins().size() + diff.leaves().size()) + 32);
		json.append("{\"joins\":");
		appendByKey(json, diff.joins());
		json.append(",\"leaves\":");
		appendByKey(json, diff.leaves());
		json.append('}');
		return new PhoenixFrame(null, null, topic, "presence_diff", raw(json.toString()));
	}

	/**
	 * {@code {"key":{"metas":[meta, ...]}, ...}}.
	 */
	private static void appendByKey(StringBuilder json, Map<String, List<Presence>> presences) {
		json.append('{');
		boolean firstKey = true;
		for (Map.Entry<String, List<Presence>> ofKey : presences.entrySet()) {
			if (!firstKey) {
				json.append(',');
			}
			firstKey = false;
			appendString(json, ofKey.getKey());
			json.append(":{\"metas\":[");
			boolean firstMeta = true;
			for (Presence presence : ofKey.getValue()) {
				if (!firstMeta) {
					json.append(',');
				}
				firstMeta = false;
				appendMeta(json, presence);
			}
			json.append("]}");
		}
		json.append('}');
	}

	/**
	 * A presence as clients see it: its state with {@code phx_ref} (and
	 * {@code phx_ref_prev}) added. The state's JSON is spliced in as it is, never parsed.
	 */
	private static void appendMeta(StringBuilder json, Presence presence) {
		String state = presence.encodedState().json();
		// a state is one compact JSON object: all but its closing brace, then the refs
		// (a state holds none: clients' are dropped when they track, PresenceService
		// refuses them)
		json.append(state, 0, state.length() - 1);
		if (state.length() > 2) {
			json.append(',');
		}
		json.append("\"phx_ref\":");
		appendString(json, presence.ref());
		if (presence.previousRef() != null) {
			json.append(",\"phx_ref_prev\":");
			appendString(json, presence.previousRef());
		}
		json.append('}');
	}

	/**
	 * A JSON value of a client's frame (already checked when the frame was read) as the
	 * UTF-8 bytes that travel on.
	 */
	byte[] json(JsonNode value) {
		return this.mapper.writeValueAsBytes(value);
	}

	/**
	 * A JSON value that came as bytes, checked as a frame's payload is.
	 * @throws PhoenixProtocolException when it is not valid
	 */
	byte[] checkedJson(byte[] utf8, @Nullable String ref, @Nullable String topic) {
		return FrameFields.checkedJson(this.mapper, this.parsers, utf8, ref, topic);
	}

	/**
	 * A {@code broadcast} frame as supabase-js receives it: under no join ref and no ref,
	 * the payload {@code {"type": "broadcast", "event": …, "payload": …}} with the
	 * broadcast's JSON spliced in as it travelled (docs/protocol.md §8).
	 */
	PhoenixFrame broadcast(String topic, String event, BroadcastPayload payload) {
		String json = new String(payload.bytes(), StandardCharsets.UTF_8);
		StringBuilder text = new StringBuilder(json.length() + event.length() + 48);
		text.append("{\"type\":\"broadcast\",\"event\":");
		appendString(text, event);
		text.append(",\"payload\":").append(json).append('}');
		return new PhoenixFrame(null, null, topic, "broadcast", raw(text.toString()));
	}

	private static void appendString(StringBuilder json, String value) {
		json.append('"');
		JsonStringEncoder.getInstance().quoteAsString(value, json);
		json.append('"');
	}

	/**
	 * A node of JSON text that every serializer writes as it stands.
	 */
	private JsonNode raw(String json) {
		return this.mapper.getNodeFactory().rawValueNode(new RawValue(json));
	}

}
