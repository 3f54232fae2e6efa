package dev.presence.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PresenceStateTests {

	@Test
	void stateGivenAsJavaValuesIsKeptAsItsJsonAndParsedBackOnDemand() {
		Map<String, Object> values = new LinkedHashMap<>();
		values.put("user", "Zoë");
		values.put("nested", Map.of("list", List.of(1, 2.5, true)));
		values.put("nothing", null);
		PresenceState state = PresenceState.of(values);
		assertThat(state.json()).isEqualTo("{\"user\":\"Zoë\",\"nested\":{\"list\":[1,2.5,true]},\"nothing\":null}");
		assertThat(state.size()).isEqualTo(state.json().getBytes(StandardCharsets.UTF_8).length);
		assertThat(state.toMap()).isEqualTo(values).containsKeys("user", "nested", "nothing");
		assertThat(state.toMap()).isNotSameAs(state.toMap());
	}

	@Test
	void statesWithTheSameMembersInAnotherOrderAreEqual() {
		PresenceState some = PresenceState.fromJson("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":null}}");
		PresenceState other = PresenceState.fromJson("{ \"b\" : {\"y\":null,\"x\":[1,2]}, \"a\" : 1 }");
		assertThat(some).isEqualTo(other).hasSameHashCodeAs(other);
		assertThat(some).isNotEqualTo(PresenceState.fromJson("{\"a\":1,\"b\":{\"x\":[2,1],\"y\":null}}"));
		assertThat(some).isNotEqualTo(PresenceState.fromJson("{\"a\":2,\"b\":{\"x\":[1,2],\"y\":null}}"));
		assertThat(PresenceState.fromJson("{\"v\":1}")).isNotEqualTo(PresenceState.fromJson("{\"v\":\"1\"}"));
	}

	@Test
	void jsonIsValidatedAndWrittenWithoutWhitespace() {
		assertThat(PresenceState.fromJson("{ \"a\" : [ 1 , 2 ] }").json()).isEqualTo("{\"a\":[1,2]}");
		assertThatIllegalArgumentException().isThrownBy(() -> PresenceState.fromJson("[1]"));
		assertThatIllegalArgumentException().isThrownBy(() -> PresenceState.fromJson("{\"a\":"));
		assertThatIllegalArgumentException().isThrownBy(() -> PresenceState.fromJson("{} {}"));
		assertThatIllegalArgumentException().isThrownBy(() -> PresenceState.of(JsonMapper.shared().readTree("\"x\"")));
	}

	@Test
	void bytesHandedOutAreACopy() {
		PresenceState state = PresenceState.fromJson("{\"a\":1}");
		byte[] bytes = state.jsonBytes();
		Arrays.fill(bytes, (byte) ' ');
		assertThat(state.json()).isEqualTo("{\"a\":1}");
	}

	@Test
	void presenceWritesItsStateAsJsonUnderState() {
		Presence presence = new Presence("r2", "r1", Map.of("v", 2));
		assertThat(JsonMapper.shared().writeValueAsString(presence))
			.isEqualTo("{\"ref\":\"r2\",\"previousRef\":\"r1\",\"state\":{\"v\":2}}");
		assertThat(presence.state()).isEqualTo(Map.of("v", 2));
	}

}
