package dev.presence.security;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import javax.crypto.spec.SecretKeySpec;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/**
 * HS256 tokens signed the way a Supabase project signs them, and the decoder that
 * checks them.
 */
final class TestTokens {

	static final byte[] SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
		.getBytes(StandardCharsets.UTF_8);

	static final byte[] OTHER_SECRET = "another-secret-of-another-project-32-characters-long"
		.getBytes(StandardCharsets.UTF_8);

	private TestTokens() {
	}

	static JwtDecoder decoder() {
		return NimbusJwtDecoder.withSecretKey(new SecretKeySpec(SECRET, "HmacSHA256")).build();
	}

	/**
	 * A token of an authenticated user.
	 */
	static String token(String subject, Instant expiresAt) {
		return sign(SECRET, Map.of("sub", subject, "role", "authenticated"), expiresAt);
	}

	static String sign(byte[] secret, Map<String, Object> claims, @Nullable Instant expiresAt) {
		JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issueTime(new Date());
		claims.forEach(builder::claim);
		if (expiresAt != null) {
			builder.expirationTime(Date.from(expiresAt));
		}
		SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), builder.build());
		try {
			jwt.sign(new MACSigner(secret));
		}
		catch (JOSEException ex) {
			throw new IllegalStateException(ex);
		}
		return jwt.serialize();
	}

}
