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
        audience: options.audience,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
      });
      return payload;
    } catch (error) {
      throw new InvalidTokenError('The bearer token is not valid.', { cause: error });
    }
  };
}
