package dev.presence.websocket;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/**
 * The {@code 2.0.0} serializer: {@code [join_ref, ref, topic, event, payload]} arrays, the
 * default of {@code @supabase/supabase-js} 2.119 and of {@code phoenix} 1.8.
 */
public final class V2JsonSerializer extends JsonFrameSerializer {

	/** The version this serializer speaks. */
	public static final String VERSION = "2.0.0";

	/**
	 * Create the serializer.
	 * @param mapper the JSON mapper of the protocol
	 */
	public V2JsonSerializer(JsonMapper mapper) {
		super(mapper, VERSION);
	}

	@Override
	PhoenixFrame decode(JsonNode root) {
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
	ArrayNode tree(JsonMapper mapper, PhoenixFrame frame) {
		ArrayNode array = mapper.createArrayNode();
		array.add(frame.joinRef());
		array.add(frame.ref());
		array.add(frame.topic());
		array.add(frame.event());
		array.add(frame.payload());
		return array;
	}

}
