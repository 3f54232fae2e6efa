package dev.presence.actuate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.util.Assert;

import dev.presence.websocket.PresenceConnections;

/**
 * Gauges of this node's WebSocket endpoint: {@code presence.connections}, the open
 * connections, and {@code presence.channels}, the channels joined over them.
 */
public class PresenceConnectionMetrics implements MeterBinder {

	private final PresenceConnections connections;

	/**
	 * Create the gauges' binder.
	 * @param connections the node's connections, on whichever transport
	 */
	public PresenceConnectionMetrics(PresenceConnections connections) {
		Assert.notNull(connections, "'connections' must not be null");
		this.connections = connections;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder("presence.connections", this.connections, PresenceConnections::connectionCount)
			.description("Open WebSocket connections of this node")
			.baseUnit("connections")
			.register(registry);
		Gauge.builder("presence.channels", this.connections, PresenceConnections::channelCount)
			.description("Channels joined over this node's WebSocket connections")
			.baseUnit("channels")
			.register(registry);
	}

}
