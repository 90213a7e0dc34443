/**
 * The knowledge-base use cases on the in-memory fakes: who may publish, read and edit articles,
 * the script rule, the links checked, every edit a new immutable version with its event, older
 * versions read back, the lists, and the back-out procedures a back-out must have followed.
 */
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import type { NewArticle } from '../../../functions/domain/kb/article.ts';
import {
  articlesFor,
  articleVersions,
  editArticle,
  getArticle,
  type KbCiDirectory,
  type KbPorts,
  listArticles,
  publishArticle,
} from '../../../functions/domain/kb/service.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { actor, inMemoryPorts } from '../../support/fakes.ts';

const cm = actor('cm', ['change']);
const rm = actor('rm', ['release', 'deployment']);
const tech = actor('tech', ['deployment']);
const nobody = actor('nobody', []);
const admin = actor('root', [], { admin: true });

/**
 * The knowledge base's own ports, picked by name: CI ids are stored as given unless a CI
 * directory is passed (the CMDB seam).
 */
function world(cis?: KbCiDirectory) {
  const all = inMemoryPorts();
  for (const id of ['rel_a', 'rel_b']) all.releases.seed({ id } as Release);
  const ports: KbPorts = {
    kb: all.kb,
    releases: all.releases,
    clock: all.clock,
    ids: all.ids,
    ...(cis ? { cis } : {}),
  };
  return { ...all, ports };
}

const procedure = (over: Partial<NewArticle> = {}): NewArticle => ({
  kind: 'backout-procedure',
  title: 'Back out payroll 4.2',
  body: '1. Stop the app. 2. Restore the 4.1 package.',
  ciIds: ['ci_payroll_app'],
  releaseIds: ['rel_a'],
  ...over,
});

const script = { language: 'bash', content: 'systemctl restart payroll' };

