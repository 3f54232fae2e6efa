/**
 * Production-ready features of presence: the {@code presence} health indicator, its Micrometer
 * meters and the {@code presence} actuator endpoint. Each is optional and configured only when
 * Spring Boot's health, Micrometer or actuator classes are present.
 */
@NullMarked
package dev.presence.actuate;

import org.jspecify.annotations.NullMarked;
