/**
 * The CMDB resource (configuration items) — its request and response schemas and its routes
 * (DESIGN §5). The handler validates with them and the OpenAPI document is generated from them.
 */
import { attributeMapFaults } from '#domain/attribute-value';
import { CI_RELATION_TYPES, CI_STATUSES, MAX_CI_RELATIONS } from '#domain/ci/ci';
import { ciAccess, IMPACT_LIMITS } from '#domain/ci/service';
import { AttributeValues, ExpectedVersion, Id, idOf, PageQuery, pageOf, Timestamp } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

const CiType = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    'must be 1-64 characters of a-z 0-9 . _ - (starting with a letter or digit)',
  )
  .openapi({ example: 'application' });
const CiName = z.string().trim().min(1).max(200).openapi({ example: 'payroll-app' });

const Relation = z
  .object({
    type: z.enum(CI_RELATION_TYPES),
    ciId: idOf('ci_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC', 'The CI it relates to (must exist and be active).'),
  })
  .strict()
  .openapi('CiRelation');
const Relations = z.array(Relation).max(MAX_CI_RELATIONS);

/** A new CI's attributes: like a planned update's, but may be empty and holds no null. */
const NewAttributes = z
  .custom<Record<string, unknown>>(() => true)
  .superRefine((value, ctx) => {
    const empty =
      typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
    if (empty) return;
    for (const fault of attributeMapFaults(value)) {
      ctx.addIssue({
        code: 'custom',
        path: fault.path === '(root)' ? [] : fault.path.split('.'),
        message: fault.message,
      });
    }
  })
  .openapi({
    type: 'object',
    additionalProperties: true,
    description: 'Attribute names to JSON values, under the same rules as `set` (not null).',
    example: { version: '4.1.0', owner: 'payroll-team' },
  });

export const CreateCiBody = z
  .object({
    type: CiType,
    name: CiName,
    attributes: NewAttributes.default({}),
    relations: Relations.default([]),
  })
  .strict()
  .openapi('CreateCi');