describe('publishing', () => {
  it('stores version 1 with its Knowledge Article Published event', async () => {
    const w = world();
    const { article, replayed } = await publishArticle(procedure(), cm, w.ports);
    expect(replayed).toBe(false);
    expect(article).toMatchObject({
      id: 'kb_0001',
      version: 1,
      kind: 'backout-procedure',
      ciIds: ['ci_payroll_app'],
      releaseIds: ['rel_a'],
      createdBy: 'cm',
      updatedBy: 'cm',
    });
    expect(await w.kb.get(article.id)).toEqual(article);
    expect(await w.kb.getVersion(article.id, 1)).toEqual(article);
    expect(w.table.eventsOf({ kind: 'article', id: article.id })).toEqual([
      expect.objectContaining({
        type: 'Knowledge Article Published',
        actor: 'cm',
        data: {
          articleId: article.id,
          version: 1,
          kind: 'backout-procedure',
          title: 'Back out payroll 4.2',
          ciIds: ['ci_payroll_app'],
          releaseIds: ['rel_a'],
          scriptLanguage: null,
        },
      }),
    ]);
  });

  it.each([
    ['a change manager', cm],
    ['a release manager', rm],
    ['an administrator', admin],
  ])('is open to %s', async (_who, caller) => {
    await expect(publishArticle(procedure(), caller, world().ports)).resolves.toBeDefined();
  });

  it.each([
    ['a technician (deployment only)', tech],
    ['a user without a process', nobody],
  ])('is refused to %s, and nothing is stored', async (_who, caller) => {
    const w = world();
    await expect(publishArticle(procedure(), caller, w.ports)).rejects.toThrow(ForbiddenError);
    expect(w.kb.count('publish')).toBe(0);
  });

  it('needs a script on an install script, and refuses one on any other kind (naming `script`)', async () => {
    const w = world();
    const missing = await publishArticle(procedure({ kind: 'install-script' }), cm, w.ports).catch((e) => e);
    expect(missing).toBeInstanceOf(ValidationError);
    expect(missing.errors).toEqual([{ path: 'script', message: expect.stringContaining('required') }]);
    const extra = await publishArticle(procedure({ script }), cm, w.ports).catch((e) => e);
    expect(extra).toBeInstanceOf(ValidationError);
    expect(extra.errors).toEqual([{ path: 'script', message: expect.stringContaining('only for') }]);
    const { article } = await publishArticle(
      procedure({ kind: 'install-script', title: 'Install payroll', script }),
      cm,
      w.ports,
    );
    expect(article.script).toEqual(script);
    expect(w.table.events.at(-1)?.data).toMatchObject({ scriptLanguage: 'bash' });
  });

  it('stores an install script against at least one CI (naming `ciIds`), also after an edit', async () => {
    const w = world();
    const error = await publishArticle(
      procedure({ kind: 'install-script', script, ciIds: [] }),
      cm,
      w.ports,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors).toEqual([{ path: 'ciIds', message: expect.stringContaining('at least one CI') }]);
    const { article } = await publishArticle(procedure({ kind: 'install-script', script }), cm, w.ports);
    await expect(editArticle(article.id, { ciIds: [] }, 1, cm, w.ports)).rejects.toThrow(ValidationError);
    expect(w.kb.count('save')).toBe(0);
  });

  it('refuses releases that do not exist (422 listing them), storing nothing', async () => {
    const w = world();
    const error = await publishArticle(
      procedure({ releaseIds: ['rel_a', 'rel_x', 'rel_y'] }),
      cm,
      w.ports,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({
      code: 'unknown-releases',
      details: { unknownReleaseIds: ['rel_x', 'rel_y'] },
    });
    expect(w.kb.articles.size).toBe(0);
  });

  it('stores CI ids as given while no CI directory is wired', async () => {
    const w = world();
    const { article } = await publishArticle(procedure({ ciIds: ['ci_anything'] }), cm, w.ports);
    expect(article.ciIds).toEqual(['ci_anything']);
  });

  it('with a CI directory (the CMDB seam), refuses CIs it does not know', async () => {
    const known = new Set(['ci_payroll_app']);
    const w = world({ get: async (id) => (known.has(id) ? { id } : undefined) });
    await expect(publishArticle(procedure(), cm, w.ports)).resolves.toBeDefined();
    await expect(
      publishArticle(procedure({ ciIds: ['ci_payroll_app', 'ci_ghost'] }), cm, w.ports),
    ).rejects.toMatchObject({ code: 'unknown-cis', details: { unknownCiIds: ['ci_ghost'] } });
  });

  it('replays a retry with the same Idempotency-Key and refuses the key for another request', async () => {
    const w = world();
    const key = { scope: 'cm', key: 'k1', fingerprint: 'f1' };
    const first = await publishArticle(procedure(), cm, w.ports, key);
    const again = await publishArticle(procedure(), cm, w.ports, key);
    expect(again).toEqual({ article: first.article, replayed: true });
    expect(w.kb.articles.size).toBe(1);
    await expect(publishArticle(procedure(), cm, w.ports, { ...key, fingerprint: 'f2' })).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
  });
});

describe('editing', () => {
  it('writes a new version with its event; the earlier version stays as it was', async () => {
    const w = world();
    const { article: v1 } = await publishArticle(procedure(), cm, w.ports);
    w.clock.advance(60_000);
    const v2 = await editArticle(
      v1.id,
      { body: 'Restore 4.1 from the vault.', releaseIds: ['rel_a', 'rel_b'] },
      1,
      rm,
      w.ports,
    );
    expect(v2).toMatchObject({
      version: 2,
      body: 'Restore 4.1 from the vault.',
      updatedBy: 'rm',
      createdBy: 'cm',
    });
    expect(v2.updatedAt).not.toBe(v1.updatedAt);
    expect(await w.kb.getVersion(v1.id, 1)).toEqual(v1);
    expect(await w.kb.get(v1.id)).toEqual(v2);
    expect(w.table.events.at(-1)).toMatchObject({
      type: 'Knowledge Article Updated',
      actor: 'rm',
      subject: { kind: 'article', id: v1.id },
      data: {
        articleId: v1.id,
        version: 2,
        kind: 'backout-procedure',
        changed: { releaseIds: { from: ['rel_a'], to: ['rel_a', 'rel_b'] } },
        contentChanged: ['body'],
      },
    });
  });

  it('answers the current version and writes nothing when the edit changes nothing', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    const same = await editArticle(
      article.id,
      { title: article.title, ciIds: [...article.ciIds] },
      1,
      cm,
      w.ports,
    );
    expect(same).toEqual(article);
    expect(w.kb.count('save')).toBe(0);
    expect(w.table.events).toHaveLength(1);
  });

  it('is based on the current version: a stale one is a 409 with the current version', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    await editArticle(article.id, { title: 'Second' }, 1, cm, w.ports);
    const error = await editArticle(article.id, { title: 'Third' }, 1, cm, w.ports).catch((e) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error.currentVersion).toBe(2);
  });

  it('of two concurrent edits from the same version, one wins and one gets a conflict', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    const results = await Promise.allSettled([
      editArticle(article.id, { title: 'Mine' }, 1, cm, w.ports),
      editArticle(article.id, { title: 'Yours' }, 1, rm, w.ports),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [lost] = results.filter((r) => r.status === 'rejected');
    expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    expect(w.kb.versionsOf.size).toBe(2);
  });

  it('keeps the script rule: an install script takes a new script, another kind none', async () => {
    const w = world();
    const { article: installer } = await publishArticle(
      procedure({ kind: 'install-script', script }),
      cm,
      w.ports,
    );
    const next = await editArticle(
      installer.id,
      { script: { language: 'bash', content: 'echo v2' } },
      1,
      cm,
      w.ports,
    );
    expect(next.script).toEqual({ language: 'bash', content: 'echo v2' });
    expect(w.table.events.at(-1)?.data).toMatchObject({ changed: {}, contentChanged: ['script'] });
    const { article: notes } = await publishArticle(procedure({ kind: 'known-error' }), cm, w.ports);
    await expect(editArticle(notes.id, { script }, 1, cm, w.ports)).rejects.toThrow(ValidationError);
  });

  it('checks only the releases newly linked', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    const reads = w.releases.count('get');
    await expect(
      editArticle(article.id, { releaseIds: ['rel_a', 'rel_gone'] }, 1, cm, w.ports),
    ).rejects.toMatchObject({ code: 'unknown-releases', details: { unknownReleaseIds: ['rel_gone'] } });
    expect(w.releases.count('get') - reads).toBe(1);
  });

  it('is refused to technicians; a missing article is 404', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    await expect(editArticle(article.id, { title: 'x' }, 1, tech, w.ports)).rejects.toThrow(ForbiddenError);
    await expect(editArticle('kb_missing', { title: 'x' }, 1, cm, w.ports)).rejects.toThrow(NotFoundError);
  });
});

