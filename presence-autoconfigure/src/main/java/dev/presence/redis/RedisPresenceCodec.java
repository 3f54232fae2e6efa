package dev.presence.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.presence.core.Presence;
import dev.presence.core.PresenceChange;
import dev.presence.core.PresenceEntry;
import dev.presence.core.PresenceState;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON of the entries the store keeps in Redis and of the changes it publishes.
 * <p>
 * A stored entry is {@code {"k": key, "n": node, "p": previousRef, "m": state}} ({@code p}
 * absent for a first track); the ref is the hash field that holds it. A change is
 * {@code {"e": epoch, "s": sequence, "o": originNode, "j": [entry...], "l": [entry...]}} where each
 * entry is a stored entry with its ref in front, {@code {"r": ref, "k": ...}}. The state is
 * written and read by Jackson only: the scripts never decode it, so it round-trips
 * unchanged. What is read is kept as the state's JSON ({@link PresenceState}); the tree
 * it is read through is dropped at once.
 */
final class RedisPresenceCodec {

	private final JsonMapper mapper;

	RedisPresenceCodec(JsonMapper mapper) {
		this.mapper = mapper;
	}

	/**
	 * Write an entry the way the entries hash holds it.
	 * @param entry the entry
	 * @return its JSON, an object that starts with {@code {"k":}
	 */
	String writeEntry(PresenceEntry entry) {
		Map<String, @Nullable Object> json = new LinkedHashMap<>();
		json.put("k", entry.key());
		json.put("n", entry.node());
		if (entry.presence().previousRef() != null) {
			json.put("p", entry.presence().previousRef());
		}
		// the state's JSON is written as it is, never parsed (PresenceState is raw JSON to Jackson)
		json.put("m", entry.presence().encodedState());
		return this.mapper.writeValueAsString(json);
	}

	/**
	 * Read an entry of the entries hash.
	 * @param ref the hash field
	 * @param json the hash value
	 * @return the entry
	 * @throws JacksonException if the JSON is malformed
	 * @throws IllegalArgumentException if the JSON does not describe an entry
	 */
	PresenceEntry readEntry(String ref, String json) {
		return entry(ref, this.mapper.readTree(json));
	}

	/**
	 * Read a change published on a topic's channel.
	 * @param topic the topic of the channel
	 * @param message the message
	 * @return the change
	 * @throws JacksonException if the JSON is malformed
	 * @throws IllegalArgumentException if the JSON does not describe a change
	 */
	PresenceChange readChange(String topic, String message) {
		JsonNode root = this.mapper.readTree(message);
		String epoch = root.required("e").stringValue();
		long sequence = root.required("s").longValue();
		String origin = root.required("o").stringValue();
		return new PresenceChange(topic, epoch, sequence, origin, entries(root.required("j")), entries(root.required("l")));
	}

	private List<PresenceEntry> entries(JsonNode array) {
		if (!array.isArray()) {
			throw new IllegalArgumentException("Expected an array of entries but got " + array.getNodeType());
		}
		List<PresenceEntry> entries = new ArrayList<>(array.size());
		for (JsonNode element : array.values()) {
			entries.add(entry(element.required("r").stringValue(), element));
		}
		return entries;
	}

	private PresenceEntry entry(String ref, JsonNode json) {
		String key = json.required("k").stringValue();
		String node = json.required("n").stringValue();
		JsonNode previous = json.get("p");
		String previousRef = (previous == null || previous.isNull()) ? null : previous.stringValue();
		JsonNode state = json.required("m");
		if (!state.isObject()) {
			throw new IllegalArgumentException("Expected the state of entry '" + ref + "' to be an object but got "
					+ state.getNodeType());
		}
		return new PresenceEntry(key, new Presence(ref, previousRef, PresenceState.of(state)), node);
	}

}
