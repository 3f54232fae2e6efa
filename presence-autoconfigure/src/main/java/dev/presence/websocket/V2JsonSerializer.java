package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/**
 * The {@code 2.0.0} serializer: {@code [join_ref, ref, topic, event, payload]} arrays, the
 * default of {@code @supabase/supabase-js} 2.119 and of {@code phoenix} 1.8.
 */
public final class V2JsonSerializer implements PhoenixSerializer {

	/** The version this serializer speaks. */
	public static final String VERSION = "2.0.0";

	private final JsonMapper mapper;

	private final TokenStreamFactory parsers;

	public V2JsonSerializer(JsonMapper mapper) {
		this.mapper = mapper;
		this.parsers = FrameFields.parsers(mapper);
	}

	@Override
	public String version() {
		return VERSION;
	}

	@Override
	public PhoenixFrame decode(String text) {
		JsonNode root = FrameFields.parse(this.mapper, this.parsers, text);
		if (!root.isArray()) {
			throw new PhoenixProtocolException("malformed frame: expected [join_ref, ref, topic, event, payload]",
					null, null);
		}
		@Nullable String ref = (root.size() > 1) ? FrameFields.lenientText(root.get(1)) : null;
		@Nullable String topic = (root.size() > 2) ? FrameFields.lenientText(root.get(2)) : null;
		if (root.size() != 5) {
			throw new PhoenixProtocolException(
					"malformed frame: expected 5 elements [join_ref, ref, topic, event, payload], got " + root.size(),
					ref, topic);
		}
		return FrameFields.frame(root.get(0), root.get(1), root.get(2), root.get(3), root.get(4));
	}

	@Override
	public byte[] encodeUtf8(PhoenixFrame frame) {
		try {
			return this.mapper.writeValueAsBytes(tree(frame));
		}
		catch (JacksonException ex) {
			throw new IllegalStateException("Could not encode " + frame, ex);
		}
	}

	private ArrayNode tree(PhoenixFrame frame) {
		ArrayNode array = this.mapper.createArrayNode();
		array.add(frame.joinRef());
		array.add(frame.ref());
		array.add(frame.topic());
		array.add(frame.event());
		array.add(frame.payload());
		return array;
	}

}
