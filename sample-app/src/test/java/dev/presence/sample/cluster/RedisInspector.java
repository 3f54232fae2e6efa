package dev.presence.sample.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.RedisServer;

/**
 * Reads what a standalone Redis holds of presence, in the layout of
 * {@code RedisPresenceStore}'s Javadoc ({@code presence:{T}:e}: ref &rarr;
 * {@code {"k": key, "n": node, "m": state, ...}}), and runs {@code redis-cli}.
 */
final class RedisInspector implements AutoCloseable {

	private final RedisServer redis;

	private final RedisClient client;

	private final StatefulRedisConnection<String, String> connection;

	RedisInspector(RedisServer redis) {
		this.redis = redis;
		this.client = RedisClient.create(redis.uri());
		this.connection = this.client.connect();
	}

	/**
	 * {@code HGETALL presence:{T}:e}, as ref to key and state.
	 */
	Map<String, Fact> entries(String topic) {
		return toFacts(this.connection.sync().hgetall("presence:{" + topic + "}:e"));
	}

	/**
	 * {@code HGETALL presence:{T}:e}, as ref to owning node.
	 */
	Map<String, String> owners(String topic) {
		Map<String, String> owners = new TreeMap<>();
		this.connection.sync()
			.hgetall("presence:{" + topic + "}:e")
			.forEach((ref, json) -> owners.put(ref, String.valueOf(parse(json).get("n"))));
		return owners;
	}

	@SuppressWarnings("unchecked")
	static Map<String, Fact> toFacts(Map<String, String> hash) {
		Map<String, Fact> byRef = new TreeMap<>();
		hash.forEach((ref, json) -> {
			Map<String, Object> entry = parse(json);
			byRef.put(ref, new Fact((String) entry.get("k"),
					new LinkedHashMap<>((Map<String, Object>) entry.getOrDefault("m", Map.of()))));
		});
		return byRef;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> parse(String json) {
		return PhoenixTestClient.JSON.readValue(json, Map.class);
	}

	/**
	 * Run {@code redis-cli} against the server and return its output.
	 */
	String cli(String... arguments) {
		return cli(this.redis.host(), this.redis.port(), arguments);
	}

	static String cli(String host, int port, String... arguments) {
		List<String> command = new ArrayList<>(
				List.of("redis-cli", "-h", host, "-p", Integer.toString(port)));
		command.addAll(List.of(arguments));
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException("redis-cli " + String.join(" ", arguments) + " hung");
			}
			return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public void close() {
		this.connection.close();
		this.client.shutdown(0, 2, TimeUnit.SECONDS);
	}

}
