package dev.presence.benchmarks;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads server frames {@code [join_ref, ref, topic, event, payload]} with a streaming
 * parser, straight from the frame's bytes: the driver shares the machine with the
 * server, so what it spends per frame is kept small.
 */
final class InboundFrame {

	private static final JsonFactory FACTORY = new JsonFactory();

	private InboundFrame() {
	}

	/**
	 * @param presence whether presence payloads are parsed (or only counted)
	 */
	static void read(ByteBuf content, boolean presence, PhoenixClient client) {
		byte[] bytes;
		int offset;
		int length = content.readableBytes();
		if (content.hasArray()) {
			bytes = content.array();
			offset = content.arrayOffset() + content.readerIndex();
		}
		else {
			bytes = ByteBufUtil.getBytes(content);
			offset = 0;
		}
		try (JsonParser parser = FACTORY.createParser(bytes, offset, length)) {
			expect(parser.nextToken(), JsonToken.START_ARRAY);
			String joinRef = text(parser);
			String ref = text(parser);
			String topic = text(parser);
			String event = text(parser);
			if (topic == null || event == null) {
				throw new IllegalStateException("frame without topic or event");
			}
			expect(parser.nextToken(), JsonToken.START_OBJECT);
			switch (event) {
				case "phx_reply" -> client.reply(ref, "ok".equals(status(parser)));
				case "presence_state" -> {
					if (presence) {
						client.presenceState(joinRef, presences(parser));
					}
				}
				case "presence_diff" -> {
					if (presence) {
						client.presenceDiff(topic, diff(parser));
					}
					else {
						client.presenceDiffCounted();
					}
				}
				case "broadcast" -> client.broadcastReceived(client.observesBroadcasts() ? sentNanos(parser) : -1);
				case "phx_close", "phx_error", "system" -> client.closedByServer(joinRef);
				default -> {
				}
			}
		}
	}

	/**
	 * The {@code t} of a broadcast's payload, {@code {"type", "event", "payload": {"t": …}}}.
	 */
	private static long sentNanos(JsonParser parser) {
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			if ("payload".equals(name) && value == JsonToken.START_OBJECT) {
				while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
					String field = parser.currentName();
					JsonToken fieldValue = parser.nextToken();
					if ("t".equals(field) && fieldValue == JsonToken.VALUE_NUMBER_INT) {
						return parser.getLongValue();
					}
					parser.skipChildren();
				}
				return -1;
			}
			parser.skipChildren();
		}
		return -1;
	}

	private static @Nullable String text(JsonParser parser) {
		JsonToken token = parser.nextToken();
		return (token == JsonToken.VALUE_NULL) ? null : parser.getString();
	}

	private static @Nullable String status(JsonParser parser) {
		JsonToken token;
		while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			parser.nextToken();
			if ("status".equals(name)) {
				return parser.getString();
			}
			parser.skipChildren();
		}
		return null;
	}

	private static PresenceView.Diff diff(JsonParser parser) {
		Map<String, Map<String, Long>> joins = Map.of();
		Map<String, Map<String, Long>> leaves = Map.of();
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			expect(parser.nextToken(), JsonToken.START_OBJECT);
			if ("joins".equals(name)) {
				joins = presences(parser);
			}
			else if ("leaves".equals(name)) {
				leaves = presences(parser);
			}
			else {
				parser.skipChildren();
			}
		}
		return new PresenceView.Diff(joins, leaves);
	}

	/** {@code {key: {metas: [meta...]}}}, the parser on its START_OBJECT. */
	private static Map<String, Map<String, Long>> presences(JsonParser parser) {
		Map<String, Map<String, Long>> byKey = new HashMap<>();
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String key = parser.currentName();
			expect(parser.nextToken(), JsonToken.START_OBJECT);
			Map<String, Long> metas = new LinkedHashMap<>(2);
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if ("metas".equals(name) && value == JsonToken.START_ARRAY) {
					while (parser.nextToken() == JsonToken.START_OBJECT) {
						meta(parser, metas);
					}
				}
				else {
					parser.skipChildren();
				}
			}
			byKey.put(key, metas);
		}
		return byKey;
	}

	private static void meta(JsonParser parser, Map<String, Long> metas) {
		String ref = null;
		long n = -1;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			if ("phx_ref".equals(name)) {
				ref = parser.getString();
			}
			else if ("n".equals(name) && value == JsonToken.VALUE_NUMBER_INT) {
				n = parser.getLongValue();
			}
			else {
				parser.skipChildren();
			}
		}
		if (ref != null) {
			metas.put(ref, n);
		}
	}

	private static void expect(JsonToken actual, JsonToken expected) {
		if (actual != expected) {
			throw new IllegalStateException("expected " + expected + " but got " + actual);
		}
	}

}
