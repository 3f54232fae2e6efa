package dev.presence.websocket;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Tests for {@link V2JsonSerializer}: the {@code [join_ref, ref, topic, event, payload]}
 * frames of docs/protocol.md §1.3.
 */
class V2JsonSerializerTests {

	private final JsonMapper mapper = JsonMapper.builder().build();

	private final V2JsonSerializer serializer = new V2JsonSerializer(this.mapper);

	/**
	 * Every frame kind of docs/protocol.md, in the text form the client and server write.
	 */
	static Stream<Arguments> frames() {
		return Stream.of(
				arguments("join", """
						["6","6","realtime:room_01","phx_join",{"config":{"broadcast":{"ack":false,"self":false},\
						"presence":{"key":"","enabled":true},"postgres_changes":[],"private":false}}]"""),
				arguments("join with access token", """
						["7","7","realtime:room_01","phx_join",{"config":{"presence":{"enabled":true}},\
						"access_token":"anon-key","version":"realtime-js/2.119.0"}]"""),
				arguments("join reply ok", """
						["6","6","realtime:room_01","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]"""),
				arguments("join reply error", """
						["6","6","realtime:","phx_reply",{"status":"error",\
						"response":{"reason":"TopicNameRequired: You must provide a topic name"}}]"""),
				arguments("presence track push", """
						["6","10","realtime:room_01","presence",{"type":"presence","event":"track",\
						"payload":{"user":"user-1","online_at":"2024-01-01T00:00:00.000Z"}}]"""),
				arguments("presence untrack push", """
						["6","11","realtime:room_01","presence",{"type":"presence","event":"untrack"}]"""),
				arguments("presence_state", """
						["6",null,"realtime:room_01","presence_state",{"user-1":{"metas":[{"phx_ref":"F3g3At6RfjDNKo5n","name":"a"}]},\
						"userId-123":{"metas":[{"phx_ref":"GA..1","tab":1},{"phx_ref":"GA..2","phx_ref_prev":"GA..0","tab":2}]}}]"""),
				arguments("presence_diff", """
						[null,null,"realtime:room_01","presence_diff",{"joins":{"u/058c52":{"metas":[{"phx_ref":"F3g3A5Sb9ynNKjbE",\
						"phx_ref_prev":"F3g3At6RfjDNKo5n","foo":"baz"}]}},"leaves":{"u/058c52":{"metas":[{"phx_ref":"F3g3At6RfjDNKo5n",\
						"foo":"bar"}]}}}]"""),
				arguments("presence_diff with nested values, null, unicode and floats", """
						[null,null,"realtime:room_01","presence_diff",{"joins":{"ünïcødé 😀":{"metas":[{"phx_ref":"x",\
						"nested":{"list":[1,2.5,null,true,"ß"],"empty":{}},"none":null}]}},"leaves":{}}]"""),
				arguments("heartbeat", """
						[null,"12","phoenix","heartbeat",{}]"""),
				arguments("heartbeat reply", """
						[null,"12","phoenix","phx_reply",{"status":"ok","response":{}}]"""),
				arguments("phx_leave", """
						["6","14","realtime:room_01","phx_leave",{}]"""),
				arguments("phx_leave reply", """
						["6","14","realtime:room_01","phx_reply",{"status":"ok","response":{}}]"""),
				arguments("phx_close", """
						["6","6","realtime:room_01","phx_close",{}]"""),
				arguments("system", """
						["6",null,"realtime:room_01","system",{"extension":"system","status":"error",\
						"message":"Track message size exceeded","channel":"room_01"}]"""),
				arguments("access_token", """
						["6","15","realtime:room_01","access_token",{"access_token":"anon-key"}]"""),
				arguments("unmatched topic reply", """
						[null,"3","realtime:nope","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("frames")
	void everyFrameKindRoundTripsToTheSameText(String kind, String text) {
		// given a frame as it appears on the wire
		// when it is decoded and encoded again
		PhoenixFrame decoded = this.serializer.decode(text);
		String encoded = this.serializer.encode(decoded);
		// then the text is unchanged and decoding it again gives the same frame
		assertThat(encoded).isEqualTo(text);
		assertThat(this.serializer.decode(encoded)).isEqualTo(decoded);
	}

	@Test
	void decodedFrameHoldsEveryPosition() {
		// given a track push
		String text = """
				["6","10","realtime:room_01","presence",{"type":"presence","event":"track","payload":{"user":"u"}}]""";
		// when it is decoded
		PhoenixFrame frame = this.serializer.decode(text);
		// then each position lands in its field
		assertThat(frame.joinRef()).isEqualTo("6");
		assertThat(frame.ref()).isEqualTo("10");
		assertThat(frame.topic()).isEqualTo("realtime:room_01");
		assertThat(frame.event()).isEqualTo("presence");
		assertThat(frame.payload()).isEqualTo(json("""
				{"type":"presence","event":"track","payload":{"user":"u"}}"""));
	}

	@Test
	void nullRefsDecodeAsNull() {
		// given a heartbeat without join ref
		// when it is decoded
		PhoenixFrame frame = this.serializer.decode("[null,\"12\",\"phoenix\",\"heartbeat\",{}]");
		// then the join ref is null
		assertThat(frame.joinRef()).isNull();
		assertThat(frame.ref()).isEqualTo("12");
	}

	@Test
	void encodedFrameIsTheFiveElementArray() {
		// given a reply built on the server
		PhoenixFrame frame = new PhoenixFrame("6", "6", "realtime:room_01", "phx_reply",
				json("{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"));
		// when it is encoded
		String text = this.serializer.encode(frame);
		// then it is the array of docs/protocol.md §2.3
		assertThat(text).isEqualTo(
				"[\"6\",\"6\",\"realtime:room_01\",\"phx_reply\",{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}]");
	}

	@Test
	void encodedPushWithoutRefsWritesNulls() {
		// given a presence_diff push, which carries neither join ref nor ref
		PhoenixFrame frame = new PhoenixFrame(null, null, "realtime:r", "presence_diff",
				json("{\"joins\":{},\"leaves\":{}}"));
		// when it is encoded
		String text = this.serializer.encode(frame);
		// then both refs are JSON null
		assertThat(text).isEqualTo("[null,null,\"realtime:r\",\"presence_diff\",{\"joins\":{},\"leaves\":{}}]");
	}

	@Test
	void numericRefsAreAcceptedAsTheirDecimalText() {
		// given refs sent as JSON numbers
		// when the frame is decoded
		PhoenixFrame frame = this.serializer.decode("[6,12345678901234567890,\"realtime:r\",\"phx_leave\",{}]");
		// then they are the decimal strings
		assertThat(frame.joinRef()).isEqualTo("6");
		assertThat(frame.ref()).isEqualTo("12345678901234567890");
	}

	@ParameterizedTest
	@ValueSource(strings = { "not json", "[null,\"1\",", "{\"unterminated\":", "" })
	void nonJsonIsRejected(String text) {
		// given text that is no JSON document
		// when it is decoded, then it is rejected and nothing could be read
		assertThatExceptionOfType(PhoenixProtocolException.class).isThrownBy(() -> this.serializer.decode(text))
			.satisfies((ex) -> {
				assertThat(ex.getRef()).isNull();
				assertThat(ex.getTopic()).isNull();
			});
	}

	static Stream<Arguments> malformedFrames() {
		return Stream.of(
				// wrong shape: the 1.0.0 object form, scalars
				arguments("object", "{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"1\"}",
						null, null),
				arguments("string", "\"hello\"", null, null),
				arguments("number", "42", null, null),
				arguments("null", "null", null, null),
				// wrong arity
				arguments("empty array", "[]", null, null),
				arguments("one element", "[\"1\"]", null, null),
				arguments("four elements", "[\"1\",\"2\",\"realtime:r\",\"phx_leave\"]", "2", "realtime:r"),
				arguments("six elements", "[\"1\",\"2\",\"realtime:r\",\"phx_leave\",{},{}]", "2", "realtime:r"),
				// non-string topic or event
				arguments("number topic", "[\"1\",\"2\",5,\"phx_leave\",{}]", "2", null),
				arguments("null topic", "[\"1\",\"2\",null,\"phx_leave\",{}]", "2", null),
				arguments("object topic", "[\"1\",\"2\",{},\"phx_leave\",{}]", "2", null),
				arguments("number event", "[\"1\",\"2\",\"realtime:r\",5,{}]", "2", "realtime:r"),
				arguments("null event", "[\"1\",\"2\",\"realtime:r\",null,{}]", "2", "realtime:r"),
				// non-object payload
				arguments("array payload", "[\"1\",\"2\",\"realtime:r\",\"phx_leave\",[]]", "2", "realtime:r"),
				arguments("string payload", "[\"1\",\"2\",\"realtime:r\",\"phx_leave\",\"x\"]", "2", "realtime:r"),
				arguments("null payload", "[\"1\",\"2\",\"realtime:r\",\"phx_leave\",null]", "2", "realtime:r"),
				// refs that are neither strings, numbers nor null
				arguments("object ref", "[\"1\",{},\"realtime:r\",\"phx_leave\",{}]", null, "realtime:r"),
				arguments("array ref", "[\"1\",[\"2\"],\"realtime:r\",\"phx_leave\",{}]", null, "realtime:r"),
				arguments("object join ref", "[{},\"2\",\"realtime:r\",\"phx_leave\",{}]", "2", "realtime:r"),
				arguments("array join ref", "[[],\"2\",\"realtime:r\",\"phx_leave\",{}]", "2", "realtime:r"),
				arguments("boolean ref", "[\"1\",true,\"realtime:r\",\"phx_leave\",{}]", null, "realtime:r"),
				arguments("fractional ref", "[\"1\",1.5,\"realtime:r\",\"phx_leave\",{}]", null, "realtime:r"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("malformedFrames")
	void malformedFrameIsRejectedKeepingWhatCouldBeRead(String kind, String text, String ref, String topic) {
		// given a JSON text that is not a valid 2.0.0 frame
		// when it is decoded, then it is rejected with the ref and topic that could be read
		assertThatExceptionOfType(PhoenixProtocolException.class).isThrownBy(() -> this.serializer.decode(text))
			.satisfies((ex) -> {
				assertThat(ex.getMessage()).isNotBlank();
				assertThat(ex.getRef()).isEqualTo(ref);
				assertThat(ex.getTopic()).isEqualTo(topic);
			});
	}

	@Test
	void versionIsTwo() {
		assertThat(this.serializer.version()).isEqualTo("2.0.0");
	}

	private JsonNode json(String text) {
		return this.mapper.readTree(text);
	}

}
