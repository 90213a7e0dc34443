/**
 * The event catalogue: what each detail type on the `release-desk` bus carries, as JSON Schema
 * (draft 2020-12). The `<kebab-case-type>.json` files beside this module are generated from it
 * (`npx node functions/events/schemas/write-schemas.ts`) and are what the project publishes; a test
 * keeps them equal to what this module renders.
 *
 * Schemas are open: they name every field emitted today but do not forbid others, because fields
 * may be added (DESIGN §5) and EventBridge itself adds `replay-name` to replayed events.
 */
import { PROCESSES } from '#domain/actor';
import { EVENT_SOURCE, EVENT_TYPES, type EventSubject, type EventType } from '#domain/events';
import { PACKAGE_TYPES, RELEASE_TYPES, type ReleaseStatus } from '#domain/release/release';
import { TEAM_KINDS } from '#domain/team/team';
import { WORKFLOW_ID_PATTERN } from '#domain/workflow/service';
import { WorkflowKind } from '#workflows/definition';

/** A JSON Schema document or subschema. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The `source` of every Release Desk event. */
export const SCHEMA_EVENT_SOURCE = EVENT_SOURCE;
export const JSON_SCHEMA_DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

// Records keyed by the union make the compiler reject a kind or status added without a schema.
const SUBJECT_KINDS = Object.keys({
  release: true,
  change: true,
  ci: true,
  task: true,
  user: true,
  team: true,
  workflow: true,
} satisfies Record<EventSubject['kind'], true>) as EventSubject['kind'][];
const RELEASE_STATUSES = Object.keys({
  active: true,
  closed: true,
  cancelled: true,
  'backed-out': true,
  failed: true,
} satisfies Record<ReleaseStatus, true>) as ReleaseStatus[];

/** What the catalogue says about one detail type. */
export interface EventSpec {
  /** When the event is emitted (or, not emitted yet, what it will announce). */
  readonly description: string;
  /** The domain function that builds it; `undefined` while the feature has not landed. */
  readonly emittedBy: string | undefined;
  /** The kinds of aggregate the event is about (its `detail.subject.kind`). */
  readonly subjectKinds: readonly EventSubject['kind'][];
  /** The schema of `detail.data`. */
  readonly data: JsonSchema;
}

