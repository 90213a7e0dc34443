/**
 * Packed attributes of a run subject's item (a release's planned tasks): stored gzipped as a
 * Binary, read back whole; an item written before they were packed still reads.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../../functions/store/run-repository.ts';

const tasks = Array.from({ length: 10 }, (_, i) => ({
  id: `task_01M8DH${String(i).padStart(20, '0')}`,
  title: `Deploy part ${i + 1}`,
  workGroupId: 'wg_deployment',
  ciIds: ['ci_a', 'ci_b'],
  ciUpdates: [
    { ciId: 'ci_a', set: { version: '2.0.0', legacy: null } },
    { ciId: 'ci_b', set: { replicas: 3, tls: true } },
  ],
}));

describe('packed attributes', () => {
  it('read back as written, through DynamoDB marshalling as a Binary', () => {
    const stored = marshall({ tasks: pack(tasks) });
    expect(Object.keys(stored.tasks ?? {})).toEqual(['B']);
    expect(unpack(unmarshall(stored).tasks)).toEqual(tasks);
  });

  it('are a fraction of the plain value', () => {
    expect(pack(tasks).byteLength).toBeLessThan(JSON.stringify(tasks).length / 3);
  });

  it('leave a plain value (an item written before packing) as it is', () => {
    expect(unpack(tasks)).toBe(tasks);
    expect(unpack([])).toEqual([]);
  });
});
