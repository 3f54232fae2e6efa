package dev.presence.websocket;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * What a {@code phx_join} asks for (docs/protocol.md §2.2), with Supabase's leniency: a missing
 * {@code config} means the defaults, booleans may be the strings {@code "true"} and
 * {@code "false"}, and a missing, {@code null} or empty presence key means "make one".
 * The one exception is {@code config.private}: a value that is not a boolean is refused,
 * since reading it as {@code false} would join the public topic of that name.
 *
 * @param key the presence key the client asked for, or {@code null} when it left the
 * choice to the server
 * @param accessToken the {@code access_token} of the join, or {@code null}
 * @param presenceEnabled whether the client wants {@code presence_state} and diffs
 * @param privateChannel whether the client asked for a private channel
 * @param postgresChanges whether the client asked for postgres changes
 * @param broadcastSelf whether the client wants its own broadcasts
 * ({@code config.broadcast.self})
 * @param broadcastAck whether the client wants each broadcast acknowledged
 * ({@code config.broadcast.ack})
 */
record JoinConfig(@Nullable String key, @Nullable String accessToken, boolean presenceEnabled,
		boolean privateChannel, boolean postgresChanges, boolean broadcastSelf, boolean broadcastAck) {

	static JoinConfig from(JsonNode payload) {
		JsonNode config = payload.path("config");
		if (!config.isMissingNode() && !config.isNull() && !config.isObject()) {
			throw new PhoenixProtocolException("InvalidJoinPayload: config must be an object", null, null);
		}
		JsonNode presence = config.path("presence");
		String key = presenceKey(presence.path("key"));
		boolean enabled = flexibleBoolean(presence.path("enabled"));
		boolean privateChannel = strictBoolean(config.path("private"), "config.private");
		JsonNode postgres = config.path("postgres_changes");
		boolean postgresChanges = postgres.isArray() && !postgres.isEmpty();
		JsonNode token = payload.path("access_token");
		String accessToken = (token.isString() && !token.asString().isEmpty()) ? token.asString() : null;
		JsonNode broadcast = config.path("broadcast");
		return new JoinConfig(key, accessToken, enabled, privateChannel, postgresChanges,
				flexibleBoolean(broadcast.path("self")), flexibleBoolean(broadcast.path("ack")));
	}

	private static @Nullable String presenceKey(JsonNode key) {
		if (key.isMissingNode() || key.isNull()) {
			return null;
		}
		if (key.isString()) {
			return key.asString().isEmpty() ? null : key.asString();
		}
		if (key.isNumber() || key.isBoolean()) {
			return key.asString();
		}
		throw new PhoenixProtocolException("InvalidJoinPayload: config.presence.key must be a string or a number",
				null, null);
	}

	/**
	 * A flag whose misreading would change what the client is let into: {@code true},
	 * {@code false}, their strings in any case, or absent; anything else is refused rather
	 * than read as {@code false}, which would put a client meaning a private channel in
	 * the public one.
	 */
	private static boolean strictBoolean(JsonNode value, String name) {
		if (value.isMissingNode() || value.isNull()) {
			return false;
		}
		Boolean flag = booleanOf(value);
		if (flag == null) {
			throw new PhoenixProtocolException("InvalidJoinPayload: " + name + " must be true or false", null, null);
		}
		return flag;
	}

	private static @Nullable Boolean booleanOf(JsonNode value) {
		if (value.isBoolean()) {
			return value.booleanValue();
		}
		if (value.isString()) {
			String text = value.asString().toLowerCase(Locale.ROOT);
			if (text.equals("true") || text.equals("false")) {
				return Boolean.parseBoolean(text);
			}
		}
		return null;
	}

	private static boolean flexibleBoolean(JsonNode value) {
		Boolean flag = booleanOf(value);
		if (flag != null) {
			return flag;
		}
		// Supabase only logs an unparsable flag and goes on with the default (docs/protocol.md §2.2)
		return false;
	}

}
