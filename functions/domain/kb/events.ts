/**
 * The events of the knowledge-base Article aggregate: an article published (its version 1) and
 * each later version. Their data name what changed, never the article's text: a body or a script
 * before and after would not fit an event item (DynamoDB holds at most 400 KB per item).
 */
import * as z from 'zod';
import { changeField, countField, defineEvent, idField, nullableField, textField } from '../events.ts';

/** What an article is: the kinds the source text names (DESIGN §4). */
export const ARTICLE_KINDS = [
  'release-instructions',
  'build-instructions',
  'install-script',
  'backout-procedure',
  'known-error',
] as const;

/** The long fields of an article: an update says that they changed, not their values. */
export const CONTENT_FIELDS = ['body', 'script'] as const;

const articleId = idField('The article id (also `detail.subject.id`)');
const kind = z.enum(ARTICLE_KINDS).describe('What the article is (fixed when it is published)');
const ids = (description: string) => z.array(idField('id')).describe(description);

export const KnowledgeArticlePublished = defineEvent({
  type: 'Knowledge Article Published',
  description:
    'A knowledge-base article was published (POST /kb): its version 1, linked to the CIs and releases it names.',
  emittedBy: 'newArticle (functions/domain/kb/article.ts)',
  subjectKinds: ['article'],
  data: z
    .looseObject({
      articleId,
      version: countField('The article version (1)'),
      kind,
      title: textField('Its title'),
      ciIds: ids('The configuration items it is linked to'),
      releaseIds: ids('The releases it is linked to'),
      scriptLanguage: nullableField('An install script: the language of its script; else null'),
    })
    .describe('The new article'),
  subscription: {
    caption: 'back-out procedures as they are published',
    detail: { data: { kind: ['backout-procedure'] } },
  },
});

export const KnowledgeArticleUpdated = defineEvent({
  type: 'Knowledge Article Updated',
  description:
    'A knowledge-base article got a new version (PATCH /kb/{id}); earlier versions stay readable (`GET /kb/{id}?version=n`). `changed` names the short fields with their values before and after, `contentChanged` the long ones (body, script) that changed.',
  emittedBy: 'reviseArticle (functions/domain/kb/article.ts)',
  subjectKinds: ['article'],
  data: z
    .looseObject({
      articleId,
      version: countField('The article version after the edit', 2),
      kind,
      changed: z
        .looseObject({
          title: changeField(textField('Title'), 'New title'),
          ciIds: changeField(z.array(z.string()).describe('CI ids'), 'New linked CIs'),
          releaseIds: changeField(z.array(z.string()).describe('Release ids'), 'New linked releases'),
        })
        .describe('The short fields that changed, each with its value before and after'),
      contentChanged: z
        .array(z.enum(CONTENT_FIELDS))
        .describe('The long fields that changed (read the versions for their text)'),
    })
    .describe('The new version'),
  subscription: {
    caption: 'back-out procedures that changed (an acknowledgement of an older version is stale)',
    detail: { data: { kind: ['backout-procedure'] } },
  },
});
