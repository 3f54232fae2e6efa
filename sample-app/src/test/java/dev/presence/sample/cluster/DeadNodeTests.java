package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.sample.cluster.EventRecorder.Recorded;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Change;
import dev.presence.test.PhoenixSocket.PresenceView;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node that dies without a word (its JVM gets {@code SIGKILL}): the survivors reap its
 * presences once, after the node timeout, and every observer sees one leave per presence.
 */
class DeadNodeTests {

	private static final int PRESENCES = 3;

	@RegisterExtension
	final PresenceCluster cluster = new PresenceCluster();

	@Test
	void crashedNodeIsReapedOnceWithOneLeavePerPresenceWithinTheDefaultNodeTimeout() {
		// presence.node-timeout 10s and heartbeat 2s are the defaults: 15s leaves a heartbeat and change
		crashAndWatch("default node-timeout", List.of(), Duration.ofSeconds(15));
	}

	@Test
	void crashedNodeIsReapedOnceWithOneLeavePerPresenceWithinAShortNodeTimeout() {
		crashAndWatch("node-timeout 3s", ClusterNode.FAST, Duration.ofSeconds(5));
	}

	private void crashAndWatch(String what, List<String> properties, Duration limit) {
		String topic = "realtime:crash-" + UUID.randomUUID();
		this.cluster.redis();
		ChildJvmNode doomed = this.cluster.launch("doomed", properties);
		ClusterNode first = this.cluster.node("survivor-1", properties);
		ClusterNode second = this.cluster.node("survivor-2", properties);
		RedisInspector inspector = this.cluster.inspector();
		doomed.awaitReady();
		// given: observers on two surviving nodes, three presences on the doomed node
		List<PhoenixSocket> watchers = List.of(this.cluster.client(first, "watcher-1"),
				this.cluster.client(second, "watcher-2"));
		List<PresenceView> views = new ArrayList<>();
		for (PhoenixSocket watcher : watchers) {
			views.add(watcher.join(topic, ""));
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> views.stream().allMatch(PresenceView::synced));
		List<PhoenixSocket> victims = new ArrayList<>();
		for (int i = 1; i <= PRESENCES; i++) {
			PhoenixSocket victim = doomed.connect("victim-" + i);
			victims.add(victim);
			victim.join(topic, "victim-" + i);
			victim.track(topic, Map.of("n", i));
		}
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			for (PresenceView view : views) {
				assertThat(PresenceViews.ofClient(view)).hasSize(PRESENCES);
			}
			assertThat(PresenceViews.ofService(first.presence(), topic)).hasSize(PRESENCES);
			assertThat(PresenceViews.ofService(second.presence(), topic)).hasSize(PRESENCES);
		});
		Set<String> refs = PresenceViews.ofClient(views.get(0)).keySet();
		assertThat(inspector.owners(topic)).containsOnlyKeys(refs).containsValues("doomed");

		// when
		long killed = System.nanoTime();
		doomed.kill();

		// then: every observer sees every presence leave, within the limit
		await().atMost(limit.plusSeconds(10))
			.untilAsserted(() -> views.forEach((view) -> assertThat(view.metas()).isEmpty()));
		long lastLeave = views.stream()
			.flatMap((view) -> view.changes().stream())
			.filter((event) -> event.kind().equals("leave"))
			.mapToLong(Change::nanos)
			.max()
			.orElseThrow();
		long measured = (lastLeave - killed) / 1_000_000;
		System.out.println("MEASURED kill -> last leave seen (" + what + "): " + measured + " ms");
		assertThat(measured).as("ms from SIGKILL to the last leave seen by an observer").isLessThanOrEqualTo(
				limit.toMillis());

		// exactly one leave per presence for every observer, and no late second one
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
			for (PresenceView view : views) {
				Map<String, Long> leaves = view.changes()
					.stream()
					.filter((event) -> event.kind().equals("leave"))
					.collect(Collectors.groupingBy(Change::ref, Collectors.counting()));
				assertThat(leaves).containsOnlyKeys(refs).allSatisfy((ref, count) -> assertThat(count).isOne());
			}
		});

		// one origin event per presence in the cluster: the reaper's
		List<Recorded> leaveEvents = new ArrayList<>();
		leaveEvents.addAll(first.events().of(topic));
		leaveEvents.addAll(second.events().of(topic));
		leaveEvents.removeIf((event) -> !event.kind().equals("leave"));
		Map<String, Long> originLeaves = leaveEvents.stream()
			.filter(Recorded::origin)
			.collect(Collectors.groupingBy(Recorded::ref, Collectors.counting()));
		assertThat(originLeaves).as("leave events with origin=true per ref").containsOnlyKeys(refs)
			.allSatisfy((ref, count) -> assertThat(count).isOne());
		Map<String, Long> allLeaves = leaveEvents.stream()
			.collect(Collectors.groupingBy(Recorded::ref, Collectors.counting()));
		assertThat(allLeaves).as("leave events per ref on the two survivors").allSatisfy(
				(ref, count) -> assertThat(count).isEqualTo(2));
		assertThat(leaveEvents.stream().filter(Recorded::origin).map(Recorded::node).distinct())
			.as("the reaper").hasSize(1);

		// and the store forgot them
		assertThat(PresenceViews.ofService(first.presence(), topic)).isEmpty();
		assertThat(PresenceViews.ofService(second.presence(), topic)).isEmpty();
		assertThat(inspector.entries(topic)).isEmpty();
		watchers.forEach((watcher) -> assertThat(watcher.droppedByServer()).isFalse());
	}

}
