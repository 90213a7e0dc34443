/**
 * Vitest global setup of the projects that need a database (integration, e2e, infra — not unit):
 * one in-memory DynamoDB Local for the whole test run, not one per test nor one per project.
 * Test files read its endpoint from `inject('dynamoEndpoint')` and create their own tables in it.
 *
 * Vitest runs a project's global setup only when that project has test files in the run, and it
 * loads this file once per project, each in its own module graph; the running instance is
 * therefore kept on the main process's `globalThis` and counted, so the first project starts it
 * and the last teardown stops it.
 */
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

interface Shared {
  db: Promise<DynamoDbLocal>;
  users: number;
}

const KEY = Symbol.for('release-desk.test.dynamodb-local');
const registry = globalThis as typeof globalThis & { [KEY]?: Shared };

export default async function setup(project: TestProject) {
  if (!registry[KEY]) registry[KEY] = { db: startDynamoDbLocal(), users: 0 };
  const shared = registry[KEY];
  shared.users++;
  let db: DynamoDbLocal;
  try {
    db = await shared.db;
  } catch (error) {
    // A failed start is not cached: the next project's setup reports its own error.
    if (registry[KEY] === shared) delete registry[KEY];
    throw error;
  }
  project.provide('dynamoEndpoint', db.endpoint);
  return async () => {
    shared.users--;
    if (shared.users > 0) return;
    if (registry[KEY] === shared) delete registry[KEY];
    await db.stop();
  };
}
