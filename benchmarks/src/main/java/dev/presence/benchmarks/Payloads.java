package dev.presence.benchmarks;

/**
 * Tracked states shaped like a chat app's: a user id, a name, a status and a timestamp,
 * plus {@code n}, a counter the driver uses to tell updates apart.
 */
final class Payloads {

	private Payloads() {
	}

	static String meta(String user, long n) {
		return "{\"n\":" + n + ",\"user_id\":\"" + user + "\",\"name\":\"User " + user
				+ "\",\"status\":\"online\",\"online_at\":\"2026-05-01T12:00:00.000Z\"}";
	}

}
