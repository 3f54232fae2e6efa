/**
 * {@link dev.presence.store.PresenceStore} held in this JVM, for a single node (tests, demos).
 */
@NullMarked
package dev.presence.memory;

import org.jspecify.annotations.NullMarked;
