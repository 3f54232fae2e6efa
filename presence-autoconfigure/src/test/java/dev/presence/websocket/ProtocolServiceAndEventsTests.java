package dev.presence.websocket;

import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceSyncEvent;
import dev.presence.core.TrackedPresence;
import dev.presence.test.PhoenixSocket;
import tools.jackson.databind.JsonNode;

import static dev.presence.test.PhoenixSocket.Frames.event;
import static dev.presence.test.PhoenixSocket.Frames.json;
import static dev.presence.test.PhoenixSocket.Frames.ref;
import static dev.presence.test.PhoenixSocket.Frames.track;
import static dev.presence.test.PhoenixSocket.Frames.untrack;
import static dev.presence.test.PhoenixSocket.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * What the server side sees of clients' presence: the PresenceService and the
 * application events, on the same connections.
 * <p>
 * Real WebSocket clients sending raw Phoenix frames, on a real server with the in-memory
 * store (see {@link ProtocolTestSupport}).
 */
class ProtocolServiceAndEventsTests extends ProtocolTestSupport {

	ProtocolServiceAndEventsTests(TestInfo info) {
		super(info);
	}

	// PresenceService and application events

	@Test
	void serverSideTrackReachesClientsAndClientPresencesAreListed() {
		// given alice tracked by a client
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{\"name\":\"Alice\"}"));
		alice.next(event("presence_diff"));
		// when the server tracks a presence of its own
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("role", "bot"));
		// then the client sees it join
		JsonNode joined = alice.next(event("presence_diff")).get(4);
		assertThat(joined.get("joins").propertyNames()).containsExactly("bot");
		JsonNode botMeta = joined.get("joins").get("bot").get("metas").get(0);
		assertThat(botMeta).isEqualTo(json("{\"role\":\"bot\",\"phx_ref\":\"%s\"}".formatted(bot.presence().ref())));
		// and the service lists both
		Map<String, List<Presence>> listed = this.presenceService.list(this.topic);
		assertThat(listed).containsOnlyKeys("alice", "bot");
		assertThat(listed.get("alice")).singleElement()
			.satisfies((presence) -> assertThat(presence.state()).isEqualTo(Map.of("name", "Alice")));
		assertThat(this.presenceService.get(this.topic, "bot")).containsExactly(bot.presence());
		assertThat(this.presenceService.count(this.topic)).isEqualTo(new PresenceCount(2, 2));
		// and when it updates and untracks, the client sees both
		Presence first = bot.presence();
		bot.update(Map.of("role", "busy"));
		JsonNode update = alice.next(event("presence_diff")).get(4);
		assertThat(update.get("joins").get("bot").get("metas").get(0))
			.isEqualTo(json("{\"role\":\"busy\",\"phx_ref\":\"%s\",\"phx_ref_prev\":\"%s\"}"
				.formatted(bot.presence().ref(), first.ref())));
		assertThat(update.get("leaves").get("bot").get("metas").get(0))
			.isEqualTo(json("{\"role\":\"bot\",\"phx_ref\":\"%s\"}".formatted(first.ref())));
		bot.untrack();
		assertThat(alice.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("bot");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.count(this.topic).equals(new PresenceCount(1, 1)));
	}

	@Test
	void serverSideStateHoldingTheServersRefsIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.presenceService.track(this.topic, "bot", Map.of("phx_ref", "mine")));
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("status", "ok"));
		assertThatIllegalArgumentException().isThrownBy(() -> bot.update(Map.of("phx_ref_prev", "forged")));
		// the node's own copy takes the change in after the store did
		eventually().until(() -> this.presenceService.get(this.topic, "bot").size() == 1);
		assertThat(this.presenceService.get(this.topic, "bot")).singleElement()
			.satisfies((presence) -> assertThat(presence.state()).isEqualTo(Map.of("status", "ok")));
		assertThat(bot.presence().state()).isEqualTo(Map.of("status", "ok"));
		bot.untrack();
	}

	@Test
	void serverSideTrackIsInTheStateOfLateJoiners() {
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("role", "bot"));
		try {
			PhoenixSocket alice = joined(this.topic, "alice");
			assertThat(alice.stateOf(this.topic).get("bot").get("metas").get(0).get("phx_ref").asString())
				.isEqualTo(bot.presence().ref());
		}
		finally {
			bot.untrack();
		}
	}

	@Test
	void topicWithoutMembersIsListedEmpty() {
		assertThat(this.presenceService.list(this.topic)).isEmpty();
		assertThat(this.presenceService.get(this.topic, "nobody")).isEmpty();
		assertThat(this.presenceService.count(this.topic)).isEqualTo(new PresenceCount(0, 0));
	}

	@Test
	void clientPresenceChangesArePublishedAsApplicationEvents() {
		// given alice joined
		PhoenixSocket alice = joined(this.topic, "alice");
		// when she tracks, updates and untracks
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		Presence first = presenceOf(alice.next(event("presence_diff")).get(4).get("joins").get("alice"));
		alice.send(track(this.topic, "1", "3", "{\"v\":2}"));
		Presence second = presenceOf(alice.next(event("presence_diff")).get(4).get("joins").get("alice"));
		alice.send(untrack(this.topic, "1", "4"));
		alice.next(event("presence_diff"));
		// then the listener got her join, her update as join then leave, and her leave, in order,
		// and a sync of the final state after them (syncs of changes the listener had not reached
		// yet are merged into the next one)
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.events.of(this.topic)).last()
				.isEqualTo(new PresenceSyncEvent(this.topic, Map.of())));
		assertThat(this.events.of(this.topic)).filteredOn((event) -> !(event instanceof PresenceSyncEvent))
			.containsExactly(new PresenceJoinEvent(this.topic, "alice", List.of(), List.of(first), true, true),
					new PresenceJoinEvent(this.topic, "alice", List.of(first), List.of(second), true, false),
					new PresenceLeaveEvent(this.topic, "alice", List.of(second), List.of(first), true, false),
					new PresenceLeaveEvent(this.topic, "alice", List.of(), List.of(second), true, true));
		assertThat(this.events.of(this.topic)).filteredOn(PresenceSyncEvent.class::isInstance)
			.isSubsetOf(new PresenceSyncEvent(this.topic, Map.of("alice", List.of(first))),
					new PresenceSyncEvent(this.topic, Map.of("alice", List.of(second))),
					new PresenceSyncEvent(this.topic, Map.of()));
	}

	@Test
	void throwingListenerDoesNotStopClientsFromGettingTheirDiffs() {
		// given a topic whose events make a listener throw
		String exploding = this.topic + "-explode";
		PhoenixSocket alice = joined(exploding, "alice");
		PhoenixSocket bob = joined(exploding, "bob");
		// when presences change
		alice.send(track(exploding, "1", "2", "{\"v\":1}"));
		bob.next(event("presence_diff"));
		alice.send(track(exploding, "1", "3", "{\"v\":2}"));
		bob.next(event("presence_diff"));
		alice.send(untrack(exploding, "1", "4"));
		// then clients still get every diff, and later events still reach listeners
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
		PhoenixSocket carol = joined(this.topic, "carol");
		carol.send(track(this.topic, "1", "2", "{}"));
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.events.of(this.topic)).hasAtLeastOneElementOfType(PresenceJoinEvent.class));
		assertThat(this.events.thrown.get()).isPositive();
	}

}
