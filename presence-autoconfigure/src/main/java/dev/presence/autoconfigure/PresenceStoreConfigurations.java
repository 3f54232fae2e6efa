package dev.presence.autoconfigure;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import tools.jackson.databind.json.JsonMapper;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.presence.engine.PresenceMonitor;
import dev.presence.memory.InMemoryPresenceStore;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.store.PresenceNode;
import dev.presence.store.PresenceStore;

/**
 * The {@link PresenceStore} configurations, imported by {@link PresenceAutoConfiguration}
 * in order: Redis when a Lettuce connection factory exists, else memory.
 */
final class PresenceStoreConfigurations {

	private static final Log logger = LogFactory.getLog(PresenceStoreConfigurations.class);

	private PresenceStoreConfigurations() {
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RedisClient.class, LettuceConnectionFactory.class })
	@ConditionalOnBean(LettuceConnectionFactory.class)
	@ConditionalOnProperty(name = "presence.store", havingValue = "redis", matchIfMissing = true)
	static class Redis {

		@Bean
		@ConditionalOnMissingBean
		PresenceRedisClientDefaults presenceRedisClientDefaults(Environment environment) {
			return new PresenceRedisClientDefaults(environment);
		}

		@Bean
		@ConditionalOnMissingBean(PresenceStore.class)
		RedisPresenceStore redisPresenceStore(LettuceConnectionFactory connectionFactory, PresenceNode node,
				PresenceProperties properties, ObjectProvider<PresenceMonitor> monitor) {
			connectionFactory.start();
			// a RedisClient, or a RedisClusterClient when spring.data.redis.cluster.nodes is set
			AbstractRedisClient client = connectionFactory.getRequiredNativeClient();
			PresenceProperties.Redis redis = properties.getRedis();
			return new RedisPresenceStore(client, node.id(), redis.getKeyTimeToLive(), redis.getHeartbeatInterval(),
					properties.getNodeTimeout(), redis.getMutationTimeout(), JsonMapper.builder().build(),
					monitor.getIfAvailable(() -> PresenceMonitor.NONE));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "presence.store", havingValue = "memory", matchIfMissing = true)
	static class InMemory {

		@Bean
		@ConditionalOnMissingBean(PresenceStore.class)
		InMemoryPresenceStore inMemoryPresenceStore(PresenceNode node) {
			logger.info("Presence store of node '" + node.id() + "': in memory (presence.store=memory, or no "
					+ "Redis connection factory); presence is not shared with other nodes and ends with this one");
			return new InMemoryPresenceStore(node.id());
		}

	}

}
