package dev.presence.security;

import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AuthenticationTrustResolver;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.util.Assert;

import dev.presence.core.LogValues;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authenticates clients with the application's {@link JwtDecoder}, as Supabase does
 * (docs/protocol.md §2.2, §2.4): the channel's {@code access_token} if it has one, else the
 * connection's {@code apikey}, else the principal Spring Security authenticated the
 * handshake with. A token is required to be a JWT that the decoder accepts, that carries
 * the required claims ({@code exp} by default) and that has not expired; the identity is
 * named after its {@code sub}, carries its claims as attributes and expires with its
 * {@code exp}.
 * <p>
 * Values starting with {@code sb_} are Supabase API keys, not JWTs; like Supabase, they
 * are passed over for the next credential. Refusals carry Supabase's reasons:
 * <ul>
 * <li>{@code MalformedJWT: The token provided is not a valid JWT} - not three base64url
 * JSON parts;</li>
 * <li>{@code JwtSignatureError: Failed to validate JWT signature} - the decoder refused
 * the signature, algorithm or key;</li>
 * <li>{@code InvalidJWTToken: Token has expired <n> seconds ago} - {@code exp} passed
 * (without clock skew, whatever the decoder allows);</li>
 * <li>{@code InvalidJWTToken: Fields `role` and `exp` are required in JWT} (with the
 * required claims named) - a required claim is missing;</li>
 * <li>{@code InvalidJWTToken: <description>} - another validator of the decoder
 * refused the token;</li>
 * <li>{@code Unauthorized: You must provide an access token} - no credential at all.</li>
 * </ul>
 */
public final class JwtPresenceAuthenticator implements PresenceAuthenticator {

	/** The claims Supabase requires of every token. */
	public static final List<String> SUPABASE_REQUIRED_CLAIMS = List.of("role", JwtClaimNames.EXP);

	static final String MALFORMED = "MalformedJWT: The token provided is not a valid JWT";

	static final String SIGNATURE = "JwtSignatureError: Failed to validate JWT signature";

	static final String NO_CREDENTIALS = "Unauthorized: You must provide an access token";

	private static final String API_KEY_PREFIX = "sb_";

	private static final Log logger = LogFactory.getLog(JwtPresenceAuthenticator.class);

	private static final JsonMapper mapper = JsonMapper.builder().build();

	private static final AuthenticationTrustResolver trustResolver = new AuthenticationTrustResolverImpl();

	private final JwtDecoder decoder;

	private final List<String> requiredClaims;

	private final Clock clock;

	/**
	 * Create an authenticator that requires the {@code exp} claim.
	 * @param decoder the decoder that validates tokens
	 */
	public JwtPresenceAuthenticator(JwtDecoder decoder) {
		this(decoder, List.of(JwtClaimNames.EXP), Clock.systemUTC());
	}

	/**
	 * Create an authenticator.
	 * @param decoder the decoder that validates tokens
	 * @param requiredClaims the claims every token must carry, e.g.
	 * {@link #SUPABASE_REQUIRED_CLAIMS}; without {@code exp} a token may never expire
	 * @param clock the clock expiry is checked against
	 */
	public JwtPresenceAuthenticator(JwtDecoder decoder, Collection<String> requiredClaims, Clock clock) {
		Assert.notNull(decoder, "'decoder' must not be null");
		Assert.notNull(requiredClaims, "'requiredClaims' must not be null");
		Assert.notNull(clock, "'clock' must not be null");
		this.decoder = decoder;
		this.requiredClaims = List.copyOf(requiredClaims);
		this.clock = clock;
	}

	@Override
	public PresenceIdentity authenticate(@Nullable Principal principal, @Nullable String apiKey,
			@Nullable String accessToken) {
		String token = isJwtCandidate(accessToken) ? accessToken : isJwtCandidate(apiKey) ? apiKey : null;
		if (token != null) {
			return identity(decode(token));
		}
		if (principal instanceof Authentication authentication) {
			if (!authentication.isAuthenticated() || trustResolver.isAnonymous(authentication)) {
				throw new PresenceAuthenticationException(NO_CREDENTIALS);
			}
			if (authentication.getPrincipal() instanceof Jwt jwt) {
				// the handshake carried a bearer token that Spring Security validated
				return identity(jwt);
			}
		}
		if (principal != null) {
			return new PresenceIdentity(principal.getName(), Map.of(), null);
		}
		throw new PresenceAuthenticationException(NO_CREDENTIALS);
	}

