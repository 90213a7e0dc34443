/**
 * The vocabulary event schemas are written in agrees with the JSON Schema it renders: what the
 * published schema accepts, a consumer parsing with the zod schema accepts too.
 */
import { describe, expect, it } from 'vitest';
import { timestampField } from '../../../functions/domain/events.ts';

describe('timestampField', () => {
  it('takes any RFC 3339 timestamp, with Z or an offset, as format date-time does', () => {
    const field = timestampField('When');
    for (const at of [
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T11:00:00+01:00',
      '2026-11-26T05:30:00.5-04:30',
    ]) {
      expect(field.safeParse(at).success, at).toBe(true);
    }
    for (const at of ['2026-11-26', '2026-11-26T10:00:00', 'yesterday']) {
      expect(field.safeParse(at).success, at).toBe(false);
    }
  });
});
