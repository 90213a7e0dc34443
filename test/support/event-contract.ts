/**
 * Test helper for the event catalogue: builds every event the domain emits today through the real
 * domain functions, delivers them as the bus would, and validates them against the published schemas.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Actor } from '../../functions/domain/actor.ts';
import { type Change, newChange, recordVote, updateChange } from '../../functions/domain/change/change.ts';
import { newCi, updateCi } from '../../functions/domain/ci/ci.ts';
import type { DomainEvent, EventType } from '../../functions/domain/events.ts';
import { newArticle, reviseArticle } from '../../functions/domain/kb/article.ts';
import { newIncident } from '../../functions/domain/metrics/incident.ts';
import {
  BlackoutOverridden,
  ReleaseApprovalRecorded,
  ReleaseBackedOut,
} from '../../functions/domain/release/events.ts';
import {
  newRelease,
  type Release,
  updateRelease,
  type WorkflowRef,
} from '../../functions/domain/release/release.ts';
import { newSla, reviseSla } from '../../functions/domain/sla/sla.ts';
import {
  completeTask,
  failTask,
  readyTasks,
  retryTask,
  startTask,
} from '../../functions/domain/task/task.ts';
import { newTeam, planBootstrap, updateTeam } from '../../functions/domain/team/team.ts';
import { newUser, replaceUserProfile } from '../../functions/domain/user/user.ts';
import { stagePublication } from '../../functions/domain/workflow/service.ts';
import { recordExecutionEnd } from '../../functions/domain/workflow-run/reconcile.ts';
import { transition } from '../../functions/domain/workflow-run/service.ts';
import { toEntry } from '../../functions/events/outbox-relay.ts';
import type { JsonSchema } from '../../functions/events/schemas/index.ts';
import { type LocalEvent, LocalEventBus } from '../../infra/local/eventbridge/bus.ts';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { compileWorkflow } from '../../workflows/compile.ts';
import { defaultWorkflows, ReleaseStage } from '../../workflows/defaults/index.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:release-desk-release-default`;

/** A fake clock that moves on a minute per reading, and sequential ids. */
export function fakeDeps() {
  let n = 0;
  let t = Date.parse('2026-11-20T09:15:30.123Z');
  return {
    clock: {
      now: () => {
        t += 60_000;
        return new Date(t);
      },
    },
    ids: { next: (prefix: string) => `${prefix}_01JD${String(++n).padStart(22, '0')}` },
  };
}

function actor(id: string, teamIds: string[] = []): Actor {
  return { id, admin: false, processes: new Set(['release', 'deployment']), teamIds, workGroupIds: [] };
}

