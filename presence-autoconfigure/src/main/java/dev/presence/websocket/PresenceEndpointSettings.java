package dev.presence.websocket;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import dev.presence.core.ClientBroadcastEvent;
import dev.presence.engine.PresenceTopics;
import dev.presence.security.PresenceAuthenticator;
import dev.presence.security.PresenceAuthorizer;
import tools.jackson.databind.json.JsonMapper;

/**
 * How the presence WebSocket endpoint behaves, and what it works with.
 *
 * @param topics the node's topics
 * @param mapper the JSON mapper of the protocol
 * @param limits the limits of each connection
 * @param maxConnections maximum number of connections this node accepts
 * @param sendTimeLimit maximum time one send to a client may take
 * @param sendBufferSize maximum bytes buffered for a client that is not reading
 * @param batchWindow how long a topic's changes are merged before they are sent; zero
 * sends each at once
 * @param executor where frames are handled
 * @param scheduler where timed work is scheduled
 * @param monitor told about rejected frames and slow clients, for metrics
 * @param authenticator establishes who a client is
 * @param authorizer decides joins and tracks
 * @param keyBinding how presence keys are bound to identities
 * @param idleTimeout time after which a connection that sent nothing is closed
 * @param clock the wall clock that credentials expire by
 * @param broadcastReceived told about every broadcast a client sent and this node
 * published (e.g. to publish it as an application event)
 */
public record PresenceEndpointSettings(PresenceTopics topics, JsonMapper mapper, ChannelLimits limits,
		int maxConnections, Duration sendTimeLimit, int sendBufferSize, Duration batchWindow, Executor executor,
		ScheduledExecutorService scheduler, ConnectionMonitor monitor, PresenceAuthenticator authenticator,
		PresenceAuthorizer authorizer, PresenceKeyBinding keyBinding, Duration idleTimeout, Clock clock,
		Consumer<ClientBroadcastEvent> broadcastReceived) {
}
