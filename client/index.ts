/**
 * The typed TypeScript client of the Release Desk API: openapi-fetch over the types openapi-typescript
 * generates from openapi.json (`schema.ts`, `npm run generate`). Every path, parameter, body and
 * answer is typed from the route declarations, so a contract change breaks the compilation of its
 * callers (the end-to-end tests among them). docs/api.md shows it in use.
 *
 * ```ts
 * const api = createReleaseDeskClient({ baseUrl: 'http://localhost:3000', token });
 * const { data, error, response } = await api.POST('/releases', { body: { … } });
 * ```
 *
 * `data` is the success body; `error` the problem+json body (or, in AWS, API Gateway's own
 * `{ message }` for a token it refuses); `response` the fetch `Response` (status, ETag, …).
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.ts';

export type { components, operations, paths };

/** An RFC 9457 problem: every refusal of the API (`type`, `title`, `status`, `detail`, `errors[]`). */
export type Problem = components['schemas']['Problem'];

/** A bearer token, or a function that answers the current one (called before every request). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ReleaseDeskClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The API's root: `http://localhost:3000` locally, the stack's `ApiUrl` output in AWS. */
  readonly baseUrl: string;
  /** The access token: `npm run -s token` locally, a Cognito access token in AWS. */
  readonly token?: TokenSource;
}

/**
 * The media types answers are typed by: JSON and problems. The one route with another
 * representation (the calendar's `text/calendar`) answers it with `parseAs: 'text'`, as a string.
 */
export type AnswerMedia = 'application/json' | 'application/problem+json';

export type ReleaseDeskClient = Client<paths, AnswerMedia>;

/** A client that sends `Authorization: Bearer <token>` on every request. */
export function createReleaseDeskClient(options: ReleaseDeskClientOptions): ReleaseDeskClient {
  const { token, ...rest } = options;
  const client = createClient<paths, AnswerMedia>(rest);
  if (token !== undefined) client.use(bearer(token));
  return client;
}

/** The middleware that sets the bearer token (read anew for each request when it is a function). */
export function bearer(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === 'function' ? await token() : token;
      request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/** The error answer of a call as a problem, when it is one (API Gateway's `{ message }` is not). */
export function asProblem(error: unknown): Problem | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && 'title' in error
    ? (error as Problem)
    : undefined;
}
