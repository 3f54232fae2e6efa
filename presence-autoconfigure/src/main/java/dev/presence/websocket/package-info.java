/**
 * The Phoenix Channels protocol as the Supabase Realtime clients speak it: serializers, the WebSocket handler and the per-connection channel state machine.
 */
@NullMarked
package dev.presence.websocket;

import org.jspecify.annotations.NullMarked;
