/**
 * Time-sortable unique ids (ULID), prefixed with what they identify: `rel_01J…`, `evt_01J…`.
 */
import { monotonicFactory } from 'ulid';
import type { IdGenerator } from '#domain/ports';

export function ulidIds(): IdGenerator {
  const ulid = monotonicFactory();
  return { next: (prefix: string) => `${prefix}_${ulid()}` };
}
