package dev.presence.websocket;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.presence.core.Presence;
import dev.presence.engine.PresenceDiff;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cost of the frames every change turns into: building and encoding a
 * {@code presence_diff} (once per topic and serializer, whatever the number of members)
 * and a {@code presence_state} (once per join), and decoding them and a client's track.
 * Lives in the serializers' package to reach {@link PhoenixMessages}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SerializerBenchmark {

	private static final String TOPIC = "realtime:room_01";

	/** Presences in the topic's state; also joins in a batched diff. */
	@Param({ "1", "100", "1000" })
	public int presences;

	private PhoenixMessages messages;

	private V2JsonSerializer v2;

	private V1JsonSerializer v1;

	private PresenceDiff update;

	private PresenceDiff batch;

	private Map<String, List<Presence>> state;

	private String updateText;

	private String stateText;

	private String trackText;

	@Setup
	public void setUp() {
		JsonMapper mapper = JsonMapper.builder().build();
		this.messages = new PhoenixMessages(mapper);
		this.v2 = new V2JsonSerializer(mapper);
		this.v1 = new V1JsonSerializer(mapper);
		Presence before = meta("user-1", 1, null);
		Presence after = meta("user-1", 2, before.ref());
		this.update = new PresenceDiff(Map.of("user-1", List.of(after)), Map.of("user-1", List.of(before)));
		Map<String, List<Presence>> joins = new LinkedHashMap<>();
		this.state = new LinkedHashMap<>();
		for (int i = 0; i < this.presences; i++) {
			Presence presence = meta("user-" + i, i, null);
			joins.put("user-" + i, List.of(presence));
			this.state.put("user-" + i, List.of(presence));
		}
		this.batch = new PresenceDiff(joins, Map.of());
		this.updateText = this.v2.encode(this.messages.diff(TOPIC, this.update));
		this.stateText = this.v2.encode(this.messages.state("7", TOPIC, this.state));
		this.trackText = "[\"7\",\"12\",\"" + TOPIC + "\",\"presence\",{\"type\":\"presence\",\"event\":\"track\","
				+ "\"payload\":" + stateJson("user-1", 3) + "}]";
	}

	/** One update (a join and a leave under one key), as Phoenix sends it: v2. */
	@Benchmark
	public String encodeUpdateDiffV2() {
		return this.v2.encode(this.messages.diff(TOPIC, this.update));
	}

	/** The same in the v1 object form. */
	@Benchmark
	public String encodeUpdateDiffV1() {
		return this.v1.encode(this.messages.diff(TOPIC, this.update));
	}

	/** {@code presences} joins in one diff, what per-topic batching sends. */
	@Benchmark
	public String encodeBatchDiffV2() {
		return this.v2.encode(this.messages.diff(TOPIC, this.batch));
	}

	/** The state a joining member receives. */
	@Benchmark
	public String encodeStateV2() {
		return this.v2.encode(this.messages.state("7", TOPIC, this.state));
	}

	@Benchmark
	public PhoenixFrame decodeUpdateDiffV2() {
		return this.v2.decode(this.updateText);
	}

	@Benchmark
	public PhoenixFrame decodeStateV2() {
		return this.v2.decode(this.stateText);
	}

	/** What the server does with every client track. */
	@Benchmark
	public PhoenixFrame decodeTrackV2() {
		return this.v2.decode(this.trackText);
	}

	static Presence meta(String user, int n, @Nullable String previousRef) {
		Map<String, @Nullable Object> state = new LinkedHashMap<>();
		state.put("user_id", user);
		state.put("name", "User " + user);
		state.put("status", "online");
		state.put("online_at", "2026-05-01T12:00:00.000Z");
		state.put("n", n);
		state.put("device", Map.of("type", "web", "tabs", new ArrayList<>(List.of(1, 2))));
		return new Presence("F3g3A5Sb9yn" + user.hashCode() + "x" + n, previousRef, state);
	}

	static String stateJson(String user, int n) {
		return "{\"user_id\":\"" + user + "\",\"name\":\"User " + user + "\",\"status\":\"online\","
				+ "\"online_at\":\"2026-05-01T12:00:00.000Z\",\"n\":" + n + ",\"device\":{\"type\":\"web\",\"tabs\":[1,2]}}";
	}

}
