package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Many clients on three nodes joining, tracking, re-tracking, untracking, leaving,
 * disconnecting and dropping their TCP connections at once, for a while: afterwards every
 * node, Redis and every connected client hold exactly what the clients left tracked.
 * <p>
 * The run is reproducible in its choices (not its timing) with {@code -Dchurn.seed=<seed>}.
 */
class ChurnTests {

	private static final long SEED = Long.getLong("churn.seed", 20261128L);

	private static final Duration CHURN = Duration.ofSeconds(20);

	private static final int SLOTS = 30;

	private static final int SHARED_KEYS = 12;

	private static final List<String> TOPICS = List.of("realtime:churn-1", "realtime:churn-2", "realtime:churn-3");

	@RegisterExtension
	final PresenceCluster cluster = new PresenceCluster();

	@Test
	void afterConcurrentChurnEveryNodeRedisAndEveryConnectedClientAgreeWithTheTruth() throws Exception {
		System.out.println("Churn seed: " + SEED + " (rerun with -Dchurn.seed=" + SEED + ")");
		ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(8);
		try {
			this.cluster.redis();
			List<ClusterNode> nodes = List.of(this.cluster.node("n1"), this.cluster.node("n2"),
					this.cluster.node("n3"));
			RedisInspector inspector = this.cluster.inspector();
			Map<String, Map<Integer, Fact>> truth = new ConcurrentHashMap<>();
			TOPICS.forEach((topic) -> truth.put(topic, new ConcurrentHashMap<>()));
			Queue<String> failures = new ConcurrentLinkedQueue<>();
			Map<String, AtomicInteger> operations = new ConcurrentHashMap<>();
			long deadline = System.nanoTime() + CHURN.toNanos();
			List<Slot> slots = new ArrayList<>();
			for (int i = 0; i < SLOTS; i++) {
				Slot slot = new Slot(i, new Random(SEED + i), nodes, truth, failures, operations, scheduler, deadline);
				slots.add(slot);
				slot.schedule();
			}

			// when: the churn runs its course
			CompletableFuture.allOf(slots.stream().map((slot) -> slot.done).toArray(CompletableFuture[]::new))
				.get(CHURN.toSeconds() + 30, TimeUnit.SECONDS);
			long stopped = System.nanoTime();
			System.out.println("Churn operations: " + new TreeMap<>(operations));
			assertThat(failures).as("failed operations").isEmpty();

			// then
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				for (String topic : TOPICS) {
					List<String> expected = PresenceViews.facts(truth.get(topic).values());
					Map<String, Fact> stored = inspector.entries(topic);
					assertThat(PresenceViews.facts(stored)).as("HGETALL presence:{" + topic + "}:e").isEqualTo(expected);
					for (ClusterNode node : nodes) {
						assertThat(PresenceViews.ofService(node.presence(), topic))
							.as("PresenceService.list(" + topic + ") on " + node.id())
							.isEqualTo(stored);
					}
					for (Slot slot : slots) {
						PhoenixSocket client = slot.client;
						if (client != null && slot.joined.containsKey(topic)) {
							assertThat(PresenceViews.ofClient(client.view(topic)))
								.as("state of " + client.name() + " in " + topic)
								.isEqualTo(stored);
						}
					}
				}
			});
			System.out.println("MEASURED churn stopped -> every view equal to the truth: "
					+ (System.nanoTime() - stopped) / 1_000_000 + " ms");
			System.out.println("Churn end state: " + truth.values().stream().mapToInt(Map::size).sum()
					+ " presences in " + TOPICS.size() + " topics");
			for (Slot slot : slots) {
				if (slot.client != null) {
					assertThat(slot.client.droppedByServer())
						.as(slot.client.name() + " dropped: " + slot.client.closeReason())
						.isFalse();
					slot.client.close();
				}
			}
		}
		finally {
			scheduler.shutdownNow();
		}
	}

	/**
	 * One virtual user: at most one connection at a time, one operation at a time, each
	 * chosen by its own seeded random; it writes the truth once the server answered.
	 */
	private static final class Slot {

		private final int id;

		private final Random random;

		private final List<ClusterNode> nodes;

		private final Map<String, Map<Integer, Fact>> truth;

		private final Queue<String> failures;

		private final Map<String, AtomicInteger> operations;

		private final ScheduledExecutorService scheduler;

		private final long deadline;

		final CompletableFuture<Void> done = new CompletableFuture<>();

		// touched by one operation at a time
		volatile PhoenixSocket client;

		/** Joined topic to the state tracked there, or an empty map when nothing is tracked. */
		final Map<String, Map<String, Object>> joined = new ConcurrentHashMap<>();

		private int connections;

		private int version;

		Slot(int id, Random random, List<ClusterNode> nodes, Map<String, Map<Integer, Fact>> truth,
				Queue<String> failures, Map<String, AtomicInteger> operations, ScheduledExecutorService scheduler,
				long deadline) {
			this.id = id;
			this.random = random;
			this.nodes = nodes;
			this.truth = truth;
			this.failures = failures;
			this.operations = operations;
			this.scheduler = scheduler;
			this.deadline = deadline;
		}

		void schedule() {
			if (System.nanoTime() >= this.deadline || !this.failures.isEmpty()) {
				this.done.complete(null);
				return;
			}
			this.scheduler.schedule(this::step, 10 + this.random.nextInt(140), TimeUnit.MILLISECONDS);
		}

		private void step() {
			String operation = "?";
			try {
				operation = operate();
				this.operations.computeIfAbsent(operation, (name) -> new AtomicInteger()).incrementAndGet();
			}
			catch (RuntimeException | AssertionError ex) {
				this.failures.add("slot " + this.id + " " + operation + ": " + ex);
				ex.printStackTrace();
			}
			schedule();
		}

		private String operate() {
			PhoenixSocket client = this.client;
			if (client == null) {
				ClusterNode node = this.nodes.get(this.random.nextInt(this.nodes.size()));
				this.client = node.connect("slot" + this.id + "-c" + (++this.connections) + "@" + node.id());
				return "connect";
			}
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			int dice = this.random.nextInt(100);
			List<String> joinedTopics = this.joined.keySet().stream().sorted().toList();
			List<String> tracked = joinedTopics.stream().filter((topic) -> !this.joined.get(topic).isEmpty()).toList();
			if (dice < 20 || joinedTopics.isEmpty()) {
				List<String> free = TOPICS.stream().filter((topic) -> !this.joined.containsKey(topic)).toList();
				if (!free.isEmpty()) {
					String topic = free.get(this.random.nextInt(free.size()));
					client.join(topic, "user-" + (this.id % SHARED_KEYS));
					this.joined.put(topic, Map.of());
					return "join";
				}
			}
			if (dice < 45) {
				String topic = joinedTopics.get(this.random.nextInt(joinedTopics.size()));
				track(client, topic);
				return "track";
			}
			if (dice < 55) {
				// re-tracks inside the coalesce window, sometimes ended at once by a leave or a drop
				String topic = joinedTopics.get(this.random.nextInt(joinedTopics.size()));
				for (int i = 0; i < 3; i++) {
					track(client, topic);
				}
				int end = this.random.nextInt(6);
				if (end == 0) {
					client.leave(topic);
					this.joined.remove(topic);
					this.truth.get(topic).remove(this.id);
					return "burst then leave";
				}
				if (end == 1) {
					disconnect(client, true);
					return "burst then drop TCP";
				}
				return "burst";
			}
			if (dice < 62 && !tracked.isEmpty()) {
				String topic = tracked.get(this.random.nextInt(tracked.size()));
				client.track(topic, this.joined.get(topic));
				return "identical re-track";
			}
			if (dice < 74 && !tracked.isEmpty()) {
				String topic = tracked.get(this.random.nextInt(tracked.size()));
				client.untrack(topic);
				this.joined.put(topic, Map.of());
				this.truth.get(topic).remove(this.id);
				return "untrack";
			}
			if (dice < 84) {
				String topic = joinedTopics.get(this.random.nextInt(joinedTopics.size()));
				client.leave(topic);
				this.joined.remove(topic);
				this.truth.get(topic).remove(this.id);
				return "leave";
			}
			boolean abrupt = dice >= 92;
			disconnect(client, abrupt);
			return abrupt ? "drop TCP" : "disconnect";
		}

		private void track(PhoenixSocket client, String topic) {
			Map<String, Object> state = Map.of("slot", this.id, "v", ++this.version);
			client.track(topic, state);
			this.joined.put(topic, state);
			this.truth.get(topic).put(this.id, new Fact("user-" + (this.id % SHARED_KEYS), state));
		}

		private void disconnect(PhoenixSocket client, boolean abrupt) {
			if (abrupt) {
				client.abort();
			}
			else {
				client.close();
			}
			this.joined.keySet().forEach((topic) -> this.truth.get(topic).remove(this.id));
			this.joined.clear();
			this.client = null;
		}

	}

}
