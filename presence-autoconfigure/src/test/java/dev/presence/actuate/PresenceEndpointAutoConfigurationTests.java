package dev.presence.actuate;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.presence.actuate.PresenceEndpoint.NodeTopicsDescriptor;
import dev.presence.actuate.PresenceEndpoint.TopicDescriptor;
import dev.presence.actuate.PresenceEndpoint.TopicPresencesDescriptor;
import dev.presence.autoconfigure.PresenceAutoConfiguration;
import dev.presence.autoconfigure.PresenceEndpointAutoConfiguration;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceTopics;
import dev.presence.core.TrackedPresence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PresenceEndpointAutoConfiguration} and {@link PresenceEndpoint}.
 */
class PresenceEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
				PresenceEndpointAutoConfiguration.class))
		.withPropertyValues("presence.store=memory", "presence.node-id=node-1");

	@Test
	void endpointExposedShouldProvidePresenceEndpoint() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=presence")
			.run((context) -> assertThat(context).hasSingleBean(PresenceEndpoint.class));
	}

	@Test
	void endpointNotExposedShouldNotProvidePresenceEndpoint() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(PresenceEndpoint.class));
	}

	@Test
	void endpointAccessNoneShouldNotProvidePresenceEndpoint() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=presence",
					"management.endpoint.presence.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(PresenceEndpoint.class));
	}

	@Test
	void presenceDisabledShouldNotProvidePresenceEndpoint() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=presence", "presence.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(PresenceEndpoint.class));
	}

	@Test
	void userEndpointShouldBackOff() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=presence")
			.withUserConfiguration(UserEndpointConfiguration.class)
			.run((context) -> assertThat(context).getBean(PresenceEndpoint.class)
				.isSameAs(context.getBean("userEndpoint")));
	}

	@Test
	void trackedPresencesShouldBeListedByTopicAndDescribedPerTopic() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=presence")
			.run((context) -> {
				PresenceService service = context.getBean(PresenceService.class);
				PresenceEndpoint endpoint = context.getBean(PresenceEndpoint.class);
				TrackedPresence ada = service.track("realtime:room_01", "ada", Map.of("status", "online"));
				TrackedPresence adaAgain = service.track("realtime:room_01", "ada", Map.of("status", "away"));
				TrackedPresence bob = service.track("realtime:room_02", "bob", Map.of("status", "busy"));

				// the service returns once the store took each change; the replicas apply them a moment later
				await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
					NodeTopicsDescriptor topics = endpoint.topics();
					assertThat(topics.nodeId()).isEqualTo("node-1");
					assertThat(topics.topics()).containsExactly(new TopicDescriptor("realtime:room_01", 1, 2),
							new TopicDescriptor("realtime:room_02", 1, 1));
				});

				TopicPresencesDescriptor room = endpoint.topic("realtime:room_01");
				assertThat(room.keys()).isEqualTo(1);
				assertThat(room.presences()).isEqualTo(2);
				assertThat(room.state()).containsOnlyKeys("ada");
				assertThat(room.state().get("ada")).extracting((presence) -> presence.state().get("status"))
					.containsExactly("online", "away");

				ada.untrack();
				adaAgain.untrack();
				bob.untrack();
			});
	}

	@Test
	void topicNobodyIsInShouldBeEmpty() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=presence")
			.run((context) -> {
				TopicPresencesDescriptor room = context.getBean(PresenceEndpoint.class).topic("realtime:empty");
				assertThat(room.topic()).isEqualTo("realtime:empty");
				assertThat(room.keys()).isZero();
				assertThat(room.presences()).isZero();
				assertThat(room.state()).isEmpty();
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserEndpointConfiguration {

		@Bean
		PresenceEndpoint userEndpoint(PresenceTopics topics, PresenceService service) {
			return new PresenceEndpoint(topics, service);
		}

	}

}
