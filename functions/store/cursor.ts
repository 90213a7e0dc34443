/**
 * Opaque page cursors: DynamoDB's LastEvaluatedKey, base64url-encoded. A cursor that does not
 * decode to a key of the expected shape is a 400, never a 500.
 */
import { ValidationError } from '#domain/errors';

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

export function decodeCursor(
  cursor: string | undefined,
  expectedKeys: readonly string[],
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationError('The cursor is not valid.', [
      { path: 'cursor', message: 'is not a cursor this list returned' },
    ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  if (entries.length !== expectedKeys.length) throw invalid();
  for (const [k, v] of entries) {
    if (!expectedKeys.includes(k) || typeof v !== 'string' || v.length === 0 || v.length > 1024)
      throw invalid();
  }
  return parsed as Record<string, string>;
}
