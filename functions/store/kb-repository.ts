/**
 * DynamoDB adapter of the knowledge base: an article's current version (`KB#<id>`, `#STATE`), each
 * immutable version beside it (`V#<n>`), its events, and one link item per CI and per release it
 * names, in that CI's or release's partition of links (docs/data-model.md).
 */
import type { DomainEvent } from '#domain/events';
import type { Article, ArticleKind } from '#domain/kb/article';
import type { ArticleFilter, ArticleLink, KbStore } from '#domain/kb/ports';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import { batchGetItems } from './batch-get.ts';
import { commit, commitOnce } from './commit.ts';
import {
  ARTICLE_LINK_PREFIX,
  ARTICLE_VERSION_PREFIX,
  articleIndexKeys,
  kbLinks,
  kbLists,
  keys,
} from './keys.ts';
import { type PartitionQuery, queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

type Item = Record<string, unknown> & { pk: string; sk: string };

function stateItem(article: Article): Item {
  return { ...keys.article(article.id), entity: 'article', ...articleIndexKeys(article), ...article };
}

function versionItem(article: Article): Item {
  return { ...keys.articleVersion(article.id, article.version), entity: 'articleVersion', ...article };
}

function fromItem(item: Record<string, unknown>): Article {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as Article;
}

/** The link items of an article: one per CI and one per release it names (its kind, to filter on). */
function linkItems(article: Article): Item[] {
  const links: ArticleLink[] = [
    ...article.ciIds.map((ciId) => ({ ciId })),
    ...article.releaseIds.map((releaseId) => ({ releaseId })),
  ];
  return links.map((link) => ({
    ...keys.articleLink(link, article.id),
    entity: 'articleLink',
    articleId: article.id,
    kind: article.kind,
  }));
}

/** The link items to put and delete when an article goes from `before` to `after`: the difference. */
function linkChanges(before: Article | undefined, after: Article) {
  const key = (i: Item) => `${i.pk}|${i.sk}`;
  const old = new Map((before ? linkItems(before) : []).map((i) => [key(i), i]));
  const now = linkItems(after);
  const kept = new Set(now.map(key));
  return {
    puts: now.filter((i) => !old.has(key(i))),
    deletes: [...old.values()].filter((i) => !kept.has(key(i))).map(({ pk, sk }) => ({ pk, sk })),
  };
}

const kindFilter = (kind: ArticleKind) => ({
  expression: '#kind = :kind',
  names: { '#kind': 'kind' },
  values: { ':kind': kind },
});

export class DynamoKbStore extends TableStore implements KbStore {
  async get(id: string): Promise<Article | undefined> {
    return this.read(keys.article(id), fromItem);
  }

  async getVersion(id: string, version: number): Promise<Article | undefined> {
    return this.read(keys.articleVersion(id, version), fromItem);
  }

  async getMany(ids: readonly string[]): Promise<Article[]> {
    const items = await batchGetItems(
      this.db,
      this.table,
      [...new Set(ids)].map((id) => keys.article(id)),
    );
    const byId = new Map(items.map((item) => [String(item.id), fromItem(item)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async versions(id: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<Article>> {
    return queryPage(
      this.db,
      this.table,
      { partition: keys.article(id).pk, sortPrefix: ARTICLE_VERSION_PREFIX, descending: true },
      page,
      fromItem,
    );
  }

  /**
   * By CI or release: a Query of that partition of links (the kind filtered within it), then the
   * page's articles by key; given both, the release's links are read and the CI is checked on the
   * articles, so such a page may hold fewer than `limit` (its cursor still goes on). Otherwise the
   * articles' own index: by kind, or all.
   */
  async list(
    filter: ArticleFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Article>> {
    const link: ArticleLink | undefined =
      filter.releaseId !== undefined
        ? { releaseId: filter.releaseId }
        : filter.ciId !== undefined
          ? { ciId: filter.ciId }
          : undefined;
    if (link === undefined) {
      const list = filter.kind !== undefined ? kbLists.kind(filter.kind) : kbLists.all;
      return queryPage(
        this.db,
        this.table,
        { index: list.index, partition: list.partition, descending: true },
        page,
        fromItem,
      );
    }
    const ids = await queryPage(this.db, this.table, this.#linkQuery(link, filter.kind, true), page, (item) =>
      String(item.articleId),
    );
    const articles = await this.getMany(ids.items);
    const ciId = filter.releaseId !== undefined ? filter.ciId : undefined;
    return {
      items: ciId === undefined ? articles : articles.filter((a) => a.ciIds.includes(ciId)),
      ...(ids.nextCursor ? { nextCursor: ids.nextCursor } : {}),
    };
  }

  async linkedTo(link: ArticleLink, kind?: ArticleKind): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.db,
        this.table,
        this.#linkQuery(link, kind, false),
        { limit: 100, cursor },
        (item) => String(item.articleId),
      );
      ids.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  #linkQuery(link: ArticleLink, kind: ArticleKind | undefined, descending: boolean): PartitionQuery {
    return {
      partition: kbLinks(link),
      sortPrefix: ARTICLE_LINK_PREFIX,
      ...(descending ? { descending: true } : {}),
      ...(kind !== undefined ? { filter: kindFilter(kind) } : {}),
    };
  }

  async publish(
    article: Article,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite> {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: [
          { item: stateItem(article), expectedVersion: undefined },
          { item: versionItem(article), expectedVersion: undefined },
        ],
        events: [event],
        derived: linkChanges(undefined, article),
      },
      idempotency,
      article.id,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async save(article: Article, previous: Article, event: DomainEvent): Promise<void> {
    await commit(this.db, this.table, {
      writes: [
        { item: stateItem(article), expectedVersion: previous.version },
        // Versions are immutable: this one must not exist yet.
        { item: versionItem(article), expectedVersion: undefined },
      ],
      events: [event],
      derived: linkChanges(previous, article),
    });
  }
}
