package dev.presence.actuate;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.util.Assert;

import dev.presence.engine.PresenceMonitor;
import dev.presence.websocket.ConnectionMonitor;

/**
 * A {@link PresenceMonitor} and {@link ConnectionMonitor} that records into Micrometer. Meters are registered once, up
 * front, so each call is an increment; none is tagged by topic, to keep the number of time
 * series independent of how many rooms there are.
 * <table>
 * <caption>Meters</caption>
 * <tr><th>meter</th><th>type</th><th>records</th></tr>
 * <tr><td>{@code presence.diffs.sent}</td><td>counter</td><td>diff frames written to members</td></tr>
 * <tr><td>{@code presence.broadcasts.sent}</td><td>counter</td><td>broadcast frames written to members</td></tr>
 * <tr><td>{@code presence.frames.rejected}</td><td>counter, tag {@code reason}</td><td>client frames refused</td></tr>
 * <tr><td>{@code presence.clients.slow.closed}</td><td>counter</td><td>clients closed for not keeping up</td></tr>
 * <tr><td>{@code presence.resyncs}</td><td>counter</td><td>replicas resynchronised from a snapshot</td></tr>
 * <tr><td>{@code presence.nodes.reaped}</td><td>counter</td><td>dead nodes this node reaped</td></tr>
 * <tr><td>{@code presence.change.latency}</td><td>timer</td><td>from the store call to the change applied here</td></tr>
 * </table>
 */
public class MicrometerPresenceMonitor implements PresenceMonitor, ConnectionMonitor {

	private final MeterRegistry registry;

	private final Counter diffsSent;

	private final Counter broadcastsSent;

	private final Counter slowClientsClosed;

	private final Counter resyncs;

	private final Counter nodesReaped;

	private final Timer changeLatency;

	/**
	 * Create the monitor and its meters.
	 * @param registry the registry
	 */
	public MicrometerPresenceMonitor(MeterRegistry registry) {
		Assert.notNull(registry, "'registry' must not be null");
		this.registry = registry;
		this.broadcastsSent = Counter.builder("presence.broadcasts.sent")
			.description("Broadcast frames sent to clients")
			.register(registry);
		this.diffsSent = Counter.builder("presence.diffs.sent")
			.description("Presence diff frames sent to clients")
			.baseUnit("frames")
			.register(registry);
		this.slowClientsClosed = Counter.builder("presence.clients.slow.closed")
			.description("Clients closed because they did not keep up with what they were sent")
			.register(registry);
		this.resyncs = Counter.builder("presence.resyncs")
			.description("Topic replicas resynchronised from a snapshot of the store")
			.register(registry);
		this.nodesReaped = Counter.builder("presence.nodes.reaped")
			.description("Dead nodes whose presences this node removed")
			.register(registry);
		this.changeLatency = Timer.builder("presence.change.latency")
			.description("Time from a change's store call to its being applied on this node")
			.register(registry);
	}

	@Override
	public void diffSent(String topic, int frames) {
		this.diffsSent.increment(frames);
	}

	@Override
	public void broadcastSent(String topic, int frames) {
		this.broadcastsSent.increment(frames);
	}

	@Override
	public void changeApplied(String topic, long nanos) {
		this.changeLatency.record(nanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public void resynchronised(String topic) {
		this.resyncs.increment();
	}

	@Override
	public void frameRejected(String reason) {
		// reasons are a small fixed set, so one counter per reason stays bounded
		Counter.builder("presence.frames.rejected")
			.description("Client frames refused with an error reply, a system message or a close")
			.tag("reason", reason)
			.register(this.registry)
			.increment();
	}

	@Override
	public void slowClientClosed() {
		this.slowClientsClosed.increment();
	}

	@Override
	public void nodeReaped(String node, int presences) {
		this.nodesReaped.increment();
	}

}
