/**
 * The servlet transport: presence on the application's own server through Spring
 * WebSocket, with Tomcat's byte path for frames encoded once.
 */
@NullMarked
package dev.presence.websocket.servlet;

import org.jspecify.annotations.NullMarked;
