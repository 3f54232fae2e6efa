/**
 * Who may connect, join and track: the authentication and authorization SPI of the
 * presence endpoint, and its default implementations.
 */
@NullMarked
package dev.presence.security;

import org.jspecify.annotations.NullMarked;
