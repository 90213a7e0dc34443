import { describe, expect, it } from 'vitest';
import { assertJava } from '../../../infra/local/dynamodb-local.ts';

describe('the Java check before DynamoDB Local starts', () => {
  // Here, not in the unit tests: those run without Java (`npm run test:unit`).
  it('passes where java runs', () => {
    expect(() => assertJava()).not.toThrow();
  });
});
