/**
 * The knowledge-base Article aggregate: versioned text (release and build instructions, install
 * scripts, back-out procedures, known errors) linked to CIs and releases. Every edit is a new,
 * immutable version; the versions before it stay readable, so what an engineer acknowledged as
 * followed can always be read again.
 */
import type { Actor } from '../actor.ts';
import { ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import {
  ARTICLE_KINDS,
  CONTENT_FIELDS,
  KnowledgeArticlePublished,
  KnowledgeArticleUpdated,
} from './events.ts';

export { ARTICLE_KINDS };
export type ArticleKind = (typeof ARTICLE_KINDS)[number];

/** The one kind that carries a script: install scripts are stored against the CIs they install on. */
export const SCRIPT_KIND: ArticleKind = 'install-script';

export interface Script {
  readonly language: string;
  readonly content: string;
}

/** One version of an article; the current one is the article. */
export interface Article {
  readonly id: string;
  /** The version number: 1 when published, one more with each edit. */
  readonly version: number;
  /** Fixed when published: an install script does not become a known error. */
  readonly kind: ArticleKind;
  readonly title: string;
  readonly body: string;
  readonly ciIds: readonly string[];
  readonly releaseIds: readonly string[];
  /** Only on an install script, and always there. */
  readonly script?: Script;
  readonly createdAt: string;
  readonly createdBy: string;
  /** When and by whom this version was written. */
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface NewArticle {
  kind: ArticleKind;
  title: string;
  body: string;
  ciIds: string[];
  releaseIds: string[];
  script?: Script | undefined;
}

export interface ArticleChanges {
  title?: string | undefined;
  body?: string | undefined;
  ciIds?: string[] | undefined;
  releaseIds?: string[] | undefined;
  script?: Script | undefined;
}

type Deps = { clock: Clock; ids: IdGenerator };

/**
 * An install script has its script and no other kind has one: a script on a release note would
 * be run by nobody, and an install script without one is not one. It is stored against the CIs
 * it installs on (the source text's words), so it names at least one.
 */
function assertScript(kind: ArticleKind, script: Script | undefined, ciIds: readonly string[]): void {
  if (kind === SCRIPT_KIND && ciIds.length === 0) {
    throw new ValidationError('An install script is stored against the CIs it installs on.', [
      { path: 'ciIds', message: `must name at least one CI for a ${SCRIPT_KIND} article` },
    ]);
  }
  if (kind === SCRIPT_KIND && script === undefined) {
    throw new ValidationError('An install-script article needs its script.', [
      { path: 'script', message: `is required for a ${SCRIPT_KIND} article` },
    ]);
  }
  if (kind !== SCRIPT_KIND && script !== undefined) {
    throw new ValidationError(`Only ${SCRIPT_KIND} articles carry a script.`, [
      { path: 'script', message: `is only for ${SCRIPT_KIND} articles, not ${kind}` },
    ]);
  }
}

/** Publishes an article as its version 1, with its `Knowledge Article Published` event. */
export function newArticle(
  input: NewArticle,
  actor: Actor,
  deps: Deps,
): { article: Article; event: DomainEvent } {
  assertScript(input.kind, input.script, input.ciIds);
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next('kb');
  const article: Article = {
    id,
    version: 1,
    kind: input.kind,
    title: input.title,
    body: input.body,
    ciIds: [...input.ciIds],
    releaseIds: [...input.releaseIds],
    ...(input.script ? { script: { language: input.script.language, content: input.script.content } } : {}),
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = KnowledgeArticlePublished.event(
    {
      articleId: id,
      version: 1,
      kind: article.kind,
      title: article.title,
      ciIds: [...article.ciIds],
      releaseIds: [...article.releaseIds],
      scriptLanguage: article.script?.language ?? null,
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { article, event };
}

/**
 * The next version of an article with the changes applied, and its `Knowledge Article Updated`
 * event; undefined when they change nothing (no new version, no event).
 */
export function reviseArticle(
  article: Article,
  changes: ArticleChanges,
  actor: Actor,
  deps: Deps,
): { article: Article; event: DomainEvent } | undefined {
  const now = deps.clock.now().toISOString();
  const next: Article = {
    ...article,
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(changes.body !== undefined ? { body: changes.body } : {}),
    ...(changes.ciIds !== undefined ? { ciIds: [...changes.ciIds] } : {}),
    ...(changes.releaseIds !== undefined ? { releaseIds: [...changes.releaseIds] } : {}),
    ...(changes.script !== undefined
      ? { script: { language: changes.script.language, content: changes.script.content } }
      : {}),
    version: article.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  assertScript(next.kind, next.script, next.ciIds);
  const changed = fieldChanges(article, next, ['title', 'ciIds', 'releaseIds']);
  const content = fieldChanges(article, next, CONTENT_FIELDS);
  const contentChanged = CONTENT_FIELDS.filter((f) => content[f] !== undefined);
  if (Object.keys(changed).length === 0 && contentChanged.length === 0) return undefined;
  const event = KnowledgeArticleUpdated.event(
    { articleId: article.id, version: next.version, kind: article.kind, changed, contentChanged },
    eventMeta(deps.ids, now, actor.id, article.id),
  );
  return { article: next, event };
}
