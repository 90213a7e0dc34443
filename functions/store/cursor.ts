/**
 * Opaque page cursors, bound to the list that issued them and tamper-evident: the start key and a
 * fingerprint of the query, signed with an HMAC whose key the table itself holds
 * (`cursor-key.ts`). A cursor from another list, another release's history, or with forged keys
 * is a 400, never a DynamoDB error.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '#domain/errors';

const invalid = () =>
  new ValidationError('The cursor is not valid.', [
    { path: 'cursor', message: 'is not a cursor this list returned' },
  ]);

const sign = (secret: Buffer, payload: string) =>
  createHmac('sha256', secret).update(payload).digest().subarray(0, 16);

/** A cursor for `key` (the last item's table and index keys), valid only for the list `listId`. */
export function encodeCursor(secret: Buffer, listId: string, key: Record<string, string>): string {
  const payload = Buffer.from(JSON.stringify({ l: listId, k: key }), 'utf8').toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

/**
 * The start key of a cursor this list issued; throws a 400 ValidationError for anything else: a
 * bad signature, another list's cursor, or keys of another shape than `expectedKeys`.
 */
export function decodeCursor(
  secret: Buffer,
  listId: string,
  cursor: string | undefined,
  expectedKeys: readonly string[],
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0) throw invalid();
  const given = Buffer.from(signature, 'base64url');
  const wanted = sign(secret, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { l, k } = (parsed ?? {}) as { l?: unknown; k?: unknown };
  if (l !== listId || typeof k !== 'object' || k === null || Array.isArray(k)) throw invalid();
  const entries = Object.entries(k);
  if (entries.length !== expectedKeys.length) throw invalid();
  for (const [name, value] of entries) {
    if (
      !expectedKeys.includes(name) ||
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > 2048
    ) {
      throw invalid();
    }
  }
  return k as Record<string, string>;
}
