package dev.presence.autoconfigure;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.core.io.ClassPathResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata the annotation processor generates is what IDEs show: every
 * {@code presence.*} and {@code management.endpoint.presence.*} property must have a
 * description there.
 */
class PresencePropertiesMetadataTests {

	@Test
	void everyPresencePropertyHasADescriptionInTheGeneratedMetadata() throws Exception {
		JsonNode metadata;
		try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
			metadata = JsonMapper.builder().build().readTree(in);
		}
		List<String> names = new ArrayList<>();
		List<String> undescribed = new ArrayList<>();
		for (JsonNode property : metadata.get("properties")) {
			String name = property.get("name").asString();
			if (name.startsWith("presence.") || name.startsWith("management.endpoint.presence.")) {
				names.add(name);
				JsonNode description = property.get("description");
				if (description == null || description.asString().isBlank()) {
					undescribed.add(name);
				}
			}
		}
		assertThat(names).contains("presence.endpoint", "presence.store", "presence.node-timeout",
				"presence.limits.max-state-size", "presence.security.key-binding", "presence.redis.heartbeat-interval",
				"management.endpoint.presence.show-states", "management.endpoint.presence.roles");
		assertThat(undescribed).isEmpty();
	}

	@Test
	void defaultsAreInTheGeneratedMetadata() throws Exception {
		JsonNode metadata;
		try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
			metadata = JsonMapper.builder().build().readTree(in);
		}
		List<String> withDefaults = new ArrayList<>();
		for (JsonNode property : metadata.get("properties")) {
			if (property.has("defaultValue")) {
				withDefaults.add(property.get("name").asString());
			}
		}
		assertThat(withDefaults).contains("presence.endpoint", "presence.enabled", "presence.node-timeout",
				"presence.batch-window", "presence.limits.max-frame-size", "presence.limits.idle-timeout",
				"management.endpoint.presence.show-states");
	}

	@Test
	void sendBufferSizeIsDescribedInTheUnitItCounts() throws Exception {
		JsonNode metadata = metadata();
		String description = null;
		for (JsonNode property : metadata.get("properties")) {
			if (property.get("name").asString().equals("presence.limits.send-buffer-size")) {
				description = property.get("description").asString();
			}
		}
		// the limit counts the bytes of the frames' UTF-8 encoding, as DataSize says: not characters
		assertThat(description).contains("bytes").doesNotContain("character");
	}

	private static JsonNode metadata() throws Exception {
		try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
			return JsonMapper.builder().build().readTree(in);
		}
	}

}
