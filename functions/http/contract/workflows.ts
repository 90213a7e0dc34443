/**
 * The workflows resource's request and response schemas, and its OpenAPI route configs. The
 * handler validates with them and the OpenAPI document is generated from them. The definition is
 * validated with the very schema the compiler uses (workflows/definition.ts), so every fault,
 * semantic ones included, comes back as 400 naming `definition.<path>`.
 */
import { WORKFLOW_ID_PATTERN, workflowAccess } from '#domain/workflow/service';
import { WorkflowDefinition, WorkflowKind } from '#workflows/definition';
import { ExpectedVersion, PageQuery, pageOf } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

export const WorkflowId = z
  .string()
  .regex(WORKFLOW_ID_PATTERN, 'must be 2-63 characters of a-z 0-9 -, starting with a letter or digit')
  .openapi({ example: 'payroll-fast-track' });

// The definition schema was built before common.ts extended zod, so it has no `.openapi()`; zod's
// own metadata (`id` → a named component) is what the generator reads instead.
export const WorkflowDefinitionBody = WorkflowDefinition.meta({
  id: 'WorkflowDefinition',
  description:
    'A release or change workflow: its stages (each a state of the compiled state machine) and the transitions between them. See workflows/README.md.',
});

export const PublishWorkflowBody = z
  .object({
    id: WorkflowId.optional().openapi({
      description:
        "The workflow to publish a version of. Left out: derived from the definition's name (lower case, words joined by -).",
    }),
    definition: WorkflowDefinitionBody,
    expectedVersion: ExpectedVersion.optional().openapi({
      description:
        "When given, the workflow's current `version`; a stale one gets 409. Left out, the version is published on top of whatever is current.",
    }),
  })
  .strict()
  .openapi('PublishWorkflow');

export const WorkflowListQuery = PageQuery.extend({
  kind: WorkflowKind.optional().openapi({ description: 'Only workflows of this kind.' }),
}).strict();

export const WorkflowQuery = z
  .object({
    version: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'A published version (default: the latest).' }),
  })
  .strict();

export const WorkflowParams = z.object({ id: WorkflowId });

const WorkflowFields = {
  id: z.string(),
  name: z.string().openapi({ description: "The latest version's name." }),
  kind: WorkflowKind,
  description: z.string().optional(),
  latestVersion: z.number().int().openapi({ description: 'The newest published version.' }),
  version: z.number().int().openapi({ description: 'Optimistic-lock version (the ETag).' }),
  stateMachineArn: z.string().openapi({ description: "The workflow's state machine." }),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
};

export const WorkflowSummary = z.object(WorkflowFields).openapi('WorkflowSummary');

export const WorkflowView = z
  .object({
    ...WorkflowFields,
    definitionVersion: z
      .number()
      .int()
      .openapi({ description: 'The published version the definition and ASL below are of.' }),
    stateMachineVersionArn: z
      .string()
      .openapi({ description: 'The state machine version releases on this workflow version run on.' }),
    publishedAt: z.string(),
    publishedBy: z.string(),
    definition: WorkflowDefinitionBody,
    asl: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'The Amazon States Language of that version.' }),
  })
  .openapi('Workflow');

export const WorkflowPage = pageOf(WorkflowSummary).openapi('WorkflowPage');

/** The workflows resource's routes. */
export const workflowRoutes = resource(
  { name: 'workflows', description: 'Workflows resource', table: 'write', workflowCatalog: 'publish' },
  {
    publishWorkflow: route({
      method: 'POST',
      path: '/workflows',
      summary: 'Validate, compile and publish a workflow version (administrators)',
      description:
        "Validates the definition, compiles it to Amazon States Language and publishes it as a new version of the workflow's state machine (`release-desk-<id>`, created with the first version; the default workflows keep the stack's machines). 201 when it created the workflow (version 1); 200 when it published the next version of an existing one, or when the definition equals the latest version's (nothing is published then). A workflow's kind cannot change (422 `workflow-kind-changed`). Releases keep the version they started on. Send `Idempotency-Key` to make retries safe.",
      access: workflowAccess.publish,
      body: PublishWorkflowBody,
      idempotent: true,
      problems: [409],
      responses: {
        200: {
          description: 'A new version of an existing workflow (or none: unchanged)',
          schema: WorkflowView,
        },
        201: { description: 'Created (version 1)', schema: WorkflowView },
      },
    }),
    listWorkflows: route({
      method: 'GET',
      path: '/workflows',
      summary: 'List workflows by kind, then id',
      description: 'Needs any process (change, release or deployment) or an administrator.',
      access: workflowAccess.read,
      query: WorkflowListQuery,
      responses: { 200: { description: 'A page of workflows', schema: WorkflowPage } },
    }),
    getWorkflow: route({
      method: 'GET',
      path: '/workflows/{id}',
      summary: 'Read a workflow with the definition and ASL of its latest (or a given) version',
      access: workflowAccess.read,
      params: WorkflowParams,
      query: WorkflowQuery,
      responses: { 200: { description: 'The workflow', schema: WorkflowView } },
    }),
  },
);
