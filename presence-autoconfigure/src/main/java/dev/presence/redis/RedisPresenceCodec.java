package dev.presence.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.Presence;
import dev.presence.core.PresenceState;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.TopicBroadcast;

/**
 * The JSON of the entries the store keeps in Redis and of the changes it publishes.
 * <p>
 * A stored entry is {@code {"k": key, "n": node, "p": previousRef, "m": state}} ({@code p}
 * absent for a first track); the ref is the hash field that holds it. A change is
 * {@code {"e": epoch, "s": sequence, "o": originNode, "j": [entry...], "l": [entry...]}} where each
 * entry is a stored entry with its ref in front, {@code {"r": ref, "k": ...}}. The state is
 * written by Jackson from the state's own bytes and never decoded by the scripts, so what
 * is read back is those bytes, cut out of the text as they are ({@link PresenceState}).
 * Broadcasts travel on the same channel in a form of their own
 * ({@link #writeBroadcast(TopicBroadcast)}).
 */
final class RedisPresenceCodec {

	private static final char BROADCAST = 'B';

	private static final char JSON_PAYLOAD = 'J';

	private static final char BINARY_PAYLOAD = '6';

	private final JsonMapper mapper;

	/**
	 * Parsers that do not canonicalize property names: states are full of names seen
	 * once (5,000 of them in a large state), which would only fill the symbol table.
	 */
	private final JsonFactory parsers = JsonFactory.builder()
		.disable(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES)
		.build();

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
		try (JsonParser parser = this.parsers.createParser(json)) {
			expect(parser.nextToken(), JsonToken.START_OBJECT, "an entry");
			return entry(parser, json, ref);
		}
	}

	/**
	 * Read a change published on a topic's channel: every node reads every change of the
	 * topics it follows, so it is read as a stream, and each state is cut out of the
	 * message as the bytes the writer encoded, never parsed into a tree (a 60 KB state of
	 * 5,000 fields cost more to read as a tree than everything else its track did).
	 * @param topic the topic of the channel
	 * @param message the message
	 * @return the change
	 * @throws JacksonException if the JSON is malformed
	 * @throws IllegalArgumentException if the JSON does not describe a change
	 */
	PresenceChange readChange(String topic, String message) {
		try (JsonParser parser = this.parsers.createParser(message)) {
			expect(parser.nextToken(), JsonToken.START_OBJECT, "a change");
			String epoch = null;
			Long sequence = null;
			String origin = null;
			List<PresenceEntry> joins = null;
			List<PresenceEntry> leaves = null;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				switch (name) {
					case "e" -> epoch = string(parser, value, name);
					case "s" -> {
						if (value != JsonToken.VALUE_NUMBER_INT) {
							throw new IllegalArgumentException("Expected 's' to be an integer but got " + value);
						}
						sequence = parser.getLongValue();
					}
					case "o" -> origin = string(parser, value, name);
					case "j" -> joins = entries(parser, value, message);
					case "l" -> leaves = entries(parser, value, message);
					default -> parser.skipChildren();
				}
			}
			return new PresenceChange(topic, required(epoch, "e"), required(sequence, "s"), required(origin, "o"),
					required(joins, "j"), required(leaves, "l"));
		}
	}

	private List<PresenceEntry> entries(JsonParser parser, JsonToken array, String message) {
		expect(array, JsonToken.START_ARRAY, "an array of entries");
		List<PresenceEntry> entries = new ArrayList<>();
		JsonToken token;
		while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
			expect(token, JsonToken.START_OBJECT, "an entry");
			entries.add(entry(parser, message, null));
		}
		return entries;
	}

	/**
	 * Read an entry from its opening brace to its closing one.
	 * @param ref the entry's ref, or {@code null} to read it from its {@code r}
	 */
	private PresenceEntry entry(JsonParser parser, String text, @Nullable String ref) {
		String key = null;
		String node = null;
		String previousRef = null;
		PresenceState state = null;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "r" -> ref = (ref != null) ? ref : string(parser, value, name);
				case "k" -> key = string(parser, value, name);
				case "n" -> node = string(parser, value, name);
				case "p" -> previousRef = (value == JsonToken.VALUE_NULL) ? null : string(parser, value, name);
				case "m" -> state = state(parser, value, text);
				default -> parser.skipChildren();
			}
		}
		String entryRef = required(ref, "r");
		return new PresenceEntry(required(key, "k"), new Presence(entryRef, previousRef, required(state, "m")),
				required(node, "n"));
	}

	/**
	 * The state as written: the text from its opening brace to its closing one, which
	 * {@link #writeEntry} wrote from the state's own bytes.
	 */
	/**
	 * Whether a message of a topic's channel is a broadcast rather than a change.
	 */
	static boolean isBroadcast(String message) {
		return !message.isEmpty() && message.charAt(0) == BROADCAST;
	}

	/**
	 * Write a broadcast for a topic's channel. It is not JSON, so that its payload travels
	 * as the text it is, never parsed by a node that only passes it on: {@code B}, then
	 * the origin node, the sender and the event, each as its length in characters, a colon
	 * and the text, then {@code J} and the JSON payload, or {@code 6} and the binary
	 * payload in Base64.
	 * @param broadcast the broadcast
	 * @return the message
	 */
	String writeBroadcast(TopicBroadcast broadcast) {
		BroadcastPayload payload = broadcast.payload();
		String sender = (broadcast.sender() != null) ? broadcast.sender() : "";
		StringBuilder message = new StringBuilder(payload.size() + 64).append(BROADCAST);
		appendField(message, broadcast.origin());
		appendField(message, sender);
		appendField(message, broadcast.event());
		if (payload.isBinary()) {
			message.append(BINARY_PAYLOAD).append(Base64.getEncoder().encodeToString(payload.bytes()));
		}
		else {
			message.append(JSON_PAYLOAD).append(new String(payload.bytes(), StandardCharsets.UTF_8));
		}
		return message.toString();
	}

	/**
	 * Read a broadcast written by {@link #writeBroadcast(TopicBroadcast)}.
	 * @param topic the topic of the channel
	 * @param message the message
	 * @return the broadcast
	 * @throws IllegalArgumentException if the message is not a broadcast
	 */
	TopicBroadcast readBroadcast(String topic, String message) {
		int[] at = { 1 };
		String origin = readField(message, at);
		String sender = readField(message, at);
		String event = readField(message, at);
		if (at[0] >= message.length()) {
			throw new IllegalArgumentException("A broadcast without a payload");
		}
		char kind = message.charAt(at[0]);
		String text = message.substring(at[0] + 1);
		BroadcastPayload payload = switch (kind) {
			case JSON_PAYLOAD -> BroadcastPayload.ofJson(text.getBytes(StandardCharsets.UTF_8));
			case BINARY_PAYLOAD -> BroadcastPayload.ofBinary(Base64.getDecoder().decode(text));
			default -> throw new IllegalArgumentException("A broadcast payload of unknown kind '" + kind + "'");
		};
		return new TopicBroadcast(topic, event, payload, origin, sender.isEmpty() ? null : sender);
	}

	private static void appendField(StringBuilder message, String field) {
		message.append(field.length()).append(':').append(field);
	}

	private static String readField(String message, int[] at) {
		int colon = message.indexOf(':', at[0]);
		if (colon < 0) {
			throw new IllegalArgumentException("A broadcast field without its length");
		}
		int length = Integer.parseInt(message, at[0], colon, 10);
		int end = colon + 1 + length;
		if (length < 0 || end > message.length()) {
			throw new IllegalArgumentException("A broadcast field longer than the message");
		}
		at[0] = end;
		return message.substring(colon + 1, end);
	}

	private static PresenceState state(JsonParser parser, JsonToken value, String text) {
		if (value != JsonToken.START_OBJECT) {
			throw new IllegalArgumentException("Expected the state to be an object but got " + value);
		}
		int start = (int) parser.currentTokenLocation().getCharOffset();
		parser.skipChildren();
		int end = (int) parser.currentLocation().getCharOffset();
		return PresenceState.fromEncoded(text.substring(start, end).getBytes(StandardCharsets.UTF_8));
	}

	private static String string(JsonParser parser, JsonToken value, String name) {
		if (value != JsonToken.VALUE_STRING) {
			throw new IllegalArgumentException("Expected '" + name + "' to be a string but got " + value);
		}
		return parser.getString();
	}

	private static void expect(@Nullable JsonToken actual, JsonToken expected, String what) {
		if (actual != expected) {
			throw new IllegalArgumentException("Expected " + what + " but got " + actual);
		}
	}

	private static <T> T required(@Nullable T value, String name) {
		if (value == null) {
			throw new IllegalArgumentException("Missing '" + name + "'");
		}
		return value;
	}

}
