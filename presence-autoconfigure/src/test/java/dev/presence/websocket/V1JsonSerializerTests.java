package dev.presence.websocket;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Tests for {@link V1JsonSerializer}: the {@code {"topic","event","payload","ref","join_ref"}}
 * objects of docs/protocol.md §1.3, written without {@code join_ref} as Phoenix does.
 */
class V1JsonSerializerTests {

	private final JsonMapper mapper = JsonMapper.builder().build();

	private final V1JsonSerializer serializer = new V1JsonSerializer(this.mapper);

	/**
	 * Every frame kind of docs/protocol.md in the 1.0.0 object form, with its join ref.
	 */
	static Stream<Arguments> frames() {
		return Stream.of(
				arguments("join", "6", "6", "realtime:room_01", "phx_join", """
						{"config":{"broadcast":{"ack":false,"self":false},"presence":{"key":"","enabled":true},\
						"postgres_changes":[],"private":false}}"""),
				arguments("join reply ok", "6", "6", "realtime:room_01", "phx_reply",
						"{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"),
				arguments("join reply error", "6", "6", "realtime:room_01", "phx_reply", """
						{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from \
						this Channel topic: room_01"}}"""),
				arguments("presence track push", "6", "10", "realtime:room_01", "presence", """
						{"type":"presence","event":"track","payload":{"user":"user-1","online_at":"2024-01-01T00:00:00.000Z"}}"""),
				arguments("presence untrack push", "6", "11", "realtime:room_01", "presence",
						"{\"type\":\"presence\",\"event\":\"untrack\"}"),
				arguments("presence_state", "6", null, "realtime:room_01", "presence_state", """
						{"user-1":{"metas":[{"phx_ref":"F3g3At6RfjDNKo5n","name":"a"}]}}"""),
				arguments("presence_diff", null, null, "realtime:room_01", "presence_diff", """
						{"joins":{"u":{"metas":[{"phx_ref":"B","phx_ref_prev":"A","foo":"baz","ü":[1.5,null]}]}},\
						"leaves":{"u":{"metas":[{"phx_ref":"A","foo":"bar"}]}}}"""),
				arguments("heartbeat", null, "8", "phoenix", "heartbeat", "{}"),
				arguments("heartbeat reply", null, "8", "phoenix", "phx_reply", "{\"status\":\"ok\",\"response\":{}}"),
				arguments("phx_leave", "6", "14", "realtime:room_01", "phx_leave", "{}"),
				arguments("phx_close", "6", "6", "realtime:room_01", "phx_close", "{}"),
				arguments("system", "6", null, "realtime:room_01", "system", """
						{"extension":"system","status":"error","message":"Track message size exceeded","channel":"room_01"}"""),
				arguments("access_token", "6", "15", "realtime:room_01", "access_token", "{\"access_token\":\"anon-key\"}"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("frames")
	void everyFrameKindIsWrittenWithoutJoinRefAndReadBack(String kind, String joinRef, String ref, String topic,
			String event, String payload) {
		// given a frame of that kind
		PhoenixFrame frame = new PhoenixFrame(joinRef, ref, topic, event, json(payload));
		// when it is encoded
		String text = this.serializer.encode(frame);
		// then it is the 1.0.0 object, without join_ref
		ObjectNode expected = this.mapper.createObjectNode();
		expected.put("topic", topic);
		expected.put("event", event);
		expected.set("payload", json(payload));
		expected.put("ref", ref);
		assertThat(json(text)).isEqualTo(expected);
		assertThat(json(text).has("join_ref")).isFalse();
		// and decoding it gives the frame back, minus the join ref
		assertThat(this.serializer.decode(text)).isEqualTo(new PhoenixFrame(null, ref, topic, event, json(payload)));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("frames")
	void everyFrameKindIsReadWithItsJoinRef(String kind, String joinRef, String ref, String topic, String event,
			String payload) {
		// given a frame as the client writes it, join_ref included
		ObjectNode object = this.mapper.createObjectNode();
		object.put("topic", topic);
		object.put("event", event);
		object.set("payload", json(payload));
		object.put("ref", ref);
		if (joinRef != null) {
			object.put("join_ref", joinRef);
		}
		// when it is decoded
		PhoenixFrame frame = this.serializer.decode(this.mapper.writeValueAsString(object));
		// then every field is read
		assertThat(frame).isEqualTo(new PhoenixFrame(joinRef, ref, topic, event, json(payload)));
	}

	@Test
	void observedClientFramesAreRead() {
		// given the frames of docs/protocol.md §1.3
		String join = """
				{"topic":"realtime:room_01","event":"phx_join","payload":{"config":{}},"ref":"6","join_ref":"6"}""";
		String heartbeat = """
				{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"8"}""";
		// when they are decoded
		PhoenixFrame joinFrame = this.serializer.decode(join);
		PhoenixFrame heartbeatFrame = this.serializer.decode(heartbeat);
		// then a missing join_ref is null
		assertThat(joinFrame).isEqualTo(new PhoenixFrame("6", "6", "realtime:room_01", "phx_join",
				json("{\"config\":{}}")));
		assertThat(heartbeatFrame).isEqualTo(new PhoenixFrame(null, "8", "phoenix", "heartbeat", json("{}")));
	}

	@Test
	void encodedReplyIsTheObjectWithNullRefWhenThereIsNone() {
		// given a push without ref
		PhoenixFrame frame = new PhoenixFrame("6", null, "realtime:r", "presence_state", json("{}"));
		// when it is encoded
		String text = this.serializer.encode(frame);
		// then ref is written as null and join_ref not at all
		assertThat(text).isEqualTo("{\"topic\":\"realtime:r\",\"event\":\"presence_state\",\"payload\":{},\"ref\":null}");
	}

	@Test
	void numericRefsAreAcceptedAsTheirDecimalText() {
		// given refs sent as JSON numbers
		String text = "{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":12,\"join_ref\":6}";
		// when the frame is decoded
		PhoenixFrame frame = this.serializer.decode(text);
		// then they are the decimal strings
		assertThat(frame.joinRef()).isEqualTo("6");
		assertThat(frame.ref()).isEqualTo("12");
	}

	@ParameterizedTest
	@ValueSource(strings = { "not json", "{\"topic\":", "[null,", "" })
	void nonJsonIsRejected(String text) {
		assertThatExceptionOfType(PhoenixProtocolException.class).isThrownBy(() -> this.serializer.decode(text))
			.satisfies((ex) -> {
				assertThat(ex.getRef()).isNull();
				assertThat(ex.getTopic()).isNull();
			});
	}

	static Stream<Arguments> malformedFrames() {
		return Stream.of(
				// wrong shape: the 2.0.0 array form, scalars
				arguments("array", "[null,\"1\",\"phoenix\",\"heartbeat\",{}]", null, null),
				arguments("string", "\"hello\"", null, null),
				arguments("number", "42", null, null),
				// missing or non-string topic
				arguments("missing topic", "{\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"2\"}", "2", null),
				arguments("number topic", "{\"topic\":5,\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"2\"}", "2",
						null),
				arguments("null topic", "{\"topic\":null,\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"2\"}", "2",
						null),
				// missing or non-string event
				arguments("missing event", "{\"topic\":\"realtime:r\",\"payload\":{},\"ref\":\"2\"}", "2", "realtime:r"),
				arguments("array event", "{\"topic\":\"realtime:r\",\"event\":[],\"payload\":{},\"ref\":\"2\"}", "2",
						"realtime:r"),
				// missing or non-object payload
				arguments("missing payload", "{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"ref\":\"2\"}", "2",
						"realtime:r"),
				arguments("array payload",
						"{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":[],\"ref\":\"2\"}", "2",
						"realtime:r"),
				arguments("string payload",
						"{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":\"x\",\"ref\":\"2\"}", "2",
						"realtime:r"),
				// refs that are neither strings, numbers nor null
				arguments("object ref", "{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":{}}",
						null, "realtime:r"),
				arguments("array ref", "{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":[]}",
						null, "realtime:r"),
				arguments("object join ref",
						"{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"2\",\"join_ref\":{}}",
						"2", "realtime:r"),
				arguments("array join ref",
						"{\"topic\":\"realtime:r\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"2\",\"join_ref\":[]}",
						"2", "realtime:r"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("malformedFrames")
	void malformedFrameIsRejectedKeepingWhatCouldBeRead(String kind, String text, String ref, String topic) {
		assertThatExceptionOfType(PhoenixProtocolException.class).isThrownBy(() -> this.serializer.decode(text))
			.satisfies((ex) -> {
				assertThat(ex.getMessage()).isNotBlank();
				assertThat(ex.getRef()).isEqualTo(ref);
				assertThat(ex.getTopic()).isEqualTo(topic);
			});
	}

	@Test
	void versionIsOne() {
		assertThat(this.serializer.version()).isEqualTo("1.0.0");
	}

	private JsonNode json(String text) {
		return this.mapper.readTree(text);
	}

}
