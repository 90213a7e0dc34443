/**
 * The knowledge-base resource's request and response schemas and routes (DESIGN §5): versioned
 * articles linked to CIs and releases. The handler validates with them and the OpenAPI document
 * is generated from them.
 */
import { ARTICLE_KINDS, SCRIPT_KIND } from '#domain/kb/article';
import { kbAccess } from '#domain/kb/service';
import { ExpectedVersion, Id, idOf, noRepeats, PageQuery, pageOf } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

/**
 * At most this many links of each kind: a new version writes its state, its version, its event
 * and the links it adds and removes in one transaction (at most 100 items), so even an edit that
 * replaces every link fits (docs/decisions.md).
 */
export const MAX_ARTICLE_CIS = 25;
export const MAX_ARTICLE_RELEASES = 20;

const Title = z.string().trim().min(1).max(200);
const Body = z.string().min(1).max(100_000).openapi({ description: 'The text (Markdown by convention).' });
const CiIds = z
  .array(idOf('ci_payroll_app'))
  .max(MAX_ARTICLE_CIS)
  .superRefine(noRepeats)
  .openapi({ description: 'The configuration items it is about, each once.' });
const ReleaseIds = z
  .array(idOf('rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC'))
  .max(MAX_ARTICLE_RELEASES)
  .superRefine(noRepeats)
  .openapi({
    description: 'The releases it is about, each once; each must exist (422 listing those that do not).',
  });

export const ScriptBody = z
  .object({
    language: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .openapi({ description: 'What runs it, e.g. bash, powershell, sql.', example: 'bash' }),
    content: z.string().min(1).max(100_000).openapi({ example: 'systemctl restart payroll' }),
  })
  .strict()
  .openapi('Script');

export const CreateArticleBody = z
  .object({
    kind: z.enum(ARTICLE_KINDS),
    title: Title,
    body: Body,
    ciIds: CiIds.default([]),
    releaseIds: ReleaseIds.default([]),
    script: ScriptBody.optional().openapi({
      description: `Required for a \`${SCRIPT_KIND}\` article, and only there.`,
    }),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === SCRIPT_KIND && b.script === undefined) {
      ctx.addIssue({ code: 'custom', path: ['script'], message: `is required for a ${SCRIPT_KIND} article` });
    }
    if (b.kind !== SCRIPT_KIND && b.script !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['script'], message: `is only for ${SCRIPT_KIND} articles` });
    }
    if (b.kind === SCRIPT_KIND && b.ciIds.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ciIds'],
        message: `must name at least one CI for a ${SCRIPT_KIND} article`,
      });
    }
  })
  .openapi('CreateArticle');

export const UpdateArticleBody = z
  .object({
    title: Title.optional(),
    body: Body.optional(),
    ciIds: CiIds.optional(),
    releaseIds: ReleaseIds.optional(),
    script: ScriptBody.optional().openapi({ description: `Only on a \`${SCRIPT_KIND}\` article.` }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine((b) => [b.title, b.body, b.ciIds, b.releaseIds, b.script].some((v) => v !== undefined), {
    message: 'must change at least one of title, body, ciIds, releaseIds, script',
  })
  .openapi('UpdateArticle');

export const ArticleView = z
  .object({
    id: z.string().openapi({ example: 'kb_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }),
    version: z.number().int().openapi({ description: 'The version shown (its ETag).' }),
    latestVersion: z.number().int().optional().openapi({
      description: 'On a single article: its current version (greater when an older one is shown).',
    }),
    kind: z.enum(ARTICLE_KINDS),
    title: z.string(),
    body: z.string(),
    ciIds: z.array(z.string()),
    releaseIds: z.array(z.string()),
    script: z.object({ language: z.string(), content: z.string() }).optional(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string().openapi({ description: 'When this version was written.' }),
    updatedBy: z.string().openapi({ description: 'Who wrote this version.' }),
  })
  .openapi('Article');

export const ArticlePage = pageOf(ArticleView).openapi('ArticlePage');
export const ArticleParams = z.object({ id: Id.openapi({ example: 'kb_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });

export const ArticleListQuery = PageQuery.extend({
  ci: idOf('ci_payroll_app').optional().openapi({ description: 'Articles linked to this CI.' }),
  release: idOf('rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC')
    .optional()
    .openapi({ description: 'Articles linked to this release.' }),
  kind: z.enum(ARTICLE_KINDS).optional(),
}).strict();

export const ArticleQuery = z
  .object({
    version: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'An earlier version (default: the current one); 404 when it never existed.' }),
  })
  .strict();

const readDescription =
  'Every process holder (change, release, deployment) reads the knowledge base: technicians follow its install scripts and back-out procedures.';
const writeDescription =
  'Change and release managers (the `change` or `release` process) and administrators.';

/** The knowledge base's routes (DESIGN §5). */
export const kbRoutes = resource(
  {
    name: 'kb',
    description: 'Knowledge base: versioned articles linked to CIs and releases',
    table: 'write',
  },
  {
    publishArticle: route({
      method: 'POST',
      path: '/kb',
      summary: 'Publish a knowledge-base article (its version 1)',
      description: `${writeDescription} \`script\` is required for an \`${SCRIPT_KIND}\` article and refused on any other (400); an install script is stored against the CIs it installs on, so it names at least one in \`ciIds\` (400). Every release in \`releaseIds\` must exist (422 \`unknown-releases\` listing those that do not). Send \`Idempotency-Key\` to make retries safe.`,
      access: kbAccess.write,
      body: CreateArticleBody,
      idempotent: true,
      problems: [422],
      responses: {
        201: { description: 'Published (or replayed: `Idempotent-Replayed: true`)', schema: ArticleView },
      },
    }),
    listArticles: route({
      method: 'GET',
      path: '/kb',
      summary: 'List articles (current versions), newest first',
      description: `${readDescription} Filters \`ci\`, \`release\`, \`kind\`, each read from its own partition or index (no Scan). Given both \`ci\` and \`release\`, a page may hold fewer than \`limit\` articles: follow \`nextCursor\`.`,
      access: kbAccess.read,
      query: ArticleListQuery,
      responses: { 200: { description: 'A page of articles', schema: ArticlePage } },
    }),
    getArticle: route({
      method: 'GET',
      path: '/kb/{id}',
      summary: 'Read an article: its current version, or an earlier one (`?version=n`)',
      description: readDescription,
      access: kbAccess.read,
      params: ArticleParams,
      query: ArticleQuery,
      responses: { 200: { description: 'The article at that version', schema: ArticleView } },
    }),
    articleVersions: route({
      method: 'GET',
      path: '/kb/{id}/versions',
      summary: "An article's versions, newest first",
      description: `${readDescription} Versions are immutable: each edit adds one.`,
      access: kbAccess.read,
      params: ArticleParams,
      query: PageQuery,
      responses: { 200: { description: 'A page of versions', schema: ArticlePage } },
    }),
    editArticle: route({
      method: 'PATCH',
      path: '/kb/{id}',
      summary: 'Edit an article: a new version (the earlier ones stay readable)',
      description: `${writeDescription} Needs \`expectedVersion\` in the body or \`If-Match\` with the ETag read; a stale version gets 409. Its kind is fixed. Releases newly linked must exist (422 \`unknown-releases\`). An edit that changes nothing adds no version.`,
      access: kbAccess.write,
      params: ArticleParams,
      body: UpdateArticleBody,
      version: 'required',
      mergePatch: true,
      problems: [422],
      responses: { 200: { description: 'The new version', schema: ArticleView } },
    }),
  },
);