describe('reading', () => {
  it('reads the current version or an older one, saying which is the latest; 404 for one it never had', async () => {
    const w = world();
    const { article: v1 } = await publishArticle(procedure(), cm, w.ports);
    await editArticle(v1.id, { title: 'Second' }, 1, cm, w.ports);
    await editArticle(v1.id, { title: 'Third' }, 2, cm, w.ports);
    expect(await getArticle(v1.id, undefined, tech, w.ports)).toMatchObject({
      article: { version: 3, title: 'Third' },
      latestVersion: 3,
    });
    expect(await getArticle(v1.id, 1, tech, w.ports)).toEqual({ article: v1, latestVersion: 3 });
    expect(await getArticle(v1.id, 3, tech, w.ports)).toMatchObject({ article: { version: 3 } });
    await expect(getArticle(v1.id, 4, tech, w.ports)).rejects.toThrow(/Version 4 of knowledge article/);
    await expect(getArticle('kb_missing', undefined, tech, w.ports)).rejects.toThrow(NotFoundError);
    await expect(getArticle(v1.id, undefined, nobody, w.ports)).rejects.toThrow(ForbiddenError);
  });

  it('lists the versions newest first', async () => {
    const w = world();
    const { article } = await publishArticle(procedure(), cm, w.ports);
    await editArticle(article.id, { title: 'Second' }, 1, cm, w.ports);
    const page = await articleVersions(article.id, { limit: 10 }, tech, w.ports);
    expect(page.items.map((a) => [a.version, a.title])).toEqual([
      [2, 'Second'],
      [1, 'Back out payroll 4.2'],
    ]);
    await expect(articleVersions('kb_missing', { limit: 10 }, tech, w.ports)).rejects.toThrow(NotFoundError);
  });

  it('lists current versions by CI, release and kind, newest first', async () => {
    const w = world();
    const a = (await publishArticle(procedure(), cm, w.ports)).article;
    w.clock.advance(1000);
    const b = (
      await publishArticle(
        procedure({ kind: 'install-script', script, ciIds: ['ci_payroll_app', 'ci_db'], releaseIds: [] }),
        cm,
        w.ports,
      )
    ).article;
    w.clock.advance(1000);
    const c = (
      await publishArticle(
        procedure({ kind: 'known-error', ciIds: ['ci_db'], releaseIds: ['rel_b'] }),
        cm,
        w.ports,
      )
    ).article;
    const ids = async (filter: Parameters<typeof listArticles>[0]) =>
      (await listArticles(filter, { limit: 20 }, tech, w.ports)).items.map((x) => x.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ ciId: 'ci_payroll_app' })).toEqual([b.id, a.id]);
    expect(await ids({ ciId: 'ci_db', kind: 'known-error' })).toEqual([c.id]);
    expect(await ids({ releaseId: 'rel_a' })).toEqual([a.id]);
    expect(await ids({ kind: 'install-script' })).toEqual([b.id]);
    expect(await ids({ ciId: 'ci_db', releaseId: 'rel_b' })).toEqual([c.id]);
  });
});

