package dev.presence.websocket;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.presence.core.Presence;
import dev.presence.core.PresenceState;
import dev.presence.engine.PresenceDiff;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the presence frames of {@link PhoenixMessages}: metas are the tracked JSON
 * with the refs added (docs/protocol.md §3.3), spliced from the state's encoding.
 */
class PhoenixMessagesTests {

	private final JsonMapper mapper = JsonMapper.builder().build();

	private final PhoenixMessages messages = new PhoenixMessages(this.mapper);

	@Test
	void diffShowsEachStateWithItsRefsUnderBothSerializers() {
		// given an update (new meta joins, old one leaves) and a first track of an empty state
		Presence old = new Presence("A", null, PresenceState.fromJson("{\"foo\":\"bar\"}"));
		Presence updated = new Presence("B", "A", PresenceState.fromJson("{\"foo\":\"baz\",\"ü\":[1.5,null]}"));
		Presence empty = new Presence("C", null, PresenceState.empty());
		Map<String, List<Presence>> joins = new LinkedHashMap<>();
		joins.put("u", List.of(updated));
		joins.put("e", List.of(empty));
		PhoenixFrame diff = this.messages.diff("realtime:room", new PresenceDiff(joins, Map.of("u", List.of(old))));
		// when it is encoded by either serializer
		// then each meta is its state's JSON followed by phx_ref (and phx_ref_prev)
		String payload = """
				{"joins":{"u":{"metas":[{"foo":"baz","ü":[1.5,null],"phx_ref":"B","phx_ref_prev":"A"}]},\
				"e":{"metas":[{"phx_ref":"C"}]}},"leaves":{"u":{"metas":[{"foo":"bar","phx_ref":"A"}]}}}""";
		assertThat(new V2JsonSerializer(this.mapper).encode(diff))
			.isEqualTo("[null,null,\"realtime:room\",\"presence_diff\"," + payload + "]");
		assertThat(new V1JsonSerializer(this.mapper).encode(diff))
			.isEqualTo("{\"topic\":\"realtime:room\",\"event\":\"presence_diff\",\"payload\":" + payload
					+ ",\"ref\":null}");
	}

	@Test
	void stateWritesRefsAsJsonStrings() {
		// given a ref that JSON must escape (refs are opaque strings to the protocol)
		Presence presence = new Presence("a\"b\\c", null, PresenceState.fromJson("{\"n\":1}"));
		// when the presence_state is encoded
		String text = new V2JsonSerializer(this.mapper)
			.encode(this.messages.state("1", "realtime:room", Map.of("k", List.of(presence))));
		// then it is valid JSON that reads back the same ref and state
		assertThat(this.mapper.readTree(text).get(4).get("k").get("metas").get(0))
			.isEqualTo(this.mapper.readTree("{\"n\":1,\"phx_ref\":\"a\\\"b\\\\c\"}"));
	}

	@Test
	void diffWritesKeysAsJsonStrings() {
		// given keys that JSON must escape (keys are chosen by clients)
		Presence presence = new Presence("r1", null, PresenceState.fromJson("{\"n\":1}"));
		Map<String, List<Presence>> joins = new LinkedHashMap<>();
		joins.put("a\"b\\c\n", List.of(presence));
		joins.put("ü 🙂", List.of(presence));
		// when a diff is encoded
		String text = new V2JsonSerializer(this.mapper)
			.encode(this.messages.diff("realtime:room", new PresenceDiff(joins, Map.of())));
		// then it is valid JSON that reads back the same keys
		assertThat(this.mapper.readTree(text).get(4).get("joins").propertyNames()).containsExactly("a\"b\\c\n",
				"ü 🙂");
	}

}
