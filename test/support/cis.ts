/**
 * CI fixtures for tests on the real store: a CI with a chosen id, written as POST /cis would
 * (version 1, its event), so that planned deployment tasks may name it; and an application CI
 * created over HTTP, for tests that build a dependency chain through the public API.
 */
import type { components } from '../../client/index.ts';
import { newCi } from '../../functions/domain/ci/ci.ts';
import type { CiStore } from '../../functions/domain/ci/ports.ts';
import { ok, type TestCloud } from './local-cloud.ts';

/** An application CI named `name` with its relations, created by `user` through POST /cis; its id. */
export async function createCi(
  t: TestCloud,
  name: string,
  relations: components['schemas']['CiRelation'][] = [],
  user = 'rm',
): Promise<string> {
  const body = { type: 'application', name, attributes: {}, relations };
  return (await ok(t.api(user).POST('/cis', { body }), 201)).id;
}

export async function seedCi(
  ports: { cis: Pick<CiStore, 'create' | 'get'> },
  id: string,
  over: { type?: string; name?: string; attributes?: Record<string, unknown> } = {},
): Promise<void> {
  if (await ports.cis.get(id)) return;
  let n = 0;
  const write = newCi(
    {
      type: over.type ?? 'application',
      name: over.name ?? id,
      attributes: over.attributes ?? {},
      relations: [],
    },
    'admin',
    {
      clock: { now: () => new Date() },
      ids: { next: (prefix) => (prefix === 'ci' ? id : `evt_seed_${id}_${++n}`) },
    },
  );
  await ports.cis.create(write);
}
