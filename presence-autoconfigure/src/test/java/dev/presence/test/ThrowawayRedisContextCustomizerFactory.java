package dev.presence.test;

import java.util.List;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;
import org.springframework.test.context.TestContextAnnotationUtils;

/**
 * Starts the Redis of {@link ThrowawayRedis} test classes (registered in
 * {@code META-INF/spring.factories}).
 */
class ThrowawayRedisContextCustomizerFactory implements ContextCustomizerFactory {

	@Override
	public ContextCustomizer createContextCustomizer(Class<?> testClass,
			List<ContextConfigurationAttributes> configAttributes) {
		return TestContextAnnotationUtils.hasAnnotation(testClass, ThrowawayRedis.class)
				? new ThrowawayRedisCustomizer(testClass) : null;
	}

	/**
	 * Equal only for the same test class, so that no two classes share a context, and so a
	 * Redis, by accident.
	 */
	private record ThrowawayRedisCustomizer(Class<?> testClass) implements ContextCustomizer {

		@Override
		public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
			RedisServer redis = RedisServer.start();
			TestPropertyValues
				.of("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port())
				.applyTo(context);
			ConfigurableListableBeanFactory beans = context.getBeanFactory();
			beans.registerResolvableDependency(RedisServer.class, redis);
			// registered before every bean, so destroyed after all of them: the application
			// stops against a live Redis
			if (beans instanceof DefaultSingletonBeanRegistry registry) {
				registry.registerDisposableBean("throwawayRedis", new Holder(redis));
			}
			else {
				throw new IllegalStateException("Cannot stop the throwaway Redis with " + beans);
			}
		}

	}

	private record Holder(RedisServer redis) implements DisposableBean {

		@Override
		public void destroy() {
			this.redis.close();
		}

	}

}