/** Every event the domain emits today, from realistic flows (several per type, optional fields both ways). */
export function sampleEvents(): DomainEvent[] {
  const deps = fakeDeps();
  const events: DomainEvent[] = [];
  const admin = { id: 'admin' };

  const boot = planBootstrap({}, deps);
  if (!boot) throw new Error('bootstrap planned nothing');
  events.push(...boot.events);
  const release = newTeam(
    {
      name: 'Payroll releases',
      kind: 'release',
      description: 'Owns payroll',
      workGroups: [{ name: 'Build' }, { name: 'Packaging' }],
      members: ['rita', 'sam'],
      defaultWorkflowId: 'release-default',
    },
    admin,
    deps,
  );
  events.push(release.event);
  const edited = updateTeam(
    release.team,
    {
      name: 'Payroll release team',
      description: 'Owns payroll and HR',
      workGroups: [{ name: 'Build engineering', id: release.team.workGroups[0]?.id }, { name: 'QA' }],
      members: ['rita', 'tom'],
      defaultWorkflowId: null,
    },
    admin,
    deps,
  );
  if (!edited) throw new Error('team edit changed nothing');
  events.push(edited.event);

  const rita = newUser('rita', { displayName: 'Rita', processes: ['release'] }, admin, deps);
  const tom = newUser('tom', { processes: ['change'] }, admin, deps);
  events.push(rita.event, tom.event);
  const promoted = replaceUserProfile(
    tom.user,
    { processes: ['change', 'release'], admin: true },
    admin,
    deps,
  );
  const renamed = replaceUserProfile(rita.user, { processes: ['release'] }, admin, deps);
  if (!promoted || !renamed) throw new Error('user edit changed nothing');
  events.push(promoted.event, renamed.event);

  const definition = defaultWorkflows['release-default'];
  const asl = compileWorkflow(definition, {
    recordStageFunctionArn: 'arn:aws:lambda:eu-central-1:1:function:x',
  });
  const first = stagePublication(
    'release-default',
    definition,
    { stateMachineArn: MACHINE, stateMachineVersionArn: `${MACHINE}:1`, asl },
    undefined,
    admin,
    deps,
  );
  const second = stagePublication(
    'release-default',
    definition,
    { stateMachineArn: MACHINE, stateMachineVersionArn: `${MACHINE}:2`, asl },
    first.workflow,
    admin,
    deps,
  );
  events.push(first.event, second.event);

  const workflow: WorkflowRef = {
    id: 'release-default',
    version: 2,
    stateMachineArn: `${MACHINE}:2`,
    initialStage: definition.initialStage,
  };
  const manager = actor('rita', [release.team.id]);
  const input = {
    title: 'Payroll 4.2',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    plannedStart: '2026-12-01T20:00:00Z',
    plannedEnd: '2026-12-01T23:00:00Z',
    changeIds: ['chg_1'],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [{ title: 'Upgrade app nodes', workGroupId: 'wg_deployment', ciIds: ['ci_1'], ciUpdates: [] }],
  } as const;
  const created = newRelease(
    { ...input, changeIds: [...input.changeIds], kbArticleIds: [], tasks: [], teamId: release.team.id },
    workflow,
    manager,
    deps,
  );
  const loose = newRelease(
    {
      ...input,
      changeIds: [],
      kbArticleIds: [],
      tasks: input.tasks.map((t) => ({ ...t, ciIds: [...t.ciIds], ciUpdates: [] })),
    },
    { ...workflow, stateMachineArn: MACHINE, version: 1 },
    manager,
    deps,
  );
  events.push(created.event, loose.event);
  const updated = updateRelease(
    created.release,
    { title: 'Payroll 4.2.1', description: 'Hotfix included', plannedEnd: '2026-12-02T00:00:00Z' },
    manager,
    deps,
  );
  if (!updated) throw new Error('the edit changes the release');
  // An edit that changes nothing emits nothing.
  if (updateRelease(updated.release, { title: 'Payroll 4.2.1' }, manager, deps))
    throw new Error('no-op edit emitted');
  events.push(updated.event);

  // Its plan edited, then made ready; technicians start, fail, retry and complete its tasks.
  const planned = updateRelease(
    updated.release,
    {
      tasks: [
        {
          title: 'Upgrade app nodes',
          description: 'Rolling, one node at a time',
          workGroupId: 'wg_deployment',
          technicianId: 'tess',
          ciIds: ['ci_1'],
          ciUpdates: [{ ciId: 'ci_1', set: { version: '4.2.1', flags: { canary: true } } }],
        },
        { title: 'Smoke test', workGroupId: 'wg_deployment', ciIds: [], ciUpdates: [] },
      ],
    },
    manager,
    deps,
  );
  if (!planned) throw new Error('the plan edit changes the release');
  events.push(planned.event);
  const ready = readyTasks(planned.release, { kind: 'stage', entry: 3 }, deps);
  const managedReady = readyTasks(
    loose.release,
    { kind: 'change', changeId: 'chg_1', state: 'Approved' },
    deps,
  );
  events.push(ready.event, managedReady.event);
  const tess = { ...actor('tess'), workGroupIds: ['wg_deployment'] };
  const [upgrade, smoke] = ready.tasks;
  if (!upgrade || !smoke) throw new Error('two tasks were made ready');
  const started = startTask(upgrade, tess, deps);
  const failed = failTask(started.task, 'Node 3 did not come back', tess, deps);
  const retried = retryTask(failed.task, tess, deps);
  const restarted = startTask(retried.task, tess, deps);
  const completed = completeTask(restarted.task, 'All nodes on 4.2.1', tess, deps);
  const smokeStarted = startTask(smoke, tess, deps);
  const smokeDone = completeTask(smokeStarted.task, undefined, tess, deps);
  // An administrator may put back a task someone else holds.
  const putBack = retryTask(failed.task, { ...actor('root'), admin: true }, deps);
  events.push(
    ...[started, failed, retried, restarted, completed, smokeStarted, smokeDone, putBack].map((m) => m.event),
  );

  let current: Release = updated.release;
  let mover: Actor = manager;
  const move = (to: string, reason?: string) => {
    const out = transition(
      'release',
      current,
      definition,
      { to, expectedVersion: current.version, reason },
      { allDeploymentTasksDone: true, allCiUpdatesApplied: true, cabApproval: true, noOpenBlackout: true },
      mover,
      deps,
    );
    current = out.subject;
    events.push(...out.events);
  };
  move(ReleaseStage.development);
  move(ReleaseStage.assessment, 'Scope changed');
  for (const stage of [
    ReleaseStage.development,
    ReleaseStage.testing,
    ReleaseStage.deployment,
    ReleaseStage.audit,
    ReleaseStage.cmdbUpdate,
    ReleaseStage.closure,
  ]) {
    move(stage);
  }
  // A release without a team is the administrators' to move.
  current = loose.release;
  mover = { ...actor('root'), admin: true };
  move(ReleaseStage.development);
  // An operator stops its execution: the reconciler records how it ended.
  events.push(...recordExecutionEnd('release', current, { status: 'ABORTED' }, deps).events);
  events.push(
    ...recordExecutionEnd(
      'release',
      current,
      { status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' },
      deps,
    ).events,
  );
  move(ReleaseStage.cancelled, 'Superseded by 4.3');

  // Last, so that the ids of the samples above stay as they were: a board's policy edited.
  const board = boot.teams.find((t) => t.team.kind === 'cab')?.team;
  const policy = board && updateTeam(board, { approvalsRequired: { high: 2 } }, admin, deps);
  if (!board || !policy) throw new Error('the policy edit changed nothing');
  events.push(policy.event);

  // An RFC: recorded, edited, voted on by its board, approved, then its execution stopped.
  const changeDefinition = defaultWorkflows['change-normal'];
  const changeWorkflow: WorkflowRef = {
    id: 'change-normal',
    version: 1,
    stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:release-desk-change-normal:1`,
    initialStage: changeDefinition.initialStage,
  };
  const requester: Actor = { ...actor('carol'), processes: new Set(['change']) };
  const rfc = newChange(
    {
      title: 'Upgrade payroll database',
      description: 'Minor version',
      type: 'normal',
      risk: 'medium',
      impact: 'high',
      urgency: 'medium',
      ciIds: ['ci_1'],
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      cabTeamId: board.id,
    },
    changeWorkflow,
    changeDefinition,
    requester,
    deps,
  );
  events.push(rfc.event);
  const rfcEdited = updateChange(
    rfc.change,
    { risk: 'low', ciIds: ['ci_1', 'ci_2'] },
    changeDefinition,
    requester,
    deps,
  );
  if (!rfcEdited) throw new Error('the RFC edit changed nothing');
  events.push(rfcEdited.event);
  let rfcNow: Change = rfcEdited.change;
  const moveRfc = (to: string, by: Actor) => {
    const out = transition(
      'change',
      rfcNow,
      changeDefinition,
      { to, expectedVersion: rfcNow.version },
      { cabApproval: true },
      by,
      deps,
    );
    rfcNow = out.subject;
    events.push(...out.events);
  };
  moveRfc('Assessed', requester);
  const cab = { ...board, members: ['admin', 'dana'] };
  for (const [member, decision] of [
    ['admin', 'approve'],
    ['dana', 'reject'],
  ] as const) {
    const vote = recordVote(rfcNow, { decision, comment: `${member} voted` }, cab, actor(member), deps);
    rfcNow = vote.change;
    events.push(vote.event);
  }
  moveRfc('Approved', requester);
  events.push(...recordExecutionEnd('change', rfcNow, { status: 'TIMED_OUT' }, deps).events);

  // The knowledge base: a back-out procedure and an install script, each published and edited.
  const procedure = newArticle(
    {
      kind: 'backout-procedure',
      title: 'Back out payroll 4.2',
      body: '1. Stop payroll-app. 2. Reinstall 4.1. 3. Start it.',
      ciIds: ['ci_1'],
      releaseIds: [created.release.id],
      script: undefined,
    },
    requester,
    deps,
  );
  const installer = newArticle(
    {
      kind: 'install-script',
      title: 'Install payroll 4.2',
      body: 'Run on each app node.',
      ciIds: ['ci_1', 'ci_2'],
      releaseIds: [],
      script: { language: 'bash', content: 'dnf install -y payroll-4.2.0' },
    },
    requester,
    deps,
  );
  const procedureEdited = reviseArticle(
    procedure.article,
    { title: 'Back out payroll 4.2 (tested)', ciIds: ['ci_1', 'ci_2'], body: 'Now with a database step.' },
    requester,
    deps,
  );
  const installerEdited = reviseArticle(
    installer.article,
    { script: { language: 'bash', content: 'dnf install -y payroll-4.2.1' } },
    requester,
    deps,
  );
  if (!procedureEdited || !installerEdited) throw new Error('an article edit changed nothing');
  events.push(procedure.event, installer.event, procedureEdited.event, installerEdited.event);
  // An SLA with a one-off and a recurring blackout, then rescheduled.
  const sla = newSla(
    {
      name: 'Payroll month-end',
      ciIds: ['ci_1'],
      blackouts: [
        {
          start: '2026-12-24T00:00:00+01:00',
          end: '2026-12-27T00:00:00+01:00',
          reason: 'Christmas',
          tz: 'Europe/Berlin',
        },
        {
          rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
          start: '2026-01-01T22:00',
          duration: 'PT6H',
          tz: 'Europe/Berlin',
          reason: 'Month-end payroll run',
        },
      ],
    },
    { ...actor('root'), admin: true },
    deps,
  );
  const slaEdited = reviseSla(
    sla.sla,
    {
      ciIds: ['ci_1', 'ci_2'],
      blackouts: [
        {
          rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=21',
          start: '2026-01-01T21:00',
          duration: 'PT8H',
          tz: 'Europe/Berlin',
          reason: 'Month-end payroll run',
        },
      ],
    },
    { ...actor('root'), admin: true },
    deps,
  );
  if (!slaEdited) throw new Error('an SLA edit changed nothing');
  events.push(sla.event, slaEdited.event);
  // CIs: a server, an application running on it, edited by hand, then by a release's task.
  const server = newCi(
    { type: 'server', name: 'pay-db-01', attributes: { os: 'linux' }, relations: [] },
    'rita',
    deps,
  );
  events.push(server.event);
  const app = newCi(
    {
      type: 'application',
      name: 'payroll-app',
      attributes: { version: '4.1.0', owner: 'payroll' },
      relations: [{ type: 'runs-on', ciId: server.ci.id }],
    },
    'rita',
    deps,
  );
  events.push(app.event);
  const ciEdited = updateCi(
    app.ci,
    { set: { owner: null, tier: 1 }, name: 'payroll', reason: 'Tidy up' },
    'rita',
    deps,
  );
  if (!ciEdited) throw new Error('the CI edit changed nothing');
  events.push(ciEdited.event);
  const applied = updateCi(
    ciEdited.ci,
    { set: { version: '4.2.0' }, reason: 'Planned update 1' },
    'system:apply-ci-updates',
    deps,
    {
      origin: { releaseId: 'rel_01JD0000000000000000000042', taskId: 'task_01JD0000000000000000000043' },
      always: true,
    },
  );
  if (!applied) throw new Error('the planned update wrote nothing');
  events.push(applied.event);
  // A release backed out: once running (its execution signalled), once after Closure.
  for (const [stageBefore, executionEnded, forced] of [
    ['Audit', false, null],
    ['Closure', true, 'Ops agreed to overwrite the hotfix'],
  ] as const) {
    events.push(
      ReleaseBackedOut.event(
        {
          releaseId: created.release.id,
          version: 12,
          reason: 'Payslips computed wrongly',
          stageBefore,
          versions: [{ ciId: app.ci.id, version: 4 }],
          acknowledgedArticles: [{ id: procedure.article.id, version: 2 }],
          forced,
          conflicts: forced ? [{ ciId: app.ci.id, attribute: 'version' }] : [],
          executionEnded,
        },
        {
          id: deps.ids.next('evt'),
          at: deps.clock.now().toISOString(),
          actor: 'rita',
          subject: created.release.id,
        },
      ),
    );
  }
  // An emergency release deployed during the month-end blackout by a member allowed to override.
  events.push(
    BlackoutOverridden.event(
      {
        releaseId: created.release.id,
        version: 4,
        from: 'Testing',
        to: 'Deployment',
        reason: 'Payroll cannot run without the hotfix',
        windows: [
          {
            slaId: sla.sla.id,
            slaName: sla.sla.name,
            blackoutIndex: 0,
            reason: 'Month-end payroll run',
            start: '2026-12-25T20:00:00.000Z',
            end: '2026-12-26T04:00:00.000Z',
            ciIds: [app.ci.id],
            ciCount: 1,
          },
        ],
        windowCount: 1,
      },
      {
        id: deps.ids.next('evt'),
        at: deps.clock.now().toISOString(),
        actor: 'rita',
        subject: created.release.id,
      },
    ),
  );
  // Incidents attributed to the release: a critical one (the documented rule's example) and a
  // minor one of a release of no team.
  for (const [reference, severity, teamId] of [
    ['INC0012345', 'critical', release.team.id],
    ['INC0012399', 'low', undefined],
  ] as const) {
    events.push(
      newIncident(
        { id: created.release.id, ...(teamId !== undefined ? { teamId } : {}) },
        {
          reference,
          severity,
          occurredAt: '2026-11-20T07:40:00+01:00',
          summary: 'Payslips show last month’s tax rate',
        },
        actor('rita', [release.team.id]),
        deps,
      ).event,
    );
  }
  // Access policies: a release team created with rules, another given them by an edit, and an
  // approval of a move that one of them asks approvals for.
  const rules = [
    {
      id: 'emergency-ops-only',
      description: 'Emergency releases only by work group Emergency ops',
      action: 'create' as const,
      match: { releaseType: ['emergency' as const] },
      allow: { workGroups: ['wg_emergency'] },
    },
    {
      id: 'p1-full-two-approvers',
      action: 'move' as const,
      match: { packageType: ['full' as const], businessPriority: [1] },
      to: 'Deployment',
      approvals: 2,
      approvers: { users: ['rita', 'sam'] },
    },
  ];
  const governed = newTeam(
    { name: 'HR releases', kind: 'release', workGroups: [], members: ['rita'], policies: rules },
    admin,
    deps,
  );
  const regoverned = updateTeam(governed.team, { policies: rules.slice(1) }, admin, deps);
  if (!regoverned) throw new Error('policy edit changed nothing');
  events.push(governed.event, regoverned.event);
  events.push(
    ReleaseApprovalRecorded.event(
      {
        releaseId: created.release.id,
        version: 5,
        from: 'Testing',
        to: 'Deployment',
        comment: 'Tested in staging',
        ruleIds: ['p1-full-two-approvers'],
        approvers: ['rita'],
      },
      {
        id: deps.ids.next('evt'),
        at: deps.clock.now().toISOString(),
        actor: 'rita',
        subject: created.release.id,
      },
    ),
  );
  return events;
}

/** The events as EventBridge delivers them to a target: through the local bus, from the relay's entries. */
export async function deliver(events: readonly DomainEvent[]): Promise<LocalEvent[]> {
  const bus = new LocalEventBus({ rules: [], resolveTarget: () => async () => {} });
  const delivered: LocalEvent[] = [];
  const stop = bus.subscribe((event) => delivered.push(event));
  for (let i = 0; i < events.length; i += 10) {
    const out = await bus.putEvents(events.slice(i, i + 10).map((e) => toEntry(e, EVENT_BUS_NAME)));
    if (out.FailedEntryCount > 0) throw new Error(`PutEvents refused: ${JSON.stringify(out.Entries)}`);
  }
  stop();
  await bus.close();
  return delivered;
}

/** The same event as AWS delivers it: a real account and region instead of the local ones. */
export const inAws = (event: LocalEvent): LocalEvent => ({ ...event, account: ACCOUNT, region: REGION });

/** RFC 3339 `date-time` (JSON Schema's `format`), checked without a formats package. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** An Ajv for draft 2020-12 that asserts `format: date-time`. */
export function schemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  return ajv;
}

/**
 * The schema with every object that names its properties closed to others: an event that carries
 * a field its schema does not declare then fails (the published schemas stay open).
 */
export function closed(schema: JsonSchema): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
    return out;
  };
  const { $id: _id, ...rest } = walk(schema) as Record<string, unknown>;
  return rest;
}

/** Validators by detail type, compiled once. */
export function validators(
  schemas: Readonly<Record<EventType, JsonSchema>>,
  variant: (schema: JsonSchema) => JsonSchema = (s) => s,
): (type: EventType) => ValidateFunction {
  const ajv = schemaAjv();
  const cache = new Map<EventType, ValidateFunction>();
  return (type) => {
    let validate = cache.get(type);
    if (!validate) {
      validate = ajv.compile(variant(schemas[type]) as object);
      cache.set(type, validate);
    }
    return validate;
  };
}
