package dev.presence.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PhoenixSocket.PresenceView;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.RawWebSocket;
import dev.presence.websocket.PresenceConnections;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Over 100,000 random and mutated frames from several connections, while well-behaved
 * clients keep tracking in the same topic: the server answers or closes, never breaks.
 * The seed is printed; {@code -Dfuzz.seed=<seed>} replays a run.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "presence.store=memory")
class FuzzTests {

	private static final String TOPIC = "realtime:fuzz";

	private static final int FRAMES = 100_000;

	private static final int FUZZERS = 4;

	private static final int BATCH = 400;

	private static final List<String> TOPICS = List.of(TOPIC, "realtime:fuzz-other", "realtime:", "realtime:ü🙂",
			"phoenix", "", "private:x");

	@PresencePort
	private int port;

	@Autowired
	private PresenceConnections connections;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void randomAndMutatedFramesNeitherBreakTheServerNorDisturbWellBehavedClients() throws Exception {
		long seed = Long.getLong("fuzz.seed", System.nanoTime());
		System.out.println("FuzzTests seed: " + seed + " (replay with -Dfuzz.seed=" + seed + ")");
		// given three well-behaved clients tracking in the topic
		List<PhoenixSocket> good = new ArrayList<>();
		List<PresenceView> views = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			PhoenixSocket client = PhoenixSocket.connect(this.port);
			this.sockets.add(client);
			views.add(client.watch(TOPIC));
			client.join(TOPIC, "1", "good-" + i);
			client.track(TOPIC, "1", "t0", "{\"n\":0}");
			good.add(client);
		}
		long baseline = usedHeapAfterGc();
		// when fuzzers send their frames
		AtomicLong sent = new AtomicLong();
		AtomicInteger reconnects = new AtomicInteger();
		AtomicInteger badServerFrames = new AtomicInteger();
		ExecutorService pool = Executors.newFixedThreadPool(FUZZERS + 1);
		List<Future<?>> fuzzers = new ArrayList<>();
		for (int f = 0; f < FUZZERS; f++) {
			Random random = new Random(seed + f);
			fuzzers.add(pool.submit(() -> fuzz(random, FRAMES / FUZZERS, sent, reconnects, badServerFrames)));
		}
		fuzzers.add(pool.submit(() -> fuzzRaw(new Random(seed - 1), 2_000, sent, reconnects)));
		// while the well-behaved clients keep tracking
		int n = 0;
		long start = System.nanoTime();
		while (fuzzers.stream().anyMatch((fuzzer) -> !fuzzer.isDone())) {
			n++;
			for (int i = 0; i < good.size(); i++) {
				PhoenixSocket client = good.get(i);
				try {
					client.send(Frames.track(TOPIC, "1", "t" + n, "{\"n\":" + n + "}"));
				}
				catch (RuntimeException ex) {
					// reported below
				}
				PhoenixSocket.eventually().until(() -> client.isClosed() || client.received().stream().anyMatch(Frames.event("phx_reply")));
				assertThat(client.isClosed()).as("well-behaved client good-%d closed with %s in round %d; last frames %s",
						i, client.isClosed() ? client.closeCode(Duration.ofSeconds(1)) : "-", n, last(client.received()))
					.isFalse();
			}
			for (PhoenixSocket client : good) {
				String ref = "t" + n;
				PhoenixSocket.eventually().until(() -> client.isClosed() || client.received()
					.stream()
					.anyMatch(Frames.event("phx_reply").and(Frames.ref(ref))));
			}
			int round = n;
			await().pollDelay(Duration.ofMillis(150)).atMost(Duration.ofSeconds(1)).until(() -> round > 0);
		}
		for (Future<?> fuzzer : fuzzers) {
			fuzzer.get();
		}
		pool.shutdown();
		System.out.println("FuzzTests sent " + sent.get() + " frames in "
				+ Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms, " + reconnects.get()
				+ " reconnects after the server closed a fuzzer, " + n + " rounds of good tracks");
		assertThat(sent.get()).isGreaterThanOrEqualTo(FRAMES);
		assertThat(badServerFrames.get()).as("server frames that are no Phoenix frames (not 5-element arrays with an object payload)").isZero();
		// then no well-behaved connection was closed
		assertThat(good).noneMatch(PhoenixSocket::isClosed);
		// and every well-behaved client ends with exactly the good clients' last states
		Map<String, List<JsonNode>> expected = new LinkedHashMap<>();
		for (int i = 0; i < good.size(); i++) {
			good.get(i).track(TOPIC, "1", "final", "{\"final\":" + i + "}");
			expected.put("good-" + i, List.of(Frames.json("{\"final\":" + i + "}")));
		}
		PhoenixSocket.eventually().until(() -> views.stream().allMatch((view) -> view.states().equals(expected)));
		// and the server is alive: a newcomer is sent the same state and its heartbeat answered
		PhoenixSocket newcomer = PhoenixSocket.connect(this.port);
		this.sockets.add(newcomer);
		newcomer.send(Frames.join(TOPIC, "1", Frames.config("newcomer", false), null));
		newcomer.reply("1");
		JsonNode state = newcomer.next(Frames.event("presence_state")).get(4);
		assertThat(state.propertyNames()).containsExactlyInAnyOrderElementsOf(expected.keySet());
		newcomer.send(Frames.heartbeat("hb"));
		newcomer.reply("hb");
		PhoenixSocket.eventually().until(() -> this.connections.connectionCount() == 4);
		// and the heap is back near where it was
		await().atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(500))
			.until(() -> usedHeapAfterGc() < baseline + 128 * 1024 * 1024);
	}

	private static List<JsonNode> last(List<JsonNode> frames) {
		return frames.subList(Math.max(0, frames.size() - 5), frames.size());
	}

	private static long usedHeapAfterGc() {
		System.gc();
		Runtime runtime = Runtime.getRuntime();
		return runtime.totalMemory() - runtime.freeMemory();
	}

	private void fuzz(Random random, int frames, AtomicLong sent, AtomicInteger reconnects,
			AtomicInteger badServerFrames) {
		PhoenixSocket socket = fuzzer();
		List<String> joinRefs = new ArrayList<>(List.of("1"));
		socket.sendIgnoringFailure(Frames.join(TOPIC, "1",
				Frames.config("fuzzer-" + random.nextInt(5), random.nextBoolean()), null));
		int fence = 0;
		for (int i = 0; i < frames; i++) {
			if (socket.isClosed()) {
				badServerFrames.addAndGet(socket.malformedFrames());
				reconnects.incrementAndGet();
				socket = fuzzer();
			}
			if (random.nextInt(500) == 0) {
				socket.sendBinaryIgnoringFailure(randomBytes(random, random.nextInt(64)));
			}
			else if (random.nextInt(50) == 0) {
				socket.sendBinaryIgnoringFailure(FuzzFrames.userBroadcastPush(random, joinRefs));
			}
			else {
				socket.sendIgnoringFailure(FuzzFrames.next(random, joinRefs));
			}
			sent.incrementAndGet();
			if (i % BATCH == BATCH - 1) {
				// a fence: the server handled the batch before the next one, so frames do
				// not pile up past its pending limit
				String ref = "fence-" + (++fence);
				socket.sendIgnoringFailure(Frames.heartbeat(ref));
				PhoenixSocket current = socket;
				await().atMost(Duration.ofSeconds(20))
					.until(() -> current.isClosed() || current.received().stream().anyMatch(Frames.ref(ref)));
			}
		}
		socket.abort();
		badServerFrames.addAndGet(socket.malformedFrames());
	}

	/**
	 * A fuzzing connection keeps no frames but the heartbeat replies its fences wait for:
	 * what it is sent in answer to 100,000 frames would otherwise fill the heap the test
	 * watches.
	 */
	private PhoenixSocket fuzzer() {
		return PhoenixSocket.connect(this.port)
			.named("fuzzer")
			.keepOnly(Frames.topic("phoenix").and(Frames.event("phx_reply")));
	}

	private void fuzzRaw(Random random, int frames, AtomicLong sent, AtomicInteger reconnects) {
		try {
			List<String> joinRefs = new ArrayList<>(List.of("1"));
			RawWebSocket socket = RawWebSocket.connect(this.port, "apikey=anon-key", 1 << 16);
			socket.drain();
			for (int i = 0; i < frames; i++) {
				if (socket.ended()) {
					reconnects.incrementAndGet();
					socket = RawWebSocket.connect(this.port, "apikey=anon-key", 1 << 16);
					socket.drain();
				}
				try {
					if (random.nextInt(4) == 0) {
						// text that is not UTF-8: a lone surrogate encoded, an overlong form, a stray continuation
						byte[][] invalid = { { (byte) 0xED, (byte) 0xA0, (byte) 0x80 }, { (byte) 0xC0, (byte) 0xAF },
								{ (byte) 0x80 }, { (byte) 0xFF } };
						byte[] bad = invalid[random.nextInt(invalid.length)];
						byte[] prefix = "[null,\"1\",\"phoenix\",\"heartbeat\",{\"x\":\"".getBytes(StandardCharsets.UTF_8);
						byte[] frame = new byte[prefix.length + bad.length];
						System.arraycopy(prefix, 0, frame, 0, prefix.length);
						System.arraycopy(bad, 0, frame, prefix.length, bad.length);
						socket.send(RawWebSocket.TEXT, frame);
					}
					else {
						socket.sendText(FuzzFrames.next(random, joinRefs));
					}
				}
				catch (IOException ex) {
					socket.close();
				}
				sent.incrementAndGet();
			}
			socket.close();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static byte[] randomBytes(Random random, int length) {
		byte[] bytes = new byte[length];
		random.nextBytes(bytes);
		return bytes;
	}

	/**
	 * Random and mutated Phoenix frames.
	 */
	static final class FuzzFrames {

		private FuzzFrames() {
		}

		static String next(Random random, List<String> joinRefs) {
			int kind = random.nextInt(100);
			if (kind < 45) {
				return mutated(random, joinRefs);
			}
			if (kind < 60) {
				return randomJson(random, 0);
			}
			if (kind < 70) {
				return valid(random, joinRefs);
			}
			if (kind < 78) {
				return surrogates(random);
			}
			if (kind < 84) {
				return hugeNumbers(random);
			}
			if (kind < 85) {
				return deep(random.nextInt(3) == 0 ? "{\"a\":" : "[", random.nextBoolean() ? 10_000 : 600);
			}
			if (kind < 93) {
				return randomText(random);
			}
			// frames for topics not joined, and tracks before any join
			return Frames.track("realtime:never-joined-" + random.nextInt(10), String.valueOf(random.nextInt(3)),
					String.valueOf(random.nextInt()), randomObject(random, 2));
		}

		/**
		 * A binary user broadcast push, well-formed or with a few of its bytes (header
		 * lengths, encoding, payload) changed at random.
		 */
		static byte[] userBroadcastPush(Random random, List<String> joinRefs) {
			String topic = TOPICS.get(random.nextInt(TOPICS.size()));
			String joinRef = joinRefs.get(random.nextInt(joinRefs.size()));
			byte[] payload = random.nextBoolean() ? randomJson(random, 3).getBytes(StandardCharsets.UTF_8)
					: randomBytes(random, random.nextInt(64));
			byte[] push = Frames.userBroadcastPush(joinRef, String.valueOf(random.nextInt(1000)), topic,
					randomString(random, 20), random.nextInt(3), payload);
			int mutations = random.nextInt(4);
			for (int m = 0; m < mutations; m++) {
				push[random.nextInt(push.length)] = (byte) random.nextInt(256);
			}
			return push;
		}

		private static String valid(Random random, List<String> joinRefs) {
			String topic = TOPICS.get(random.nextInt(TOPICS.size()));
			String joinRef = joinRefs.get(random.nextInt(joinRefs.size()));
			String ref = String.valueOf(random.nextInt(1_000_000));
			return switch (random.nextInt(8)) {
				case 0 -> {
					String newRef = "j" + random.nextInt(1000);
					joinRefs.add(newRef);
					if (joinRefs.size() > 20) {
						joinRefs.remove(0);
					}
					yield Frames.join(topic, newRef, Frames.config(randomKey(random), random.nextInt(5) == 0),
							random.nextBoolean() ? null : randomString(random, 40));
				}
				case 1 -> Frames.untrack(topic, joinRef, ref);
				case 2 -> Frames.frame(joinRef, ref, topic, "phx_leave", "{}");
				case 3 -> Frames.heartbeat(ref);
				case 4 -> Frames.accessToken(topic, joinRef, ref, randomString(random, 60));
				case 5 -> Frames.broadcast(topic, joinRef, ref, randomString(random, 20), randomJson(random, 3));
				default -> Frames.track(topic, joinRef, ref, randomObject(random, 3));
			};
		}

		private static String mutated(Random random, List<String> joinRefs) {
			JsonNode frame = Frames.json(valid(random, joinRefs));
			tools.jackson.databind.node.ArrayNode array = (tools.jackson.databind.node.ArrayNode) frame;
			int mutations = 1 + random.nextInt(3);
			for (int m = 0; m < mutations; m++) {
				int at = random.nextInt(Math.max(1, array.size()));
				switch (random.nextInt(6)) {
					case 0 -> {
						if (!array.isEmpty()) {
							array.remove(at);
						}
					}
					case 1 -> array.add(Frames.json(randomJson(random, 2)));
					case 2 -> {
						if (!array.isEmpty()) {
							array.set(at, Frames.json(randomJson(random, 2)));
						}
					}
					case 3 -> {
						// mutate inside the payload
						if (array.size() == 5 && array.get(4).isObject()) {
							tools.jackson.databind.node.ObjectNode payload = (tools.jackson.databind.node.ObjectNode) array
								.get(4);
							String field = List.of("config", "payload", "event", "type", "access_token", "presence", "key")
								.get(random.nextInt(7));
							payload.set(field, Frames.json(randomJson(random, 3)));
						}
					}
					case 4 -> {
						if (array.size() == 5 && array.get(4).isObject() && array.get(4).path("config").isObject()) {
							tools.jackson.databind.node.ObjectNode config = (tools.jackson.databind.node.ObjectNode) array
								.get(4)
								.get("config");
							String field = List.of("presence", "private", "broadcast", "postgres_changes")
								.get(random.nextInt(4));
							config.set(field, Frames.json(randomJson(random, 2)));
						}
					}
					default -> {
						if (array.size() > 3) {
							array.set(3, Frames.json("\"" + List.of("phx_join", "presence", "phx_leave", "access_token",
									"heartbeat", "PRESENCE", "phx_reply", "phx_close", "broadcast", "")
								.get(random.nextInt(10)) + "\""));
						}
					}
				}
			}
			return array.toString();
		}

		private static String surrogates(Random random) {
			String lone = List.of("\\ud800", "\\udc00", "\\udbff\\u0041", "\\ud83d", "\\udfff\\ud800").get(random.nextInt(5));
			return switch (random.nextInt(3)) {
				case 0 -> "[\"1\",\"" + random.nextInt() + "\",\"" + TOPIC + "\",\"presence\",{\"type\":\"presence\","
						+ "\"event\":\"track\",\"payload\":{\"name\":\"" + lone + "\",\"" + lone + "\":1}}]";
				case 1 -> "[\"s1\",\"s1\",\"realtime:" + lone + "\",\"phx_join\",{\"config\":{\"presence\":{\"key\":\""
						+ lone + "\",\"enabled\":true}}}]";
				default -> "[null,\"" + lone + "\",\"phoenix\",\"heartbeat\",{}]";
			};
		}

		private static String hugeNumbers(Random random) {
			String huge = List.of("1" + "0".repeat(400), "-1e999999", "1e-999999", "9223372036854775808",
					"-9223372036854775809", "1.7976931348623157e309", "0.0000000000000000000000000000001", "-0")
				.get(random.nextInt(8));
			return switch (random.nextInt(3)) {
				case 0 -> "[" + huge + "," + huge + ",\"" + TOPIC + "\",\"presence\",{\"event\":\"track\",\"payload\":{\"n\":"
						+ huge + "}}]";
				case 1 -> "[\"j\",\"j\",\"realtime:fuzz-other\",\"phx_join\",{\"config\":{\"presence\":{\"key\":" + huge
						+ ",\"enabled\":true}}}]";
				default -> "[\"1\",\"2\",\"" + TOPIC + "\",\"presence\",{\"event\":\"track\",\"payload\":{\"big\":[" + huge
						+ "," + huge + "]}}]";
			};
		}

		private static String deep(String open, int depth) {
			String close = open.equals("[") ? "]" : "}";
			return "[\"1\",\"2\",\"" + TOPIC + "\",\"presence\",{\"event\":\"track\",\"payload\":{\"deep\":"
					+ open.repeat(depth) + "1" + close.repeat(depth) + "}}]";
		}

		private static final int[] ALPHABET = "[]{}\",:0123456789abcnulltruefalse \\ü🙂\t\n".codePoints().toArray();

		private static String randomText(Random random) {
			StringBuilder text = new StringBuilder();
			int length = random.nextInt(80);
			for (int i = 0; i < length; i++) {
				text.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
			}
			return text.toString();
		}

		static String randomJson(Random random, int depth) {
			int kind = random.nextInt((depth > 3) ? 6 : 8);
			return switch (kind) {
				case 0 -> "null";
				case 1 -> String.valueOf(random.nextBoolean());
				case 2 -> String.valueOf(random.nextLong());
				case 3 -> String.valueOf(random.nextDouble() * Math.pow(10, random.nextInt(40)));
				case 4, 5 -> Frames.json("[]").getClass() != null ? quoted(randomString(random, 20)) : "";
				case 6 -> {
					List<String> items = new ArrayList<>();
					for (int i = random.nextInt(4); i > 0; i--) {
						items.add(randomJson(random, depth + 1));
					}
					yield "[" + String.join(",", items) + "]";
				}
				default -> randomObject(random, depth + 1);
			};
		}

		static String randomObject(Random random, int depth) {
			List<String> fields = new ArrayList<>();
			for (int i = random.nextInt(4); i > 0; i--) {
				fields.add(quoted(randomString(random, 8)) + ":" + randomJson(random, depth + 1));
			}
			return "{" + String.join(",", fields) + "}";
		}

		private static @Nullable String randomKey(Random random) {
			return switch (random.nextInt(5)) {
				case 0 -> null;
				case 1 -> "";
				case 2 -> "good-" + random.nextInt(3);
				default -> randomString(random, 12);
			};
		}

		private static String randomString(Random random, int maxLength) {
			StringBuilder text = new StringBuilder();
			int length = random.nextInt(maxLength + 1);
			for (int i = 0; i < length; i++) {
				int c = random.nextInt(10) == 0 ? 0x80 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f);
				text.append((char) c);
			}
			return text.toString();
		}

		private static String quoted(String text) {
			return PhoenixSocket.MAPPER.writeValueAsString(text);
		}

	}

}
