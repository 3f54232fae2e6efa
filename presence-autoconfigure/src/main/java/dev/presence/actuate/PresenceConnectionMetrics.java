package dev.presence.actuate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.util.Assert;

import dev.presence.websocket.PresenceWebSocketHandler;

/**
 * Gauges of this node's WebSocket endpoint: {@code presence.connections}, the open
 * connections, and {@code presence.channels}, the channels joined over them.
 */
public class PresenceConnectionMetrics implements MeterBinder {

	private final PresenceWebSocketHandler handler;

	/**
	 * Create the gauges' binder.
	 * @param handler the node's WebSocket handler
	 */
	public PresenceConnectionMetrics(PresenceWebSocketHandler handler) {
		Assert.notNull(handler, "'handler' must not be null");
		this.handler = handler;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder("presence.connections", this.handler, PresenceWebSocketHandler::connectionCount)
			.description("Open WebSocket connections of this node")
			.baseUnit("connections")
			.register(registry);
		Gauge.builder("presence.channels", this.handler, PresenceWebSocketHandler::channelCount)
			.description("Channels joined over this node's WebSocket connections")
			.baseUnit("channels")
			.register(registry);
	}

}
