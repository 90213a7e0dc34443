import { type AppPorts, environmentPorts } from '#app/ports';
import type { Article } from '#domain/kb/article';
import {
  articleVersions,
  editArticle,
  getArticle,
  type KbPorts,
  listArticles,
  publishArticle,
} from '#domain/kb/service';
import { type EdgePorts, httpHandler, pageView, written } from '#edge/handler';
import { kbRoutes } from './contract/kb.ts';

/** The public shape of an article version, in a stable field order; a single one says its latest version. */
export function articleView(article: Article, latestVersion?: number) {
  return {
    id: article.id,
    version: article.version,
    ...(latestVersion !== undefined ? { latestVersion } : {}),
    kind: article.kind,
    title: article.title,
    body: article.body,
    ciIds: article.ciIds,
    releaseIds: article.releaseIds,
    ...(article.script
      ? { script: { language: article.script.language, content: article.script.content } }
      : {}),
    createdAt: article.createdAt,
    createdBy: article.createdBy,
    updatedAt: article.updatedAt,
    updatedBy: article.updatedBy,
  };
}

// Only the knowledge base's ports (and the caller's): its unit tests run it on the in-memory fakes.
export const createHandler = <P extends KbPorts & EdgePorts>(ports: () => P) =>
  httpHandler(
    kbRoutes,
    {
      publishArticle: async ({ body, actor, idempotency }, p: P) => {
        const { article, replayed } = await publishArticle(body, actor, p, idempotency);
        return written(articleView(article, article.version), {
          location: `/kb/${article.id}`,
          created: true,
          replayed,
        });
      },
      listArticles: async ({ query, actor }, p: P) => {
        const { limit, cursor, ci, release, kind } = query;
        const page = await listArticles({ ciId: ci, releaseId: release, kind }, { limit, cursor }, actor, p);
        return pageView(page, (a) => articleView(a));
      },
      getArticle: async ({ params, query, actor }, p: P) => {
        const { article, latestVersion } = await getArticle(params.id as string, query.version, actor, p);
        return articleView(article, latestVersion);
      },
      articleVersions: async ({ params, query, actor }, p: P) =>
        pageView(await articleVersions(params.id as string, query, actor, p), (a) => articleView(a)),
      editArticle: async ({ params, body, version, actor }, p: P) => {
        const article = await editArticle(params.id as string, body, version, actor, p);
        return articleView(article, article.version);
      },
    },
    ports,
  );

export const handler = createHandler<AppPorts>(environmentPorts);
