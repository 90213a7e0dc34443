/**
 * Knowledge-base use cases: publishing, reading (any version), listing by CI, release and kind,
 * editing as a new version, and the back-out procedures a back-out must have followed. Each
 * receives its ports, so tests run them on in-memory fakes.
 */
import { type Access, type Actor, ANY_PROCESS, authorize } from '../actor.ts';
import { NotFoundError, RuleViolationError, VersionConflictError } from '../errors.ts';
import type { IdempotencyRequest, Page } from '../ports.ts';
import { type Article, type ArticleChanges, type NewArticle, newArticle, reviseArticle } from './article.ts';
import type { ArticleFilter, KbPorts } from './ports.ts';

export type { ArticleFilter, ArticleLink, KbCiDirectory, KbPorts, KbStore } from './ports.ts';

/**
 * Who may use the knowledge base (the routes declare these same objects): every process holder
 * reads it — technicians follow install scripts and back-out procedures — and change and release
 * managers (and administrators) write it, since they plan what the articles describe.
 */
export const kbAccess = {
  read: ANY_PROCESS,
  write: { processes: ['change', 'release'] },
} as const satisfies Record<string, Access>;

/** The ids given that name nothing: each must exist (422 listing those that do not). */
async function unknownIds(
  ids: readonly string[],
  get: (id: string) => Promise<object | undefined>,
): Promise<string[]> {
  const distinct = [...new Set(ids)];
  const found = await Promise.all(distinct.map((id) => get(id)));
  return distinct.filter((_, i) => found[i] === undefined);
}

/** Every release (and, once the CMDB is wired, every CI) an article is newly linked to exists. */
async function assertLinks(
  links: { ciIds: readonly string[]; releaseIds: readonly string[] },
  ports: Pick<KbPorts, 'releases' | 'cis'>,
): Promise<void> {
  const releases = await unknownIds(links.releaseIds, (id) => ports.releases.get(id));
  const directory = ports.cis;
  const cis = directory ? await unknownIds(links.ciIds, (id) => directory.get(id)) : [];
  if (releases.length > 0) {
    throw new RuleViolationError('unknown-releases', `No release has the id ${releases.join(', ')}.`, {
      unknownReleaseIds: releases,
      ...(cis.length > 0 ? { unknownCiIds: cis } : {}),
    });
  }
  if (cis.length > 0) {
    throw new RuleViolationError('unknown-cis', `No configuration item has the id ${cis.join(', ')}.`, {
      unknownCiIds: cis,
    });
  }
}

export async function publishArticle(
  input: NewArticle,
  actor: Actor,
  ports: KbPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ article: Article; replayed: boolean }> {
  authorize(actor, kbAccess.write);
  const { article, event } = newArticle(input, actor, ports);
  await assertLinks(article, ports);
  const { replayed } = await ports.kb.publish(article, event, idempotency);
  if (replayed === undefined) return { article, replayed: false };
  const first = await ports.kb.get(replayed);
  if (!first) throw new NotFoundError('Knowledge article', replayed);
  return { article: first, replayed: true };
}

/** The current version of an article, or the one asked for (404 for a version it never had). */
export async function getArticle(
  id: string,
  version: number | undefined,
  actor: Actor,
  ports: Pick<KbPorts, 'kb'>,
): Promise<{ article: Article; latestVersion: number }> {
  authorize(actor, kbAccess.read);
  const current = await ports.kb.get(id);
  if (!current) throw new NotFoundError('Knowledge article', id);
  if (version === undefined || version === current.version) {
    return { article: current, latestVersion: current.version };
  }
  const older = version < current.version ? await ports.kb.getVersion(id, version) : undefined;
  if (!older) throw new NotFoundError(`Version ${version} of knowledge article`, id);
  return { article: older, latestVersion: current.version };
}

export async function listArticles(
  filter: ArticleFilter,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<KbPorts, 'kb'>,
): Promise<Page<Article>> {
  authorize(actor, kbAccess.read);
  return ports.kb.list(filter, page);
}

export async function articleVersions(
  id: string,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<KbPorts, 'kb'>,
): Promise<Page<Article>> {
  authorize(actor, kbAccess.read);
  if (!(await ports.kb.get(id))) throw new NotFoundError('Knowledge article', id);
  return ports.kb.versions(id, page);
}

/**
 * Edits an article: a new immutable version based on `expectedVersion` (409 when it is not the
 * current one); an edit that changes nothing writes no version and answers the current one.
 */
export async function editArticle(
  id: string,
  changes: ArticleChanges,
  expectedVersion: number,
  actor: Actor,
  ports: KbPorts,
): Promise<Article> {
  authorize(actor, kbAccess.write);
  const current = await ports.kb.get(id);
  if (!current) throw new NotFoundError('Knowledge article', id);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `Knowledge article ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const revised = reviseArticle(current, changes, actor, ports);
  if (!revised) return current;
  // Only links added now are checked: those kept were checked when they were made.
  await assertLinks(
    {
      ciIds: revised.article.ciIds.filter((c) => !current.ciIds.includes(c)),
      releaseIds: revised.article.releaseIds.filter((r) => !current.releaseIds.includes(r)),
    },
    ports,
  );
  await ports.kb.save(revised.article, current, revised.event);
  return revised.article;
}

/**
 * The back-out procedures a back-out of this release must have followed: the current version of
 * every `backout-procedure` article linked to the release or to any of the CIs, each once, in id
 * order. For the back-out use case, which authorises its caller itself.
 */
export async function articlesFor(
  target: { releaseId: string; ciIds: readonly string[] },
  ports: Pick<KbPorts, 'kb'>,
): Promise<Article[]> {
  const kind = 'backout-procedure';
  const linked = await Promise.all([
    ports.kb.linkedTo({ releaseId: target.releaseId }, kind),
    ...[...new Set(target.ciIds)].map((ciId) => ports.kb.linkedTo({ ciId }, kind)),
  ]);
  const ids = [...new Set(linked.flat())].sort();
  // The links say which; the articles themselves say what they are now.
  return (await ports.kb.getMany(ids)).filter((a) => a.kind === kind);
}
