/**
 * What the knowledge-base use cases need: the article store (current versions, every older
 * version, and the links of each CI and release to its articles), the releases articles link to,
 * and — once the CMDB lands — the CIs.
 */
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Page } from '../ports.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { Article, ArticleKind } from './article.ts';

/** What an article list may be narrowed to; every field is optional. */
export interface ArticleFilter {
  /** Linked to this CI. */
  readonly ciId?: string | undefined;
  /** Linked to this release. */
  readonly releaseId?: string | undefined;
  readonly kind?: ArticleKind | undefined;
}

/** What an article is linked to: one CI or one release. */
export type ArticleLink = { readonly ciId: string } | { readonly releaseId: string };

export interface KbStore {
  /** The current version. */
  get(id: string): Promise<Article | undefined>;
  /** One version, current or older. */
  getVersion(id: string, version: number): Promise<Article | undefined>;
  /** The current version of each of these articles that exists, in the order given. */
  getMany(ids: readonly string[]): Promise<Article[]>;
  /** Every version of an article, newest first. */
  versions(id: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<Article>>;
  /** Current versions, newest article first. */
  list(filter: ArticleFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Article>>;
  /** The ids of every article linked to the CI or release (of one kind, if given). */
  linkedTo(link: ArticleLink, kind?: ArticleKind): Promise<string[]>;
  /** Stores version 1 with its links and its event (and the POST's Idempotency-Key). */
  publish(article: Article, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite>;
  /**
   * Stores the next version of `previous` (which must still be current: a VersionConflictError
   * otherwise) with its event; the links follow the difference.
   */
  save(article: Article, previous: Article, event: DomainEvent): Promise<void>;
}

/**
 * The CMDB seam: articles name CIs, and the CMDB (issue 11, landing in parallel) will say which
 * exist. Absent, CI ids are stored as given; present, an article naming a CI it does not know is
 * refused (422 listing them) as one naming an unknown release is.
 */
export interface KbCiDirectory {
  get(id: string): Promise<object | undefined>;
}

export interface KbPorts {
  readonly kb: KbStore;
  readonly releases: Pick<ReleaseStore, 'get'>;
  readonly cis?: KbCiDirectory | undefined;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
