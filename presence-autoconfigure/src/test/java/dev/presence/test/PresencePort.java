package dev.presence.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.beans.factory.annotation.Value;

/**
 * Injects the port the presence endpoint listens on, whichever the transport: the Reactor
 * Netty server's ({@code local.presence.server.port}) when it runs, else the
 * application's web server's.
 */
@Target({ ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Value("${local.presence.server.port:${local.server.port}}")
public @interface PresencePort {

}
