package dev.presence.test;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * Puts every test context on the {@link TestTransport} of the run (registered in
 * {@code META-INF/spring.factories}); the servlet transport needs no property.
 */
class TestTransportContextCustomizerFactory implements ContextCustomizerFactory {

	@Override
	public @Nullable ContextCustomizer createContextCustomizer(Class<?> testClass,
			List<ContextConfigurationAttributes> configAttributes) {
		TestTransport transport = TestTransport.current();
		return (transport != TestTransport.SERVLET) ? new TransportCustomizer(transport) : null;
	}

	private record TransportCustomizer(TestTransport transport) implements ContextCustomizer {

		@Override
		public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
			TestPropertyValues.of(this.transport.properties()).applyTo(context);
		}

	}

}
