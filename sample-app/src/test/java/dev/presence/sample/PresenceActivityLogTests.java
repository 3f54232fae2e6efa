package dev.presence.sample;

import java.time.Duration;
import java.util.Map;

import dev.presence.core.PresenceService;
import dev.presence.core.TrackedPresence;
import dev.presence.test.ThrowawayRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample's {@code @EventListener} example logs who comes online and goes offline, one
 * line per change whatever the client put in its key and topic.
 */
@ThrowawayRedis
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class PresenceActivityLogTests {

	private static final String FORGED = "12:00:00.000 INFO  [main] d.p.sample.PresenceActivityLog - root came online";

	@Autowired
	private PresenceService presenceService;

	@Test
	void keyAndTopicWithLineBreaksAreLoggedOnOneLine(CapturedOutput output) {
		String topic = "realtime:lobby\n" + FORGED + "\u0000";
		String key = "ada\r\n" + FORGED;

		TrackedPresence ada = this.presenceService.track(topic, key, Map.of("status", "online"));
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getAll()).contains("came online"));
		ada.untrack();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getAll()).contains("went offline"));

		assertThat(output.getAll().lines()).filteredOn((line) -> line.contains("FORGED") || line.contains("root came"))
			.hasSize(2)
			.allSatisfy((line) -> assertThat(line).doesNotStartWith("12:00:00.000")
				.contains("\"ada\\r\\n" + FORGED + "\"")
				.contains("\"realtime:lobby\\n" + FORGED + "\\u0000\""));
		assertThat(output.getAll()).doesNotContain("\u0000");
	}

}
