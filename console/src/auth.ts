/**
 * Signing in through the Cognito hosted UI (managed login) with the authorization code grant and
 * PKCE (RFC 7636, S256): the console is a public client with no secret, so the code it gets back
 * is only redeemable with the verifier that never left this tab's sessionStorage. The API wants
 * the access token (README, "Getting a token"), which is the one kept.
 */
import { session, usernameOf } from './api.ts';
import type { HostedUi } from './config.ts';

/**
 * The page's address bar and history, typed here because this module is also compiled into the
 * Node program of the unit tests, which has no DOM.
 */
const page = globalThis as unknown as {
  location: { search: string; pathname: string; hash: string; assign(url: string): void };
  history: { replaceState(data: unknown, unused: string, url: string): void };
};

const VERIFIER_KEY = 'release-desk-pkce-verifier';
const STATE_KEY = 'release-desk-pkce-state';

/** A sign-in that came back wrong (state mismatch, an error from the hosted UI, a refused code). */
export class SignInRefused extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SignInRefused';
  }
}

/** base64url without padding (RFC 7636 appendix A). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A code verifier: 32 random bytes as base64url, 43 characters of the unreserved set — the
 * length RFC 7636 §4.1 recommends, 256 bits of entropy.
 */
export function randomVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 challenge of a verifier: base64url(SHA-256(ASCII(verifier))). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The hosted UI's authorize URL for this console, carrying the challenge and the state. */
export function authorizeUrl(ui: HostedUi, challenge: string, state: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: ui.clientId,
    redirect_uri: ui.redirectUri,
    scope: ui.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${ui.authDomain}/oauth2/authorize?${query}`;
}

/** The hosted UI's sign-out URL, coming back to the console (its registered sign-out URL). */
export function logoutUrl(ui: HostedUi): string {
  const query = new URLSearchParams({ client_id: ui.clientId, logout_uri: ui.redirectUri });
  return `${ui.authDomain}/logout?${query}`;
}

/** The token request redeeming `code`: a form-encoded POST, as the token endpoint requires. */
export function tokenRequest(
  ui: HostedUi,
  code: string,
  verifier: string,
): { url: string; init: RequestInit } {
  return {
    url: `${ui.authDomain}/oauth2/token`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: ui.clientId,
        code,
        redirect_uri: ui.redirectUri,
        code_verifier: verifier,
      }).toString(),
    },
  };
}

/**
 * Starts a sign-in: a fresh verifier and state kept in sessionStorage (they must survive the trip
 * to the hosted UI, and only this tab's return may use them), then off to the authorize URL.
 */
export async function beginSignIn(
  ui: HostedUi,
  storage: Storage = sessionStorage,
  navigate: (url: string) => void = (url) => page.location.assign(url),
): Promise<string> {
  const verifier = randomVerifier();
  const state = randomVerifier();
  storage.setItem(VERIFIER_KEY, verifier);
  storage.setItem(STATE_KEY, state);
  const url = authorizeUrl(ui, await challengeOf(verifier), state);
  navigate(url);
  return url;
}

/**
 * Finishes a sign-in when the page was opened by the hosted UI's redirect (`?code=&state=`):
 * checks the state against the one this tab sent (else a forged redirect could sign the user in
 * as someone else), redeems the code with the verifier and returns the access token (the API's)
 * and the ID token (the identity pool's). Returns
 * undefined when the URL carries no answer of the hosted UI. The verifier and state are used
 * once: removed whatever the outcome.
 */
export async function completeSignIn(
  ui: HostedUi,
  search: string,
  storage: Storage = sessionStorage,
  fetchFn: typeof fetch = fetch,
): Promise<{ accessToken: string; idToken?: string } | undefined> {
  const params = new URLSearchParams(search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  const expectedState = storage.getItem(STATE_KEY);
  const verifier = storage.getItem(VERIFIER_KEY);
  storage.removeItem(STATE_KEY);
  storage.removeItem(VERIFIER_KEY);
  if (error)
    throw new SignInRefused(
      `The hosted UI refused the sign-in: ${params.get('error_description') ?? error}.`,
    );
  if (!expectedState || params.get('state') !== expectedState)
    throw new SignInRefused('The sign-in came back with a state this tab did not send; sign in again.');
  if (!verifier) throw new SignInRefused('This tab holds no code verifier for the sign-in; sign in again.');
  const { url, init } = tokenRequest(ui, code ?? '', verifier);
  const res = await fetchFn(url, init);
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: unknown;
    id_token?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (!res.ok || typeof body.access_token !== 'string')
    throw new SignInRefused(
      `The token endpoint refused the code (${res.status}${typeof body.error === 'string' ? `: ${body.error}` : ''}).`,
    );
  // The ID token is what the identity pool takes for AWS credentials (the Executions view in AWS);
  // the API takes the access token.
  return {
    accessToken: body.access_token,
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
  };
}

let startError: unknown;

/** Keeps an error of the start (an unusable config.json) for the sign-in screen to show. */
export function noteSignInError(error: unknown): void {
  startError = error;
}

/** What went wrong finishing a sign-in at start, to show on the sign-in screen. */
export function signInError(): unknown {
  return startError;
}

/**
 * Run once at start: when the page is the hosted UI's redirect, keeps the token as the session
 * and strips `code` and `state` from the address bar (a reload must not redeem a used code, and
 * the code should not linger in history).
 */
export async function resumeSignIn(ui: HostedUi | undefined): Promise<void> {
  if (!ui || !page.location.search) return;
  try {
    const tokens = await completeSignIn(ui, page.location.search);
    if (tokens) session.set(tokens.accessToken, usernameOf(tokens.accessToken) ?? 'unknown', tokens.idToken);
  } catch (error) {
    startError = error;
  } finally {
    page.history.replaceState(null, '', `${page.location.pathname}${page.location.hash}`);
  }
}
