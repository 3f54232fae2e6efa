/**
 * The public API of presence: {@link dev.presence.core.PresenceService}, presences and
 * their states, the application events and the exceptions. What an application imports;
 * it depends on nothing else of this project.
 */
@NullMarked
package dev.presence.core;

import org.jspecify.annotations.NullMarked;
