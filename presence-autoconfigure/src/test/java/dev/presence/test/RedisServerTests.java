package dev.presence.test;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RedisServer}.
 */
class RedisServerTests {

	@Test
	void startedServerAnswersOnItsUriWithoutPersistence() {
		try (RedisServer server = RedisServer.start()) {
			assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + server.port());
			run(server, (redis) -> {
				assertThat(redis.ping()).isEqualTo("PONG");
				assertThat(redis.configGet("save")).containsEntry("save", "");
				assertThat(redis.configGet("appendonly")).containsEntry("appendonly", "no");
			});
		}
	}

	@Test
	void restartAfterKillComesBackEmptyOnTheSamePort() {
		try (RedisServer server = RedisServer.start()) {
			int port = server.port();
			run(server, (redis) -> redis.set("k", "v"));
			server.kill();
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> new Socket(server.host(), port).close());
			server.restart();
			assertThat(server.port()).isEqualTo(port);
			run(server, (redis) -> assertThat(redis.dbsize()).isZero());
		}
	}

	@Test
	void flushAllRemovesEveryKey() {
		try (RedisServer server = RedisServer.start()) {
			run(server, (redis) -> redis.set("k", "v"));
			server.flushAll();
			run(server, (redis) -> assertThat(redis.dbsize()).isZero());
		}
	}

	@Test
	void closeDeletesTheDirectoryOfTheServer() {
		RedisServer server = RedisServer.start();
		String dir = query(server, (redis) -> redis.configGet("dir").get("dir"));
		Path directory = Path.of(dir);
		assertThat(directory).isDirectory();
		server.close();
		assertThat(Files.exists(directory)).isFalse();
	}

	private static <T> T query(RedisServer server, Function<RedisCommands<String, String>, T> action) {
		RedisClient client = RedisClient.create(server.uri());
		try (StatefulRedisConnection<String, String> connection = client.connect()) {
			return action.apply(connection.sync());
		}
		finally {
			client.shutdown();
		}
	}

	private static void run(RedisServer server, Consumer<RedisCommands<String, String>> action) {
		query(server, (redis) -> {
			action.accept(redis);
			return null;
		});
	}

}
