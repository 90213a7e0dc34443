/**
 * The knowledge-base store on DynamoDB Local: an article's current version, its immutable
 * versions and events in its partition, one link item per CI and release in their partitions of
 * links (added and removed by difference), and the lists read from those partitions and indexes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { VersionConflictError } from '../../functions/domain/errors.ts';
import { type Article, newArticle, reviseArticle } from '../../functions/domain/kb/article.ts';
import { actor, fixedClock, sequentialIds } from '../support/fakes.ts';
import { createTestTable, partitionItems } from '../support/table.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
const clock = fixedClock();
const deps = { clock, ids: sequentialIds() };
const cm = actor('cm', ['change']);

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
});
afterAll(async () => drop?.());

async function publish(over: Partial<Parameters<typeof newArticle>[0]> = {}): Promise<Article> {
  clock.advance(1000);
  const { article, event } = newArticle(
    {
      kind: 'backout-procedure',
      title: 'Back out',
      body: 'Steps',
      ciIds: ['ci_app'],
      releaseIds: ['rel_1'],
      ...over,
    },
    cm,
    deps,
  );
  await ports.kb.publish(article, event);
  return article;
}

async function revise(article: Article, changes: Parameters<typeof reviseArticle>[1]): Promise<Article> {
  const revised = reviseArticle(article, changes, cm, deps);
  if (!revised) throw new Error('nothing changed');
  await ports.kb.save(revised.article, article, revised.event);
  return revised.article;
}

const sks = async (pk: string) => (await partitionItems(ports, pk)).map((i) => String(i.sk)).sort();

describe('DynamoKbStore', () => {
  it('keeps every version beside the article, each written once, with the links following the edits', async () => {
    const v1 = await publish({ ciIds: ['ci_a1', 'ci_a2'], releaseIds: ['rel_a'] });
    const v2 = await revise(v1, { ciIds: ['ci_a2', 'ci_a3'], body: 'Better steps' });
    const items = await partitionItems(ports, `KB#${v1.id}`);
    expect(items.filter((i) => i.entity === 'event').map((i) => i.type)).toEqual([
      'Knowledge Article Published',
      'Knowledge Article Updated',
    ]);
    expect(items.filter((i) => i.sk !== '#STATE' && i.entity !== 'event').map((i) => i.sk)).toEqual([
      'V#000001',
      'V#000002',
    ]);
    expect(await ports.kb.get(v1.id)).toEqual(v2);
    expect(await ports.kb.getVersion(v1.id, 1)).toEqual(v1);
    expect(await ports.kb.getVersion(v1.id, 3)).toBeUndefined();

    expect(await sks('KBLINKS#CI#ci_a1')).toEqual([]);
    expect(await sks('KBLINKS#CI#ci_a2')).toEqual([`KB#${v1.id}`]);
    expect(await sks('KBLINKS#CI#ci_a3')).toEqual([`KB#${v1.id}`]);
    expect(await sks('KBLINKS#REL#rel_a')).toEqual([`KB#${v1.id}`]);

    // A second writer from version 1: its version 2 exists already and the state moved on.
    const rival = reviseArticle(v1, { title: 'Rival' }, cm, deps);
    await expect(ports.kb.save(rival?.article as Article, v1, rival?.event as never)).rejects.toThrow(
      VersionConflictError,
    );
    expect(await ports.kb.getVersion(v1.id, 2)).toEqual(v2);
  });

  it('lists by CI, release and kind (and both ids), newest first, paged; versions newest first', async () => {
    const a = await publish({ ciIds: ['ci_l1'], releaseIds: ['rel_l1'] });
    const b = await publish({
      kind: 'install-script',
      script: { language: 'sh', content: 'echo' },
      ciIds: ['ci_l1', 'ci_l2'],
      releaseIds: ['rel_l1'],
    });
    const c = await publish({ kind: 'known-error', ciIds: ['ci_l2'], releaseIds: [] });
    const ids = async (filter: Parameters<typeof ports.kb.list>[0], limit = 20) =>
      (await ports.kb.list(filter, { limit })).items.map((x) => x.id);
    expect(await ids({ ciId: 'ci_l1' })).toEqual([b.id, a.id]);
    expect(await ids({ ciId: 'ci_l1', kind: 'backout-procedure' })).toEqual([a.id]);
    expect(await ids({ releaseId: 'rel_l1' })).toEqual([b.id, a.id]);
    expect(await ids({ releaseId: 'rel_l1', ciId: 'ci_l2' })).toEqual([b.id]);
    expect(await ids({ kind: 'known-error' })).toEqual([c.id]);
    expect((await ids({})).slice(0, 3)).toEqual([c.id, b.id, a.id]);

    const first = await ports.kb.list({ ciId: 'ci_l1' }, { limit: 1 });
    expect(first.items.map((x) => x.id)).toEqual([b.id]);
    const second = await ports.kb.list({ ciId: 'ci_l1' }, { limit: 1, cursor: first.nextCursor });
    expect(second.items.map((x) => x.id)).toEqual([a.id]);
    expect(second.nextCursor).toBeUndefined();

    expect((await ports.kb.linkedTo({ ciId: 'ci_l2' })).sort()).toEqual([b.id, c.id].sort());
    expect(await ports.kb.linkedTo({ releaseId: 'rel_l1' }, 'install-script')).toEqual([b.id]);
    expect((await ports.kb.getMany([c.id, 'kb_missing', a.id])).map((x) => x.id)).toEqual([c.id, a.id]);

    const a2 = await revise(a, { title: 'Two' });
    const versions = await ports.kb.versions(a.id, { limit: 10 });
    expect(versions.items).toEqual([a2, a]);
  });

  it('replays a publication under the same Idempotency-Key', async () => {
    const key = { scope: 'cm', key: 'kb-1', fingerprint: 'f' };
    const first = newArticle(
      { kind: 'known-error', title: 'E', body: 'B', ciIds: [], releaseIds: [] },
      cm,
      deps,
    );
    expect(await ports.kb.publish(first.article, first.event, key)).toEqual({});
    const retry = newArticle(
      { kind: 'known-error', title: 'E', body: 'B', ciIds: [], releaseIds: [] },
      cm,
      deps,
    );
    expect(await ports.kb.publish(retry.article, retry.event, key)).toEqual({ replayed: first.article.id });
    expect(await ports.kb.get(retry.article.id)).toBeUndefined();
  });
});