	private static boolean isJwtCandidate(@Nullable String credential) {
		return credential != null && !credential.isBlank() && !credential.startsWith(API_KEY_PREFIX);
	}

	private Jwt decode(String token) {
		Map<String, Object> claims = unverifiedClaims(token);
		try {
			return this.decoder.decode(token);
		}
		catch (JwtValidationException ex) {
			Instant expiresAt = epochSeconds(claims.get(JwtClaimNames.EXP));
			if (expiresAt != null && isExpired(expiresAt)) {
				throw expired(expiresAt, ex);
			}
			String description = ex.getErrors()
				.stream()
				.map((error) -> (error.getDescription() != null) ? error.getDescription() : error.getErrorCode())
				.findFirst()
				.orElse(ex.getMessage());
			throw new PresenceAuthenticationException("InvalidJWTToken: " + description, ex);
		}
		catch (BadJwtException ex) {
			// Nimbus checks exp itself and reports it as a bad token, like a bad signature;
			// an expired token is refused either way, so its expiry is the reason given
			Instant expiresAt = epochSeconds(claims.get(JwtClaimNames.EXP));
			if (expiresAt != null && isExpired(expiresAt)) {
				throw expired(expiresAt, ex);
			}
			// a well-formed token whose signature, algorithm or key the decoder refused
			throw new PresenceAuthenticationException(SIGNATURE, ex);
		}
		catch (JwtException ex) {
			logger.warn("Could not validate a presence client's token: " + LogValues.quote(ex.getMessage()));
			throw new PresenceAuthenticationException("Unknown Error on Channel", ex);
		}
	}

	private PresenceIdentity identity(Jwt jwt) {
		Map<String, Object> claims = jwt.getClaims();
		List<String> missing = this.requiredClaims.stream().filter((claim) -> claims.get(claim) == null).toList();
		if (!missing.isEmpty()) {
			throw new PresenceAuthenticationException("InvalidJWTToken: " + requiredMessage());
		}
		Instant expiresAt = jwt.getExpiresAt();
		if (expiresAt != null && isExpired(expiresAt)) {
			throw expired(expiresAt, null);
		}
		return new PresenceIdentity(jwt.getSubject(), claims, expiresAt);
	}

	private boolean isExpired(Instant expiresAt) {
		return !this.clock.instant().isBefore(expiresAt);
	}

	private PresenceAuthenticationException expired(Instant expiresAt, @Nullable Throwable cause) {
		long seconds = Duration.between(expiresAt, this.clock.instant()).toSeconds();
		String message = "InvalidJWTToken: Token has expired " + seconds + " seconds ago";
		return (cause != null) ? new PresenceAuthenticationException(message, cause)
				: new PresenceAuthenticationException(message);
	}

	/**
	 * Supabase's sentence, naming the claims this authenticator requires.
	 */
	private String requiredMessage() {
		List<String> quoted = this.requiredClaims.stream().map((claim) -> "`" + claim + "`").toList();
		if (quoted.size() == 1) {
			return "Field " + quoted.get(0) + " is required in JWT";
		}
		return "Fields " + String.join(", ", quoted.subList(0, quoted.size() - 1)) + " and "
				+ quoted.get(quoted.size() - 1) + " are required in JWT";
	}

	/**
	 * The claims of a token read without checking anything but its shape: a compact JWS
	 * of three base64url parts whose header and payload are JSON objects.
	 */
	private static Map<String, Object> unverifiedClaims(String token) {
		String[] parts = token.split("\\.", -1);
		if (parts.length != 3) {
			throw new PresenceAuthenticationException(MALFORMED);
		}
		try {
			JsonNode header = mapper.readTree(base64Url(parts[0]));
			JsonNode payload = mapper.readTree(base64Url(parts[1]));
			if (header == null || !header.isObject() || payload == null || !payload.isObject()) {
				throw new PresenceAuthenticationException(MALFORMED);
			}
			Map<String, Object> claims = new LinkedHashMap<>();
			payload.properties().forEach((entry) -> claims.put(entry.getKey(), entry.getValue()));
			return claims;
		}
		catch (IllegalArgumentException | JacksonException ex) {
			throw new PresenceAuthenticationException(MALFORMED, ex);
		}
	}

	private static String base64Url(String part) {
		return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
	}

	private static @Nullable Instant epochSeconds(@Nullable Object value) {
		if (value instanceof JsonNode node && node.isNumber()) {
			return Instant.ofEpochSecond(node.longValue());
		}
		return null;
	}

}