export const UpdateCiBody = z
  .object({
    set: AttributeValues.optional().openapi({
      description: 'Attributes to set, by name; `null` removes one. Others are kept.',
      example: { version: '4.2.0', legacyFlag: null },
    }),
    name: CiName.optional(),
    relations: Relations.optional().openapi({ description: 'The complete new list of relations.' }),
    status: z.enum(CI_STATUSES).optional().openapi({
      description: 'A retired CI keeps its history but takes no planned updates or new relations.',
    }),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(2_000)
      .optional()
      .openapi({ example: 'Upgraded by hand after incident' }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine((b) => [b.set, b.name, b.relations, b.status].some((v) => v !== undefined), {
    message: 'must change at least one of set, name, relations, status',
  })
  .openapi('UpdateCi');

const RelationView = z.object({ type: z.enum(CI_RELATION_TYPES), ciId: z.string() });

export const CiView = z
  .object({
    id: z.string().openapi({ example: 'ci_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }),
    type: z.string(),
    name: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    relations: z.array(RelationView),
    status: z.enum(CI_STATUSES),
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z
      .string()
      .openapi({ description: 'When its current version (or, with `at`, the version shown) was written.' }),
    updatedBy: z.string(),
  })
  .openapi('Ci');

const Change = (value: z.ZodType) => z.object({ from: value, to: value });
const CiChangesView = z
  .object({
    type: Change(z.string().nullable()).optional(),
    name: Change(z.string().nullable()).optional(),
    status: Change(z.enum(CI_STATUSES).nullable()).optional(),
    relations: Change(z.array(RelationView).nullable()).optional(),
    attributes: z.record(z.string(), Change(z.unknown())).optional(),
  })
  .openapi('CiChanges', {
    description: 'Each changed field with its value before and after (`null`: absent).',
  });

const versionFields = {
  ciId: z.string(),
  version: z.number().int(),
  at: z.string(),
  actor: z
    .string()
    .openapi({ description: 'Who made it: a user, or `system:apply-ci-updates` for a planned update.' }),
  reason: z.string().optional(),
  releaseId: z.string().optional().openapi({ description: 'The release whose deployment task made it.' }),
  taskId: z.string().optional().openapi({ description: 'That deployment task.' }),
  backoutOf: z.string().optional().openapi({
    description: 'The release whose back-out wrote this version, restoring what it had changed.',
  }),
  changes: CiChangesView,
};

export const CiHistoryEntry = z.object(versionFields).openapi('CiHistoryEntry');
export const CiVersionView = z
  .object({ ...versionFields, snapshot: CiView.openapi({ description: 'The CI after this version.' }) })
  .openapi('CiVersion');

export const CiPage = pageOf(CiView).openapi('CiPage');
export const CiHistoryPage = pageOf(CiHistoryEntry).openapi('CiHistoryPage');

export const ImpactView = z
  .object({
    ciId: z.string(),
    depth: z.number().int(),
    items: z.array(
      z.object({
        ci: CiView,
        depth: z
          .number()
          .int()
          .openapi({ description: 'How many relations away (1: relates to it directly).' }),
        path: z.array(z.object({ ciId: z.string(), relation: z.enum(CI_RELATION_TYPES) })).openapi({
          description:
            'From the CI asked about to this one: each step is a CI and its relation to the step before (the first step relates to the CI asked about).',
        }),
      }),
    ),
    truncated: z
      .boolean()
      .openapi({ description: `More CIs depend on it than the ${IMPACT_LIMITS.maxItems} listed.` }),
  })
  .openapi('CiImpact');

export const CiParams = z.object({ id: Id.openapi({ example: 'ci_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });
export const CiVersionParams = CiParams.extend({
  n: z
    .string()
    .regex(/^\d{1,10}$/)
    .openapi({ example: '3', description: 'The version number.' }),
});

export const CiListQuery = PageQuery.extend({
  type: CiType.optional(),
  name: CiName.optional().openapi({ description: 'Exactly this name.' }),
}).strict();

export const CiGetQuery = z
  .object({
    at: Timestamp.optional().openapi({
      description: 'The CI as it was at this instant (404 before it existed).',
    }),
  })
  .strict();

export const ImpactQuery = z
  .object({
    depth: z.coerce
      .number()
      .int()
      .min(1)
      .max(IMPACT_LIMITS.maxDepth)
      .optional()
      .openapi({
        description: `How many relations deep, 1-${IMPACT_LIMITS.maxDepth} (default ${IMPACT_LIMITS.defaultDepth}).`,
      }),
  })
  .strict();

const readers = 'Every holder of a process (change, release or deployment) reads the CMDB.';
const writers =
  'Release and change managers (the `release` or `change` process) and administrators write it; technicians (`deployment` only) get 403.';

/** The CMDB resource's routes. */
export const ciRoutes = resource(
  {
    name: 'cis',
    description: 'CMDB: configuration items, their versions and their dependents',
    table: 'write',
  },
  {
    createCi: route({
      method: 'POST',
      path: '/cis',
      summary: 'Record a configuration item',
      description: `${writers} Relations must point at existing, active CIs, never at the CI itself (422 \`invalid-ci-relations\` naming each). Writes version 1 and \`Configuration Item Created\`. Send \`Idempotency-Key\` to make retries safe.`,
      access: ciAccess.write,
      body: CreateCiBody,
      idempotent: true,
      problems: [422],
      responses: {
        201: { description: 'The CI (or replayed: `Idempotent-Replayed: true`)', schema: CiView },
      },
    }),
    listCis: route({
      method: 'GET',
      path: '/cis',
      summary: 'List configuration items by name',
      description: `${readers} Filters \`type\` and \`name\` (exact) are each read from an index (no Scan).`,
      access: ciAccess.read,
      query: CiListQuery,
      responses: { 200: { description: 'A page of CIs', schema: CiPage } },
    }),
    getCi: route({
      method: 'GET',
      path: '/cis/{id}',
      summary: 'Read a configuration item, now or at an instant (`at`)',
      description: `${readers} With \`at\`, the CI as its last version at or before that instant left it (one item read, however long its history); 404 before it existed.`,
      readAhead: 'ci',
      access: ciAccess.read,
      params: CiParams,
      query: CiGetQuery,
      responses: { 200: { description: 'The CI', schema: CiView } },
    }),
    editCi: route({
      method: 'PATCH',
      path: '/cis/{id}',
      summary: 'Change a configuration item: a new immutable version',
      description: `${writers} \`set\` merges attributes (\`null\` removes one); \`name\`, \`relations\` and \`status\` replace theirs; \`reason\` is kept in the version. Needs \`expectedVersion\` or \`If-Match\` (409 when stale). An edit that changes nothing writes nothing. Emits \`Configuration Item Updated\` with each change before and after.`,
      readAhead: 'ci',
      access: ciAccess.write,
      params: CiParams,
      body: UpdateCiBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The CI', schema: CiView } },
    }),
    ciHistory: route({
      method: 'GET',
      path: '/cis/{id}/history',
      summary: "A configuration item's versions, newest first",
      description: `${readers} Each version says who, when, why, which release and task made it, and each changed field before and after. A page reads \`limit\` + 1 items, however many versions there are.`,
      access: ciAccess.read,
      params: CiParams,
      query: PageQuery,
      responses: { 200: { description: 'A page of versions', schema: CiHistoryPage } },
    }),
    getCiVersion: route({
      method: 'GET',
      path: '/cis/{id}/versions/{n}',
      summary: 'One version of a configuration item, with the CI as it left it',
      access: ciAccess.read,
      params: CiVersionParams,
      examples: { n: '2' },
      responses: { 200: { description: 'The version', schema: CiVersionView } },
    }),
    ciImpact: route({
      method: 'GET',
      path: '/cis/{id}/impact',
      summary: 'What depends on a configuration item, transitively, with the path to each',
      description: `${readers} Every CI holding a relation (of any type) to it, then to those, up to \`depth\` relations away, breadth first: each once, with the shortest path (cycles are followed no further), at most ${IMPACT_LIMITS.maxItems} (\`truncated\` says when there are more).`,
      access: ciAccess.read,
      params: CiParams,
      query: ImpactQuery,
      responses: { 200: { description: 'Its dependents', schema: ImpactView } },
    }),
  },
);