const id = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });
const text = (description: string): JsonSchema => ({ type: 'string', description });
const nullable = (description: string): JsonSchema => ({ type: ['string', 'null'], description });
const timestamp = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });
const integer = (description: string, minimum = 1): JsonSchema => ({ type: 'integer', minimum, description });
const choice = (values: readonly string[], description: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  description,
});
const list = (items: JsonSchema, description: string): JsonSchema => ({ type: 'array', items, description });
/** An object whose listed properties are all required unless named in `optional`. */
function object(
  description: string,
  properties: Record<string, JsonSchema>,
  optional: readonly string[] = [],
): JsonSchema {
  return {
    type: 'object',
    description,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}
/** An entry of a `changed` map: the field's value before and after. */
const change = (value: JsonSchema, description: string): JsonSchema =>
  object(description, { from: value, to: value });

const STATE_MACHINE_ARN = '^arn:aws[a-z-]*:states:[^:]*:[0-9]*:stateMachine:[^:]+';
const stateMachineArn = (description: string, version: 'optional' | 'none' | 'required'): JsonSchema => ({
  type: 'string',
  pattern: `${STATE_MACHINE_ARN}${{ optional: '(:[0-9]+)?', none: '', required: ':[0-9]+' }[version]}$`,
  description,
});
const workflowId = (description: string): JsonSchema => ({
  type: 'string',
  pattern: WORKFLOW_ID_PATTERN.source,
  description,
});
const workGroup = object('A work group', { id: id('Work group id'), name: text('Its name') });
const processes = (description: string) => list(choice(PROCESSES, 'An ITIL process'), description);
const releaseStateMachine = stateMachineArn(
  "The state machine (version) ARN the release's workflow execution runs on",
  'optional',
);

const NOT_EMITTED: JsonSchema = {
  type: 'object',
  description: 'Defined when the feature lands.',
};
const notEmitted = (description: string, subjectKinds: EventSpec['subjectKinds'] = SUBJECT_KINDS) => ({
  description,
  emittedBy: undefined,
  subjectKinds,
  data: NOT_EMITTED,
});

/** Every detail type of the bus and what its `detail.data` carries. */
export const EVENT_CATALOGUE: Readonly<Record<EventType, EventSpec>> = {
  'Change Recorded': notEmitted('An RFC was recorded.'),
  'Change State Changed': notEmitted('An RFC moved to another state of its change workflow.'),
  'Change Execution Ended': notEmitted("An RFC's workflow execution ended outside the API."),
  'Release Created': {
    description:
      "A release was created in its workflow's initial stage (POST /releases). The start-execution consumer starts the release's workflow execution from it.",
    emittedBy: 'newRelease (functions/domain/release/release.ts)',
    subjectKinds: ['release'],
    data: object('The new release', {
      releaseId: id('The release id (also `detail.subject.id`)'),
      title: text('Its title'),
      releaseType: choice(RELEASE_TYPES, 'ITIL release type'),
      packageType: choice(PACKAGE_TYPES, 'ITIL release package type'),
      teamId: nullable('The release team it belongs to, or null'),
      stage: text("The workflow's initial stage, where the release starts"),
      plannedStart: timestamp('Start of the planned deployment window (UTC)'),
      plannedEnd: timestamp('End of the planned deployment window (UTC)'),
      workflow: object('The workflow version the release runs on', {
        id: workflowId('Workflow id'),
        version: integer('Published version of the workflow'),
      }),
      stateMachineArn: releaseStateMachine,
      executionInput: object('The input its workflow execution starts with (the execution contract)', {
        subject: object('The release', {
          kind: { type: 'string', const: 'release' },
          id: id('The release id'),
        }),
        signal: object('The first stage signal', {
          to: text('The initial stage'),
          entry: { type: 'integer', const: 0, description: 'Stage entry 0: the initial stage' },
        }),
      }),
    }),
  },
  'Release Updated': {
    description:
      "A release's title, description or planned window was edited (PATCH /releases/{id}). `changed` names only the fields whose value differs; it is empty when the edit changed nothing.",
    emittedBy: 'updateRelease (functions/domain/release/release.ts)',
    subjectKinds: ['release'],
    data: object('The edit', {
      releaseId: id('The release id (also `detail.subject.id`)'),
      version: integer('The release version after the edit', 2),
      changed: object(
        'The fields that changed, each with its value before and after',
        {
          title: change(text('Title'), 'New title'),
          description: change(nullable('Description, or null when none'), 'New description'),
          plannedStart: change(timestamp('Planned start (UTC)'), 'New planned start'),
          plannedEnd: change(timestamp('Planned end (UTC)'), 'New planned end'),
        },
        ['title', 'description', 'plannedStart', 'plannedEnd'],
      ),
    }),
  },
  'Release Stage Entered': {
    description:
      'A release moved to another stage of its workflow (POST /releases/{id}/transitions). The signal-execution consumer makes sure the waiting workflow execution receives `signal`.',
    emittedBy: 'transition (functions/domain/workflow-run/transition.ts)',
    subjectKinds: ['release'],
    data: object('The accepted transition', {
      releaseId: id('The release id (also `detail.subject.id`)'),
      from: text('The stage it left'),
      to: text('The stage it entered'),
      entry: integer('How many stages the release has entered since creation (this one included)'),
      version: integer('The release version after the move', 2),
      reason: nullable('Why, when the caller gave a reason; else null'),
      status: choice(RELEASE_STATUSES, 'The release status after the move (not active: a terminal stage)'),
      deployStage: { type: 'boolean', description: "Whether `to` is the workflow's deploy stage" },
      stateMachineArn: releaseStateMachine,
      signal: object(
        'What the waiting stage of the execution is answered with (the execution contract)',
        {
          to: text('The stage entered'),
          entry: integer('The stage entry (as `entry`)'),
          actor: id('Who moved it (as `detail.actor`)'),
          reason: text('Why; absent when no reason was given'),
        },
        ['reason'],
      ),
    }),
  },
  'Deployment Tasks Ready': notEmitted("A release's deployment tasks became ready for technicians."),
  'Deployment Task Completed': notEmitted('A technician completed a deployment task.'),
  'Deployment Task Failed': notEmitted('A technician reported a deployment task as failed.'),
  'Configuration Item Updated': notEmitted('A configuration item in the CMDB changed.'),
  'Release Backed Out': notEmitted('A release was backed out.'),
  'Release Closed': {
    description:
      'A release reached a terminal stage that closes it normally (not a cancelled, rejected or backed-out stage). Committed with the `Release Stage Entered` of the same move.',
    emittedBy: 'transition (functions/domain/workflow-run/transition.ts)',
    subjectKinds: ['release'],
    data: object('The closed release', {
      releaseId: id('The release id (also `detail.subject.id`)'),
      plannedStart: timestamp('Start of the planned deployment window (UTC)'),
      plannedEnd: timestamp('End of the planned deployment window (UTC)'),
      closedAt: timestamp('When it closed (equals `detail.occurredAt`)'),
      teamId: nullable('The release team it belongs to, or null'),
    }),
  },
  'Release Execution Ended': {
    description:
      "A release's workflow execution ended outside the API (an operator stopped it, a task failed for good, it timed out): the reconciler recorded it, and the release is `failed`.",
    emittedBy: 'recordExecutionEnd (functions/domain/workflow-run/reconcile.ts)',
    subjectKinds: ['release'],
    data: object('How the execution ended', {
      releaseId: id('The release id (also `detail.subject.id`)'),
      version: integer('The release version after recording it', 2),
      stage: text('The stage the release was in'),
      status: { type: 'string', const: 'failed', description: 'The release status now' },
      execution: object('The execution as Step Functions reports it', {
        status: choice(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'], 'Its status'),
        error: nullable('Its error, when it failed'),
        cause: nullable('Its cause, when it failed (at most 2,000 characters)'),
      }),
    }),
  },
  'Blackout Overridden': notEmitted('A transition went ahead despite a blackout period, with a reason.'),
  'Team Created': {
    description:
      'A release or deployment team was created (POST /teams, or by the bootstrap of a new installation).',
    emittedBy: 'newTeam (functions/domain/team/team.ts)',
    subjectKinds: ['team'],
    data: object('The new team', {
      teamId: id('The team id (also `detail.subject.id`)'),
      name: text('Its name'),
      kind: choice(TEAM_KINDS, 'Release or deployment team'),
      workGroups: list(workGroup, 'Its work groups'),
      members: list(id('User id'), 'Its members (user ids); each belongs to every work group'),
      defaultWorkflowId: nullable(
        'Release teams: the workflow new releases run on when none is named; else null',
      ),
    }),
  },
  'Team Updated': {
    description:
      'A team was edited (PATCH /teams/{id}) and something changed: its fields, members, work groups or their order. Members’ user records change in the same transaction; no `User Updated` is emitted for that.',
    emittedBy: 'updateTeam (functions/domain/team/team.ts)',
    subjectKinds: ['team'],
    data: object('The edit', {
      teamId: id('The team id (also `detail.subject.id`)'),
      version: integer('The team version after the edit', 2),
      changed: object(
        'The fields that changed, each with its value before and after',
        {
          name: change(text('Name'), 'New name'),
          description: change(nullable('Description, or null when none'), 'New description'),
          defaultWorkflowId: change(
            nullable('Default workflow id, or null when none'),
            'New default workflow',
          ),
        },
        ['name', 'description', 'defaultWorkflowId'],
      ),
      membersAdded: list(id('User id'), 'Users who joined the team'),
      membersRemoved: list(id('User id'), 'Users who left the team'),
      workGroupsAdded: list(workGroup, 'Work groups created'),
      workGroupsRemoved: list(workGroup, 'Work groups removed'),
      workGroupsRenamed: list(
        object('A renamed work group', {
          id: id('Work group id'),
          from: text('Old name'),
          to: text('New name'),
        }),
        'Work groups that kept their id under a new name',
      ),
    }),
  },
  'User Created': {
    description:
      'A user was created (POST /users, PUT /users/{id} of a new id, or the bootstrap `admin`). Team membership is not part of it: teams carry it.',
    emittedBy: 'newUser (functions/domain/user/user.ts)',
    subjectKinds: ['user'],
    data: object('The new user', {
      userId: id('The user id (also `detail.subject.id`)'),
      displayName: nullable('Display name, or null'),
      processes: processes('ITIL processes held (release implies deployment)'),
      admin: { type: 'boolean', description: 'Whether the user is an administrator' },
    }),
  },
  'User Updated': {
    description:
      "A user's profile (display name, processes, admin) was replaced with a different one (PUT /users/{id}). Team membership changes do not emit it.",
    emittedBy: 'replaceUserProfile (functions/domain/user/user.ts)',
    subjectKinds: ['user'],
    data: object('The change', {
      userId: id('The user id (also `detail.subject.id`)'),
      version: integer('The user version after the change', 2),
      changed: object(
        'The fields that changed (at least one), each with its value before and after',
        {
          displayName: change(nullable('Display name, or null'), 'New display name'),
          processes: change(processes('ITIL processes held'), 'New processes'),
          admin: change({ type: 'boolean' }, 'New administrator flag'),
        },
        ['displayName', 'processes', 'admin'],
      ),
    }),
  },
  'Workflow Published': {
    description:
      'A new version of a release or change workflow was published as a Step Functions state machine version (POST /workflows, or a default workflow adopted at start-up).',
    emittedBy: 'stagePublication (functions/domain/workflow/service.ts)',
    subjectKinds: ['workflow'],
    data: object('The published version', {
      workflowId: workflowId('The workflow id (also `detail.subject.id`)'),
      version: integer('The version published (1, 2, …)'),
      name: text('The workflow name in this version'),
      kind: choice(WorkflowKind.options, 'Whether it runs releases or changes'),
      stateMachineArn: stateMachineArn('The state machine every version of the workflow belongs to', 'none'),
      stateMachineVersionArn: stateMachineArn('The state machine version just published', 'required'),
    }),
  },
};

/** `Release Stage Entered` → `release-stage-entered`. */
export function schemaName(type: EventType): string {
  return type.toLowerCase().replaceAll(' ', '-');
}

/** The published schema file of a detail type, relative to this directory. */
export const schemaFileName = (type: EventType): string => `${schemaName(type)}.json`;

/** The full schema of a detail type: the EventBridge event as delivered, `detail.data` as emitted. */
export function eventSchema(type: EventType): JsonSchema {
  const spec = EVENT_CATALOGUE[type];
  const kinds = spec.subjectKinds;
  const kind: JsonSchema =
    kinds.length === 1 ? { type: 'string', const: kinds[0] } : { type: 'string', enum: [...kinds] };
  return {
    $schema: JSON_SCHEMA_DRAFT_2020_12,
    $id: `urn:release-desk:event:${schemaName(type)}`,
    title: type,
    description: spec.emittedBy ? spec.description : `${spec.description} Not emitted yet.`,
    type: 'object',
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    properties: {
      version: { type: 'string', const: '0', description: 'EventBridge envelope version' },
      id: id('EventBridge event id, new on every publication; deduplicate on `detail.id` instead'),
      'detail-type': { type: 'string', const: type },
      source: { type: 'string', const: SCHEMA_EVENT_SOURCE },
      account: { type: 'string', pattern: '^[0-9]{12}$', description: 'AWS account of the bus' },
      time: timestamp('`detail.occurredAt` to the second, as EventBridge formats it'),
      region: id('AWS region of the bus (`local` on the local cloud)'),
      resources: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: { type: 'string', pattern: `^(${kinds.join('|')})/.+$` },
        description: 'The subject as `<kind>/<id>`',
      },
      detail: object('The domain event', {
        id: id('Domain event id (a ULID), the same on every delivery: consumers deduplicate on it'),
        occurredAt: timestamp('When the change was committed (UTC, milliseconds)'),
        actor: id('Who caused it: a user id, or `system:<name>` for the system itself'),
        subject: object('The aggregate the event is about (`resources[0]` is `<kind>/<id>`)', {
          kind,
          id: id('Its id'),
        }),
        data: spec.data,
      }),
    },
  };
}

/** Every schema file this directory publishes, by file name. */
export function renderSchemaFiles(): Map<string, JsonSchema> {
  return new Map(EVENT_TYPES.map((type) => [schemaFileName(type), eventSchema(type)]));
}
