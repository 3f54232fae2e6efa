package dev.presence.websocket;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the two JSON serializers share: parsing a frame's text into a tree (without
 * canonicalizing client-chosen names), and writing a frame's tree as UTF-8 bytes. Each
 * version says how a tree is laid out.
 */
abstract sealed class JsonFrameSerializer implements PhoenixSerializer permits V1JsonSerializer, V2JsonSerializer {

	private final JsonMapper mapper;

	private final TokenStreamFactory parsers;

	private final String version;

	JsonFrameSerializer(JsonMapper mapper, String version) {
		this.mapper = mapper;
		this.parsers = FrameFields.parsers(mapper);
		this.version = version;
	}

	@Override
	public final String version() {
		return this.version;
	}

	@Override
	public final PhoenixFrame decode(String text) {
		return decode(FrameFields.parse(this.mapper, this.parsers, text));
	}

	/**
	 * Read a frame from its parsed text.
	 * @throws PhoenixProtocolException when the tree is not a frame of this version
	 */
	abstract PhoenixFrame decode(JsonNode root);

	@Override
	public final byte[] encodeUtf8(PhoenixFrame frame) {
		try {
			return this.mapper.writeValueAsBytes(tree(this.mapper, frame));
		}
		catch (JacksonException ex) {
			throw new IllegalStateException("Could not encode " + frame, ex);
		}
	}

	/**
	 * The frame as this version lays it out.
	 */
	abstract JsonNode tree(JsonMapper mapper, PhoenixFrame frame);

}
