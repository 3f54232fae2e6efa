package dev.presence.sample;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import dev.presence.core.BroadcastService;
import dev.presence.core.ClientBroadcastEvent;
import dev.presence.core.Presence;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceService;

/**
 * The server's side of the demo rooms, pushed to the page over the same channel: what
 * this application's {@code @EventListener}s see, sent back to the room with
 * {@link BroadcastService}, and a tally of the reactions clients broadcast, counted here
 * from their {@link ClientBroadcastEvent}s ({@code presence.events.client-broadcasts}).
 * <p>
 * Only the demo page's rooms get it: the client test suites run on this application in
 * rooms of their own and expect no broadcast they did not send.
 */
@Component
class RoomActivityFeed {

	private static final Log logger = LogFactory.getLog(RoomActivityFeed.class);

	static final Set<String> DEMO_TOPICS = Set.of("realtime:lobby", "realtime:room_01", "realtime:room_02",
			"realtime:room_03");

	private static final Set<String> REACTIONS = Set.of("👍", "🎉", "❤️", "😂");

	private final BroadcastService broadcasts;

	private final PresenceService presence;

	private final ConcurrentMap<String, ConcurrentMap<String, AtomicInteger>> tallies = new ConcurrentHashMap<>();

	RoomActivityFeed(BroadcastService broadcasts, PresenceService presence) {
		this.broadcasts = broadcasts;
		this.presence = presence;
	}

	@EventListener
	void cameOnline(PresenceJoinEvent event) {
		if (event.origin() && event.first() && DEMO_TOPICS.contains(event.topic())) {
			announce(event.topic(), nameOf(event.key(), event.newPresences()) + " came online");
		}
	}

	@EventListener
	void wentOffline(PresenceLeaveEvent event) {
		if (event.origin() && event.last() && DEMO_TOPICS.contains(event.topic())) {
			announce(event.topic(), nameOf(event.key(), event.leftPresences()) + " went offline");
		}
	}

	@EventListener
	void reacted(ClientBroadcastEvent event) {
		if (!"reaction".equals(event.event()) || !DEMO_TOPICS.contains(event.topic()) || event.payload().isBinary()) {
			return;
		}
		String reaction = emojiOf(event);
		if (reaction == null || !REACTIONS.contains(reaction)) {
			return;
		}
		ConcurrentMap<String, AtomicInteger> tally = this.tallies.computeIfAbsent(event.topic(),
				(topic) -> new ConcurrentHashMap<>());
		tally.computeIfAbsent(reaction, (key) -> new AtomicInteger()).incrementAndGet();
		Map<String, Integer> counts = new TreeMap<>();
		tally.forEach((key, count) -> counts.put(key, count.get()));
		send(event.topic(), "reaction-tally", Map.of("counts", counts));
	}

	private void announce(String topic, String text) {
		send(topic, "server-activity",
				Map.of("text", text, "online", this.presence.count(topic).keys(), "source", "@EventListener"));
	}

	private void send(String topic, String event, Object payload) {
		this.broadcasts.send(topic, event, payload).exceptionally((ex) -> {
			logger.warn("Could not send " + event + " to " + topic + ": " + ex.getMessage());
			return null;
		});
	}

	private static @Nullable String emojiOf(ClientBroadcastEvent event) {
		try {
			Map<?, ?> payload = event.payload().as(Map.class);
			return (payload != null && payload.get("emoji") instanceof String emoji) ? emoji : null;
		}
		catch (IllegalArgumentException ex) {
			// not an object: not a reaction of the demo page
			return null;
		}
	}

	private static String nameOf(String key, List<Presence> presences) {
		return presences.stream()
			.map((presence) -> presence.state().get("name"))
			.filter((name) -> name instanceof String text && !text.isBlank())
			.map(String.class::cast)
			.findFirst()
			.orElse(key);
	}

}
