package dev.presence.websocket;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code 1.0.0} serializer: {@code {"topic", "event", "payload", "ref", "join_ref"}}
 * objects. Like Phoenix, it leaves {@code join_ref} out of what it writes.
 */
public final class V1JsonSerializer implements PhoenixSerializer {

	/** The version this serializer speaks. */
	public static final String VERSION = "1.0.0";

	private final JsonMapper mapper;

	private final TokenStreamFactory parsers;

	public V1JsonSerializer(JsonMapper mapper) {
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
	public byte[] encodeUtf8(PhoenixFrame frame) {
		try {
			return this.mapper.writeValueAsBytes(tree(frame));
		}
		catch (JacksonException ex) {
			throw new IllegalStateException("Could not encode " + frame, ex);
		}
	}

	private ObjectNode tree(PhoenixFrame frame) {
		ObjectNode object = this.mapper.createObjectNode();
		object.put("topic", frame.topic());
		object.put("event", frame.event());
		object.set("payload", frame.payload());
		object.put("ref", frame.ref());
		return object;
	}

}
