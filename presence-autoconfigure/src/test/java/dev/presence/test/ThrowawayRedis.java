package dev.presence.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives the Spring test context of the annotated class a {@code redis-server} of its own,
 * on a free loopback port: started before the context, pointed at by
 * {@code spring.data.redis.host}/{@code port}, available as a {@link RedisServer} bean (to
 * kill or restart it), and stopped after the context has closed, so the application
 * shuts down against a live Redis. Each annotated class gets its own context and Redis.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface ThrowawayRedis {

}
