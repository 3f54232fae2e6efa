package dev.presence.autoconfigure;

import java.time.Duration;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import dev.presence.core.BroadcastService;
import dev.presence.core.PresenceService;
import dev.presence.engine.DefaultBroadcastService;
import dev.presence.engine.DefaultPresenceService;
import dev.presence.engine.PresenceEventPublisher;
import dev.presence.engine.PresenceExecutors;
import dev.presence.engine.PresenceMonitor;
import dev.presence.engine.PresenceTopics;
import dev.presence.memory.InMemoryPresenceStore;
import dev.presence.store.PresenceNode;
import dev.presence.store.PresenceStore;

/**
 * Auto-configuration for the presence core: the node, its
 * topics, the {@link PresenceService} and the store.
 */
@AutoConfiguration(afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnBooleanProperty(name = "presence.enabled", matchIfMissing = true)
@EnableConfigurationProperties(PresenceProperties.class)
@Import({ PresenceStoreConfigurations.Redis.class, PresenceStoreConfigurations.InMemory.class })
public final class PresenceAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PresenceNode presenceNode(PresenceProperties properties) {
		String id = properties.getNodeId();
		return (id != null && !id.isBlank()) ? new PresenceNode(id) : PresenceNode.random();
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceExecutors presenceExecutors(PresenceProperties properties) {
		int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
		return new PresenceExecutors(threads, properties.getEvents().getQueueCapacity());
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceEventPublisher presenceEventPublisher(PresenceProperties properties, PresenceExecutors executors,
			ApplicationEventPublisher applicationEventPublisher) {
		if (!properties.getEvents().isEnabled()) {
			return new PresenceEventPublisher((event) -> {
			}, Runnable::run);
		}
		return new PresenceEventPublisher(applicationEventPublisher, executors.events());
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceTopics presenceTopics(PresenceNode node, PresenceStore store, PresenceExecutors executors,
			PresenceEventPublisher events, PresenceProperties properties, ObjectProvider<PresenceMonitor> monitor) {
		Duration lostHistoryGrace = (store instanceof InMemoryPresenceStore) ? Duration.ZERO
				: properties.getNodeTimeout();
		return new PresenceTopics(node.id(), store, executors.dispatch(), executors.scheduler(), events, lostHistoryGrace,
				monitor.getIfAvailable(() -> PresenceMonitor.NONE), properties.getLimits().getMaxPresencesPerNode());
	}

	@Bean
	@ConditionalOnMissingBean(PresenceService.class)
	DefaultPresenceService presenceService(PresenceTopics topics, PresenceProperties properties) {
		return new DefaultPresenceService(topics, properties.getTimeout());
	}

	@Bean
	@ConditionalOnMissingBean(BroadcastService.class)
	DefaultBroadcastService broadcastService(PresenceTopics topics) {
		return new DefaultBroadcastService(topics);
	}

}
