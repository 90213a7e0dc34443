/**
 * JWT bearer verification (jose): what API Gateway's JWT authorizer does in AWS, done the same
 * way by the local gateway. Returns the claims the handlers read from
 * `requestContext.authorizer.jwt.claims`.
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';

export interface JwtVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** A key set in hand (local cloud) or the issuer's JWKS URL (Cognito). */
  readonly jwks: JSONWebKeySet | URL;
}

export class InvalidTokenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidTokenError';
  }
}

/** Reads the token of an `Authorization: Bearer <jwt>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<JWTPayload> {
  const keys =
    options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
      });
      // As API Gateway's JWT authorizer: `aud` must name the audience; only when a token has no
      // `aud` (a Cognito access token) does its `client_id` have to.
      const audiences =
        payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const ok =
        payload.aud !== undefined
          ? audiences.includes(options.audience)
          : payload.client_id === options.audience;
      if (!ok) throw new Error('the token does not have a valid audience');
      return payload;
    } catch (error) {
      throw new InvalidTokenError('The bearer token is not valid.', { cause: error });
    }
  };
}
