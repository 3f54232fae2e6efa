package dev.presence.websocket;

import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import dev.presence.core.ClientBroadcastEvent;
import dev.presence.engine.PresenceTopics;
import dev.presence.security.PresenceAuthenticator;
import dev.presence.security.PresenceAuthorizer;

/**
 * What every connection of the endpoint shares.
 *
 * @param topics the node's topics
 * @param channelTopics the local members of each topic
 * @param messages the frame builder
 * @param limits the limits of each connection
 * @param executor where frames are handled
 * @param scheduler where timed work (coalesced tracks, token expiry) is scheduled
 * @param monitor told about rejected frames and slow clients
 * @param authenticator establishes who a client is
 * @param authorizer decides joins and tracks
 * @param keyBinding how presence keys are bound to identities
 * @param clock the wall clock that credentials expire by
 * @param broadcastReceived told about every broadcast a client sent and this node published
 */
record ConnectionServices(PresenceTopics topics, ChannelTopics channelTopics, PhoenixMessages messages,
		ChannelLimits limits, Executor executor, ScheduledExecutorService scheduler, ConnectionMonitor monitor,
		PresenceAuthenticator authenticator, PresenceAuthorizer authorizer, PresenceKeyBinding keyBinding,
		Clock clock, Consumer<ClientBroadcastEvent> broadcastReceived) {
}
