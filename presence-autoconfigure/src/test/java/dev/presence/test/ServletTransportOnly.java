package dev.presence.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks tests of what only the servlet transport has — a principal from the
 * application's Spring Security filter chain, ambient credentials, Tomcat's write path,
 * the application's own port — which the Netty run of the transport suites leaves out.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag(ServletTransportOnly.TAG)
public @interface ServletTransportOnly {

	/** The JUnit tag the build excludes from the Netty run. */
	String TAG = "servlet-transport-only";

}
