package dev.presence.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.LifecycleProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.presence.core.BroadcastService;
import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceService;
import dev.presence.core.TrackedPresence;
import dev.presence.engine.PresenceTopics;
import dev.presence.memory.InMemoryPresenceStore;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.store.PresenceStore;
import dev.presence.websocket.PresenceConnections;
import dev.presence.websocket.netty.NettyPresenceServer;
import dev.presence.websocket.servlet.PresenceWebSocketHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PresenceAutoConfiguration} and
 * {@link PresenceWebSocketAutoConfiguration}.
 */
class PresenceAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class));

	@Test
	void storeMemoryShouldUseInMemoryStore() {
		this.contextRunner.withPropertyValues("presence.store=memory").run((context) -> {
			assertThat(context).hasSingleBean(PresenceStore.class);
			assertThat(context).getBean(PresenceStore.class).isInstanceOf(InMemoryPresenceStore.class);
			assertThat(context).hasSingleBean(PresenceService.class);
			assertThat(context).hasSingleBean(BroadcastService.class);
			assertThat(context).hasSingleBean(PresenceTopics.class);
		});
	}

	@Test
	void userDefinedBroadcastServiceShouldBeTheOnlyBroadcastService() {
		BroadcastService own = (topic, event, payload) -> CompletableFuture.completedFuture(null);
		this.contextRunner.withPropertyValues("presence.store=memory")
			.withBean("ownBroadcasts", BroadcastService.class, () -> own)
			.run((context) -> {
				assertThat(context).hasSingleBean(BroadcastService.class);
				assertThat(context).getBean(BroadcastService.class).isSameAs(own);
			});
	}

	@Test
	void storeUnsetWithoutLettuceConnectionFactoryShouldUseInMemoryStore() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(PresenceStore.class);
			assertThat(context).getBean(PresenceStore.class).isInstanceOf(InMemoryPresenceStore.class);
		});
	}

	@Test
	void storeUnsetWithLettuceConnectionFactoryShouldUseRedisStore() {
		this.contextRunner.withUserConfiguration(LettuceConfiguration.class, NoLifecycleConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PresenceStore.class);
				assertThat(context).getBean(PresenceStore.class).isInstanceOf(RedisPresenceStore.class);
			});
	}

	@Test
	void storeMemoryWithLettuceConnectionFactoryShouldUseInMemoryStore() {
		this.contextRunner.withUserConfiguration(LettuceConfiguration.class, NoLifecycleConfiguration.class)
			.withPropertyValues("presence.store=memory")
			.run((context) -> {
				assertThat(context).hasSingleBean(PresenceStore.class);
				assertThat(context).getBean(PresenceStore.class).isInstanceOf(InMemoryPresenceStore.class);
			});
	}

	@Test
	void presenceDisabledShouldCreateNoPresenceBeans() {
		this.contextRunner.withPropertyValues("presence.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(PresenceStore.class);
			assertThat(context).doesNotHaveBean(PresenceTopics.class);
			assertThat(context).doesNotHaveBean(PresenceService.class);
			assertThat(context).doesNotHaveBean(PresenceProperties.class);
			assertThat(context).doesNotHaveBean(BroadcastService.class);
		});
	}

	@Test
	void presenceDisabledInWebApplicationShouldCreateNoWebSocketHandler() {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceWebSocketAutoConfiguration.class))
			.withPropertyValues("presence.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).doesNotHaveBean(PresenceWebSocketHandler.class);
				assertThat(context).doesNotHaveBean(PresenceService.class);
			});
	}

	@Test
	void userDefinedPresenceStoreShouldBeUsed() {
		this.contextRunner.withUserConfiguration(UserStoreConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(PresenceStore.class);
			assertThat(context).getBean(PresenceStore.class).isSameAs(context.getBean("userStore"));
		});
	}

	@Test
	void userDefinedPresenceStoreShouldWinOverLettuceConnectionFactory() {
		this.contextRunner
			.withUserConfiguration(UserStoreConfiguration.class, LettuceConfiguration.class,
					NoLifecycleConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(PresenceStore.class);
				assertThat(context).getBean(PresenceStore.class).isSameAs(context.getBean("userStore"));
			});
	}

	@Test
	void userDefinedPresenceServiceShouldBeTheOnlyPresenceService() {
		this.contextRunner.withPropertyValues("presence.store=memory")
			.withUserConfiguration(UserServiceConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PresenceService.class);
				assertThat(context).getBean(PresenceService.class).isSameAs(context.getBean("userService"));
			});
	}

	@Test
	void nonWebApplicationShouldHaveNoWebSocketHandler() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(PresenceWebSocketAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PresenceService.class);
				assertThat(context).doesNotHaveBean(PresenceWebSocketHandler.class);
			});
	}

	/**
	 * A servlet web application in a mock servlet environment, as {@code @SpringBootTest}
	 * and {@code @WebMvcTest} run it by default, must start with presence on the
	 * classpath.
	 */
	@Test
	void mockServletEnvironmentShouldStartWithWebSocketHandler() {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceWebSocketAutoConfiguration.class))
			.withPropertyValues("presence.store=memory")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PresenceWebSocketHandler.class);
			});
	}

	@Test
	void serverPortInServletApplicationServesPresenceFromNettyInstead() {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceWebSocketAutoConfiguration.class))
			.withPropertyValues("presence.store=memory", "presence.server.port=0")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(NettyPresenceServer.class);
				assertThat(context).hasSingleBean(PresenceConnections.class);
				assertThat(context).doesNotHaveBean(PresenceWebSocketHandler.class);
			});
	}

	@Test
	void serverPortInNonWebApplicationServesPresenceAndPublishesThePort() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(PresenceWebSocketAutoConfiguration.class))
			// the Netty transport needs nothing of the servlet stack
			.withClassLoader(new FilteredClassLoader("org.springframework.web.socket", "jakarta.websocket",
					"jakarta.servlet"))
			.withPropertyValues("presence.store=memory", "presence.server.port=0")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				NettyPresenceServer server = context.getBean(NettyPresenceServer.class);
				assertThat(server.isRunning()).isTrue();
				assertThat(context.getEnvironment().getProperty("local.presence.server.port", Integer.class))
					.isEqualTo(server.getPort())
					.isPositive();
			});
	}

	@Test
	void serverPortWithoutReactorNettyFailsToStartSayingWhatToAdd() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(PresenceWebSocketAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader("reactor.netty"))
			.withPropertyValues("presence.store=memory", "presence.server.port=0")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("io.projectreactor.netty:reactor-netty-http"));
	}

	@Configuration(proxyBeanMethods = false)
	static class LettuceConfiguration {

		/**
		 * A factory for a port nothing listens on: the store must be chosen, never
		 * connected.
		 */
		@Bean
		LettuceConnectionFactory redisConnectionFactory() {
			LettuceClientConfiguration client = LettuceClientConfiguration.builder()
				.shutdownTimeout(Duration.ZERO)
				.shutdownQuietPeriod(Duration.ZERO)
				.build();
			return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 1), client);
		}

	}

	/**
	 * Replaces the context's lifecycle processor so that no lifecycle bean starts: the
	 * Redis store would otherwise connect when the context refreshes.
	 */
	@Configuration(proxyBeanMethods = false)
	static class NoLifecycleConfiguration {

		@Bean(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME)
		LifecycleProcessor lifecycleProcessor() {
			return new LifecycleProcessor() {

				@Override
				public void onRefresh() {
				}

				@Override
				public void onClose() {
				}

				@Override
				public void start() {
				}

				@Override
				public void stop() {
				}

				@Override
				public boolean isRunning() {
					return false;
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserStoreConfiguration {

		@Bean
		PresenceStore userStore() {
			return new InMemoryPresenceStore("user-node");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserServiceConfiguration {

		@Bean
		PresenceService userService() {
			return new UserPresenceService();
		}

	}

	/**
	 * An application's own {@link PresenceService}, e.g. one that decorates the default.
	 */
	static final class UserPresenceService implements PresenceService {

		@Override
		public TrackedPresence track(String topic, String key, Map<String, @Nullable Object> state) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Map<String, List<Presence>> list(String topic) {
			return Map.of();
		}

		@Override
		public List<Presence> get(String topic, String key) {
			return List.of();
		}

		@Override
		public PresenceCount count(String topic) {
			return new PresenceCount(0, 0);
		}

	}

}
