package dev.presence.redis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Redis side of every change: the entry JSON a track writes, and the pub/sub message
 * every node following the topic decodes. Lives in the store's package to reach
 * {@link RedisPresenceCodec}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChangeCodecBenchmark {

	private RedisPresenceCodec codec;

	private PresenceEntry entry;

	private String updateMessage;

	@Setup
	public void setUp() {
		this.codec = new RedisPresenceCodec(JsonMapper.builder().build());
		Map<String, @Nullable Object> state = new LinkedHashMap<>();
		state.put("user_id", "user-1");
		state.put("name", "User user-1");
		state.put("status", "online");
		state.put("online_at", "2026-05-01T12:00:00.000Z");
		state.put("n", 2);
		this.entry = new PresenceEntry("user-1", new Presence("F3g3A5Sb9ynNKjbE", "F3g3At6RfjDNKo5n", state),
				"node-a");
		String stateJson = "{\"user_id\":\"user-1\",\"name\":\"User user-1\",\"status\":\"online\","
				+ "\"online_at\":\"2026-05-01T12:00:00.000Z\",\"n\":";
		this.updateMessage = "{\"e\":\"k3j2\",\"s\":42,\"o\":\"node-a\",\"j\":[{\"r\":\"F3g3A5Sb9ynNKjbE\",\"k\":\"user-1\","
				+ "\"n\":\"node-a\",\"p\":\"F3g3At6RfjDNKo5n\",\"m\":" + stateJson + "2}}],\"l\":[{\"r\":\"F3g3At6RfjDNKo5n\","
				+ "\"k\":\"user-1\",\"n\":\"node-a\",\"m\":" + stateJson + "1}}]}";
	}

	/** Once per track, on the node that tracks. */
	@Benchmark
	public String writeEntry() {
		return this.codec.writeEntry(this.entry);
	}

	/** Once per change on every node that follows the topic. */
	@Benchmark
	public PresenceChange readUpdateChange() {
		return this.codec.readChange("realtime:room_01", this.updateMessage);
	}

}
