package dev.presence.actuate;

import java.security.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
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
import dev.presence.core.TrackedPresence;
import dev.presence.engine.PresenceTopics;

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
	void showStatesAlwaysShouldListTopicsAndDescribeTheirPresences() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=presence",
					"management.endpoint.presence.show-states=always")
			.run((context) -> {
				PresenceService service = context.getBean(PresenceService.class);
				PresenceEndpoint endpoint = context.getBean(PresenceEndpoint.class);
				TrackedPresence ada = service.track("realtime:room_01", "ada", Map.of("status", "online"));
				TrackedPresence adaAgain = service.track("realtime:room_01", "ada", Map.of("status", "away"));
				TrackedPresence bob = service.track("realtime:room_02", "bob", Map.of("status", "busy"));

				// the service returns once the store took each change; the replicas apply them a moment later
				await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
					NodeTopicsDescriptor topics = endpoint.topics(SecurityContext.NONE);
					assertThat(topics.nodeId()).isEqualTo("node-1");
					assertThat(topics.topics()).containsExactly(new TopicDescriptor("realtime:room_01", false, 1, 2),
							new TopicDescriptor("realtime:room_02", false, 1, 1));
				});

				TopicPresencesDescriptor room = endpoint.topic(SecurityContext.NONE, "realtime:room_01", null);
				assertThat(room).isNotNull();
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
	void defaultSettingsShouldShowCountsOfPublicTopicsOnlyEvenToAnAuthorizedCaller() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=presence")
			.run((context) -> {
				PresenceService service = context.getBean(PresenceService.class);
				PresenceEndpoint endpoint = context.getBean(PresenceEndpoint.class);
				TrackedPresence ada = service.track("realtime:room_01", "ada", Map.of("status", "online"));
				// how a private channel's topic is kept apart in the store
				TrackedPresence bob = service.track("private:realtime:room_01", "bob", Map.of("status", "hidden"));
				SecurityContext admin = new User("admin", "ADMIN");

				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(() -> assertThat(endpoint.topics(admin).topics())
						.containsExactly(new TopicDescriptor("realtime:room_01", false, 1, 1)));

				TopicPresencesDescriptor room = endpoint.topic(admin, "realtime:room_01", null);
				assertThat(room).isEqualTo(new TopicPresencesDescriptor("realtime:room_01", false, 1, 1, null));
				assertThat(endpoint.topic(admin, "realtime:room_01", true)).isNull();
				assertThat(endpoint.topic(admin, "private:realtime:room_01", null)).isNull();
				assertThat(endpoint.topic(admin, "realtime:not_followed", null)).isNull();

				ada.untrack();
				bob.untrack();
			});
	}

	@Test
	void showStatesWhenAuthorizedShouldShowPrivateTopicsAndStatesToCallersInTheRolesOnly() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=presence",
					"management.endpoint.presence.show-states=when-authorized",
					"management.endpoint.presence.roles=ADMIN")
			.run((context) -> {
				PresenceService service = context.getBean(PresenceService.class);
				PresenceEndpoint endpoint = context.getBean(PresenceEndpoint.class);
				TrackedPresence bob = service.track("private:realtime:room_01", "bob", Map.of("status", "hidden"));
				SecurityContext admin = new User("admin", "ADMIN");
				SecurityContext alice = new User("alice", "USER");

				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(() -> assertThat(endpoint.topics(admin).topics())
						.containsExactly(new TopicDescriptor("realtime:room_01", true, 1, 1)));
				assertThat(endpoint.topics(alice).topics()).isEmpty();
				assertThat(endpoint.topics(SecurityContext.NONE).topics()).isEmpty();

				TopicPresencesDescriptor room = endpoint.topic(admin, "realtime:room_01", true);
				assertThat(room).isNotNull();
				assertThat(room.privateChannel()).isTrue();
				assertThat(room.state()).containsOnlyKeys("bob");
				assertThat(endpoint.topic(alice, "realtime:room_01", true)).isNull();

				bob.untrack();
			});
	}

	@Test
	void topicNobodyIsInShouldBeEmptyForACallerShownStates() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=presence",
					"management.endpoint.presence.show-states=always")
			.run((context) -> {
				TopicPresencesDescriptor room = context.getBean(PresenceEndpoint.class)
					.topic(SecurityContext.NONE, "realtime:empty", null);
				assertThat(room).isNotNull();
				assertThat(room.topic()).isEqualTo("realtime:empty");
				assertThat(room.keys()).isZero();
				assertThat(room.presences()).isZero();
				assertThat(room.state()).isEmpty();
			});
	}

	/**
	 * A caller authenticated with the given roles.
	 */
	private record User(String name, String... roles) implements SecurityContext {

		@Override
		public @Nullable Principal getPrincipal() {
			return this::name;
		}

		@Override
		public boolean isUserInRole(String role) {
			return Set.of(this.roles).contains(role);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserEndpointConfiguration {

		@Bean
		PresenceEndpoint userEndpoint(PresenceTopics topics, PresenceService service) {
			return new PresenceEndpoint(topics, service, Show.NEVER, Set.of());
		}

	}

}
