package dev.presence.security;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.presence.core.LogValues;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.RedisServer;
import dev.presence.test.ThrowawayRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Topic names come from clients, and the warnings that name a topic must not let a client
 * write the log: over a real WebSocket, joins fail while Redis is down, and the warnings
 * they cause stay one line each, free of NUL bytes and of bounded length, whatever the
 * topic holds.
 */
@ThrowawayRedis
@SpringBootTest(classes = LogForgingTests.TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "spring.data.redis.timeout=500ms", "presence.timeout=500ms",
				"logging.level.dev.presence.websocket.PresenceConnections=debug",
				// an application may allow long topic names; its log lines must stay short all the same
				"presence.limits.max-topic-length=1000000" })
@ExtendWith(OutputCaptureExtension.class)
class LogForgingTests {

	private static final String FORGED = "12:00:00.000 WARN  [main] dev.presence.Admin - FORGED admin";

	@Autowired
	private RedisServer redis;

	@PresencePort
	private int port;

	private PhoenixSocket client;

	@BeforeEach
	void redisIsDownSoJoinsFailAndAreLogged() {
		redis.kill();
		this.client = PhoenixSocket.connect(this.port);
	}

	@AfterEach
	void closeClient() {
		this.client.close();
	}

	@Test
	void topicWithLineBreaksAndANulByteIsLoggedOnOneLine(CapturedOutput output) {
		String topic = "realtime:room\n" + FORGED + "\r\n" + FORGED + "\u0000";

		this.client.send(Frames.join(topic, "1", Frames.config("alice", false), null));

		this.client.errorReason("1");
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(output.getAll()).contains("Join of " + LogValues.quote(topic)));
		List<String> lines = output.getAll().lines().toList();
		assertThat(lines).filteredOn((line) -> line.contains("FORGED"))
			.isNotEmpty()
			.allSatisfy((line) -> assertThat(line).doesNotStartWith(FORGED).contains("realtime:room\\n" + FORGED));
		assertThat(output.getAll()).doesNotContain("\u0000");
	}

	@Test
	void hugeTopicIsCutInTheLog(CapturedOutput output) {
		String topic = "realtime:huge-" + "x".repeat(500_000);

		this.client.send(Frames.join(topic, "1", Frames.config("alice", false), null));

		this.client.errorReason("1");
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(output.getAll()).contains("Join of \"realtime:huge-xxx"));
		assertThat(output.getAll().lines()).filteredOn((line) -> line.contains("realtime:huge-"))
			.isNotEmpty()
			.allSatisfy((line) -> assertThat(line).hasSizeLessThan(1_000).contains("...(500014 chars)"));
	}

	@Test
	void closeReasonWithALineBreakIsLoggedOnOneLine(CapturedOutput output) {
		PhoenixSocket.connect(this.port).close(4000, "bye\n" + FORGED);

		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(output.getAll()).contains("bye\\n" + FORGED));
		assertThat(output.getAll().lines()).filteredOn((line) -> line.contains("FORGED"))
			.isNotEmpty()
			.allSatisfy((line) -> assertThat(line).doesNotStartWith(FORGED));
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