describe('articlesFor (what a back-out must have followed)', () => {
  it('gives the current version of every back-out procedure linked to the release or its CIs, once each', async () => {
    const w = world();
    const byRelease = (await publishArticle(procedure({ ciIds: [] }), cm, w.ports)).article;
    const byCi = (await publishArticle(procedure({ ciIds: ['ci_db'], releaseIds: [] }), cm, w.ports)).article;
    const byBoth = (
      await publishArticle(procedure({ ciIds: ['ci_db', 'ci_app'], releaseIds: ['rel_a'] }), cm, w.ports)
    ).article;
    // Not back-out procedures, or linked to something else: not asked for.
    await publishArticle(procedure({ kind: 'known-error', ciIds: ['ci_db'] }), cm, w.ports);
    await publishArticle(procedure({ kind: 'install-script', script, ciIds: ['ci_app'] }), cm, w.ports);
    await publishArticle(procedure({ ciIds: ['ci_other'], releaseIds: ['rel_b'] }), cm, w.ports);
    const edited = await editArticle(byCi.id, { body: 'Newer steps' }, 1, rm, w.ports);

    const found = await articlesFor({ releaseId: 'rel_a', ciIds: ['ci_db', 'ci_app', 'ci_db'] }, w.ports);
    expect(found.map((a) => a.id)).toEqual([byRelease.id, byCi.id, byBoth.id].sort());
    expect(found.find((a) => a.id === byCi.id)).toEqual(edited);
  });

  it('gives none when nothing is linked', async () => {
    expect(await articlesFor({ releaseId: 'rel_a', ciIds: [] }, world().ports)).toEqual([]);
  });
});
