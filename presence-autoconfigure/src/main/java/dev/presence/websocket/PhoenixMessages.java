package dev.presence.websocket;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.presence.core.Presence;
import dev.presence.core.PresenceDiff;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/**
 * Builds the frames the server sends (PROTOCOL.md §2–§5): replies, presence state and
 * diff payloads, {@code system} messages.
 */
final class PhoenixMessages {

	static final String PHOENIX_TOPIC = "phoenix";

	private final JsonMapper mapper;

	PhoenixMessages(JsonMapper mapper) {
		this.mapper = mapper;
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
		return state(joinRef, topic, byKey(presences));
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
		return raw(this.mapper.writeValueAsString(byKey(presences)));
	}

	PhoenixFrame diff(String topic, PresenceDiff diff) {
		ObjectNode payload = this.mapper.createObjectNode();
		payload.set("joins", byKey(diff.joins()));
		payload.set("leaves", byKey(diff.leaves()));
		return new PhoenixFrame(null, null, topic, "presence_diff", payload);
	}

	private ObjectNode byKey(Map<String, List<Presence>> presences) {
		ObjectNode byKey = this.mapper.createObjectNode();
		presences.forEach((key, ofKey) -> {
			ArrayNode array = this.mapper.createArrayNode();
			ofKey.forEach((presence) -> array.add(meta(presence)));
			byKey.putObject(key).set("metas", array);
		});
		return byKey;
	}

	/**
	 * A presence as clients see it: its state with {@code phx_ref} (and
	 * {@code phx_ref_prev}) added. The state's JSON is spliced in as it is, never parsed:
	 * the node is raw JSON that every serializer writes as it stands, and it is never
	 * changed once built, so it may be shared by the frames of several threads.
	 */
	JsonNode meta(Presence presence) {
		String state = presence.encodedState().json();
		StringBuilder meta = new StringBuilder(state.length() + 64);
		// a state is one compact JSON object: all but its closing brace, then the refs
		// (a state holds none: clients' are dropped when they track, PresenceService
		// refuses them)
		meta.append(state, 0, state.length() - 1);
		if (state.length() > 2) {
			meta.append(',');
		}
		meta.append("\"phx_ref\":").append(this.mapper.writeValueAsString(presence.ref()));
		if (presence.previousRef() != null) {
			meta.append(",\"phx_ref_prev\":").append(this.mapper.writeValueAsString(presence.previousRef()));
		}
		meta.append('}');
		return raw(meta.toString());
	}

	/**
	 * A node of JSON text that every serializer writes as it stands.
	 */
	private JsonNode raw(String json) {
		return this.mapper.getNodeFactory().rawValueNode(new RawValue(json));
	}

}
