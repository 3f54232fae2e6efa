/**
 * The Phoenix Channels protocol as the Supabase Realtime clients speak it: serializers,
 * the per-connection channel state machine, the fan-out to a topic's members, and what a
 * transport implements to carry it ({@link dev.presence.websocket.ClientTransport}) and
 * opens its connections through ({@link dev.presence.websocket.PresenceConnections}).
 * The transports are in {@code servlet} and {@code netty}.
 */
@NullMarked
package dev.presence.websocket;

import org.jspecify.annotations.NullMarked;
