/**
 * Auto-configuration for Presence for Spring.
 */
@NullMarked
package dev.presence.autoconfigure;

import org.jspecify.annotations.NullMarked;
