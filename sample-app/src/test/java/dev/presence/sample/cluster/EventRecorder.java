package dev.presence.sample.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;

import dev.presence.core.Presence;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;

/**
 * Records the presence join and leave events one node publishes, as the application's
 * {@code @EventListener}s would see them.
 */
final class EventRecorder implements ApplicationListener<ApplicationEvent> {

	private final String node;

	private final List<Recorded> events = new CopyOnWriteArrayList<>();

	EventRecorder(String node) {
		this.node = node;
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (!(event instanceof PayloadApplicationEvent<?> payloadEvent)) {
			return;
		}
		Object payload = payloadEvent.getPayload();
		long now = System.nanoTime();
		if (payload instanceof PresenceJoinEvent join) {
			join.newPresences()
				.forEach((presence) -> this.events.add(new Recorded(this.node, "join", join.topic(), join.key(),
						presence.ref(), presence, join.origin(), join.first(), now)));
		}
		else if (payload instanceof PresenceLeaveEvent leave) {
			leave.leftPresences()
				.forEach((presence) -> this.events.add(new Recorded(this.node, "leave", leave.topic(), leave.key(),
						presence.ref(), presence, leave.origin(), leave.last(), now)));
		}
	}

	/**
	 * The recorded events of a topic, in publication order.
	 */
	List<Recorded> of(String topic) {
		return this.events.stream().filter((event) -> event.topic().equals(topic)).toList();
	}

	List<Recorded> all() {
		return List.copyOf(this.events);
	}

	/**
	 * One presence of a join or leave event.
	 * @param node the node that published it
	 * @param kind {@code join} or {@code leave}
	 * @param topic the topic
	 * @param key the key
	 * @param ref the ref of the presence
	 * @param presence the presence
	 * @param origin whether the publishing node made the change
	 * @param firstOrLast {@code first} of a join, {@code last} of a leave
	 * @param nanos when it was received
	 */
	record Recorded(String node, String kind, String topic, String key, String ref, Presence presence, boolean origin,
			boolean firstOrLast, long nanos) {

		/**
		 * What every node must agree on: all but the node and the origin flag.
		 */
		String change() {
			return this.kind + " " + this.key + " " + this.ref + " " + this.presence.state() + " "
					+ (this.kind.equals("join") ? "first=" : "last=") + this.firstOrLast;
		}

	}

}
