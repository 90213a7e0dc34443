/**
 * The console's hosted-UI sign-in (console/src/auth.ts), no browser: PKCE as RFC 7636 defines it
 * (checked against its appendix B example), the authorize and sign-out URLs, the token request,
 * and the refusals — a state this tab did not send, an error from the hosted UI, a refused code.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  authorizeUrl,
  base64url,
  beginSignIn,
  challengeOf,
  completeSignIn,
  logoutUrl,
  randomVerifier,
  SignInRefused,
  tokenRequest,
} from '../../../console/src/auth.ts';
import { apiUrlFor, hostedUiOf } from '../../../console/src/config.ts';

const ui = {
  authDomain: 'https://release-desk.auth.eu-west-1.amazoncognito.com',
  clientId: 'client123',
  redirectUri: 'https://d111.cloudfront.net/console/',
  scopes: ['openid', 'email', 'profile'],
};

/** sessionStorage's shape, in memory. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, v),
  };
}

describe('PKCE', () => {
  it('makes verifiers of 43 unreserved characters, a new one each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const v = randomVerifier();
      // RFC 7636 §4.1: 43 to 128 characters of [A-Z] [a-z] [0-9] - . _ ~
      expect(v).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
      expect(v).toHaveLength(43);
      seen.add(v);
    }
    expect(seen.size).toBe(50);
  });

  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    // The RFC's example: these 32 octets give this verifier, whose challenge is the one below.
    const octets = new Uint8Array([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ]);
    const verifier = base64url(octets);
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(await challengeOf(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('the hosted UI URLs', () => {
  it('asks the authorize endpoint for a code with the S256 challenge and the state', () => {
    const url = new URL(authorizeUrl(ui, 'CHALLENGE', 'STATE'));
    expect(`${url.origin}${url.pathname}`).toBe(`${ui.authDomain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://d111.cloudfront.net/console/',
      scope: 'openid email profile',
      state: 'STATE',
      code_challenge: 'CHALLENGE',
      code_challenge_method: 'S256',
    });
  });

  it('signs out at /logout, coming back to the console', () => {
    const url = new URL(logoutUrl(ui));
    expect(`${url.origin}${url.pathname}`).toBe(`${ui.authDomain}/logout`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client123',
      logout_uri: ui.redirectUri,
    });
  });

  it('keeps the verifier and state in the tab and sends the challenge of that verifier', async () => {
    const storage = memoryStorage();
    const navigate = vi.fn();
    const url = new URL(await beginSignIn(ui, storage, navigate));
    expect(navigate).toHaveBeenCalledWith(url.toString());
    const verifier = storage.getItem('release-desk-pkce-verifier') ?? '';
    expect(url.searchParams.get('code_challenge')).toBe(await challengeOf(verifier));
    expect(url.searchParams.get('state')).toBe(storage.getItem('release-desk-pkce-state'));
  });
});

describe('the token exchange', () => {
  it('is a form-encoded POST to /oauth2/token with the code and the verifier', () => {
    const { url, init } = tokenRequest(ui, 'CODE', 'VERIFIER');
    expect(url).toBe(`${ui.authDomain}/oauth2/token`);
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'CODE',
      redirect_uri: ui.redirectUri,
      code_verifier: 'VERIFIER',
    });
  });

  it('returns the access token and the ID token (for AWS credentials), and uses the verifier once', async () => {
    const storage = memoryStorage();
    storage.setItem('release-desk-pkce-state', 'S1');
    storage.setItem('release-desk-pkce-verifier', 'V1');
    const fetchFn = vi.fn(async () =>
      Response.json({ access_token: 'ACCESS', id_token: 'ID', refresh_token: 'R', token_type: 'Bearer' }),
    );
    expect(await completeSignIn(ui, '?code=C1&state=S1', storage, fetchFn)).toEqual({
      accessToken: 'ACCESS',
      idToken: 'ID',
    });
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(`${ui.authDomain}/oauth2/token`);
    expect(new URLSearchParams(String(init.body)).get('code_verifier')).toBe('V1');
    expect(new URLSearchParams(String(init.body)).get('code')).toBe('C1');
    // Verifier and state gone.
    expect(storage.length).toBe(0);
  });

  it('refuses a state this tab did not send, without redeeming the code', async () => {
    const storage = memoryStorage();
    storage.setItem('release-desk-pkce-state', 'S1');
    storage.setItem('release-desk-pkce-verifier', 'V1');
    const fetchFn = vi.fn(async () => Response.json({ access_token: 'ACCESS' }));
    await expect(completeSignIn(ui, '?code=C1&state=FORGED', storage, fetchFn)).rejects.toThrow(
      SignInRefused,
    );
    expect(fetchFn).not.toHaveBeenCalled();
    expect(storage.length).toBe(0);
  });

  it('refuses a return with no state stored (another tab, or a replayed link)', async () => {
    const fetchFn = vi.fn(async () => Response.json({ access_token: 'ACCESS' }));
    await expect(completeSignIn(ui, '?code=C1&state=S1', memoryStorage(), fetchFn)).rejects.toThrow(/state/);
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it("shows the hosted UI's error and a refused code", async () => {
    const storage = memoryStorage();
    await expect(
      completeSignIn(ui, '?error=access_denied&error_description=User+is+disabled', storage, vi.fn()),
    ).rejects.toThrow(/User is disabled/);
    storage.setItem('release-desk-pkce-state', 'S1');
    storage.setItem('release-desk-pkce-verifier', 'V1');
    const refused = vi.fn(async () => Response.json({ error: 'invalid_grant' }, { status: 400 }));
    await expect(completeSignIn(ui, '?code=C1&state=S1', storage, refused)).rejects.toThrow(
      /400: invalid_grant/,
    );
  });

  it('does nothing when the page is not a return from the hosted UI', async () => {
    const fetchFn = vi.fn();
    expect(await completeSignIn(ui, '', memoryStorage(), fetchFn)).toBeUndefined();
    expect(fetchFn).not.toHaveBeenCalled();
  });
});

describe('the console configuration', () => {
  it('names a hosted UI only with authDomain and clientId', () => {
    expect(hostedUiOf({})).toBeUndefined();
    expect(hostedUiOf({ apiUrl: '/' })).toBeUndefined();
    expect(hostedUiOf({ ...ui, authDomain: `${ui.authDomain}/` })).toEqual(ui);
  });

  it("sends API calls under apiUrl (with the stage's path), else to the console's own origin", () => {
    expect(
      apiUrlFor('/releases?limit=5', { apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/' }),
    ).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/releases?limit=5');
    expect(apiUrlFor('/releases', {})).toBe('/releases');
    expect(apiUrlFor('/releases', { apiUrl: '/' })).toBe('/releases');
  });
});
