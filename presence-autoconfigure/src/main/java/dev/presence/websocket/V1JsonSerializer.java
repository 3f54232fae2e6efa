package dev.presence.websocket;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code 1.0.0} serializer: {@code {"topic", "event", "payload", "ref", "join_ref"}}
 * objects. Like Phoenix, it leaves {@code join_ref} out of what it writes.
 */
public final class V1JsonSerializer extends JsonFrameSerializer {

	/** The version this serializer speaks. */
	public static final String VERSION = "1.0.0";

	/**
	 * Create the serializer.
	 * @param mapper the JSON mapper of the protocol
	 */
	public V1JsonSerializer(JsonMapper mapper) {
		super(mapper, VERSION);
	}

	@Override
	PhoenixFrame decode(JsonNode root) {
		if (!root.isObject()) {
			throw new PhoenixProtocolException(
					"malformed frame: expected {\"topic\", \"event\", \"payload\", \"ref\", \"join_ref\"}", null, null);
		}
		return FrameFields.frame(field(root, "join_ref"), field(root, "ref"), field(root, "topic"),
				field(root, "event"), field(root, "payload"));
	}

	private static JsonNode field(JsonNode root, String name) {
		JsonNode value = root.get(name);
		return (value != null) ? value : MissingNode.getInstance();
	}

	@Override
	ObjectNode tree(JsonMapper mapper, PhoenixFrame frame) {
		ObjectNode object = mapper.createObjectNode();
		object.put("topic", frame.topic());
		object.put("event", frame.event());
		object.set("payload", frame.payload());
		object.put("ref", frame.ref());
		return object;
	}

}
