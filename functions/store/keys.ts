/**
 * Key builders for the single table. Every item type's keys are made here and nowhere else.
 */
import type { EventSubject } from '#domain/events';
import type { Granularity } from '#domain/metrics/periods';
import type { RunKind } from '#domain/workflow-run/run';

const PREFIX: Record<EventSubject['kind'], string> = {
  release: 'REL',
  change: 'CHG',
  ci: 'CI',
  task: 'TASK',
  user: 'USER',
  team: 'TEAM',
  workflow: 'WF',
  article: 'KB',
  sla: 'SLA',
};

/** The partition of an aggregate: its state item and its events live together. */
export function aggregatePk(kind: EventSubject['kind'], id: string): string {
  return `${PREFIX[kind]}#${id}`;
}

/** Sort key of an aggregate's current-state item. */
export const STATE_SK = '#STATE';

export const keys = {
  release: (id: string) => ({ pk: aggregatePk('release', id), sk: STATE_SK }),
  user: (id: string) => ({ pk: aggregatePk('user', id), sk: STATE_SK }),
  team: (id: string) => ({ pk: aggregatePk('team', id), sk: STATE_SK }),
  /** Claim of a work group id by the team that holds it (work group ids are unique across teams). */
  workGroup: (id: string) => ({ pk: `WG#${id}`, sk: STATE_SK }),
  event: (subject: EventSubject, eventId: string) => ({
    pk: aggregatePk(subject.kind, subject.id),
    sk: `EVT#${eventId}`,
  }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: STATE_SK }),
  /** The secret page cursors are signed with (store/cursor-key.ts). */
  cursorKey: () => ({ pk: 'CONFIG#cursor-key', sk: STATE_SK }),
  workflow: (id: string) => ({ pk: aggregatePk('workflow', id), sk: STATE_SK }),
  /** One immutable published version of a workflow, beside it (sorts in version order). */
  workflowVersion: (id: string, version: number) => ({
    pk: aggregatePk('workflow', id),
    sk: `VER#${String(version).padStart(6, '0')}`,
  }),
  /** A knowledge-base article's current version; its versions and events beside it. */
  article: (id: string) => ({ pk: aggregatePk('article', id), sk: STATE_SK }),
  /** One immutable version of an article, beside it (sorts in version order). */
  articleVersion: (id: string, version: number) => ({
    pk: aggregatePk('article', id),
    sk: `${ARTICLE_VERSION_PREFIX}${String(version).padStart(6, '0')}`,
  }),
  /** An article's link to a CI or a release, in that CI's or release's own partition of links. */
  articleLink: (link: { ciId: string } | { releaseId: string }, articleId: string) => ({
    pk: kbLinks(link),
    sk: `${ARTICLE_LINK_PREFIX}${articleId}`,
  }),
  /** An SLA's current state; its events beside it. */
  sla: (id: string) => ({ pk: aggregatePk('sla', id), sk: STATE_SK }),
  /** An SLA's coverage of one CI, in that CI's partition of SLA links ("which SLAs cover CI X"). */
  slaLink: (ciId: string, slaId: string) => ({ pk: slaLinks(ciId), sk: `${SLA_LINK_PREFIX}${slaId}` }),
  /** A workflow-run subject (release, RFC) of any kind. */
  run: (kind: RunKind, id: string) => ({ pk: aggregatePk(kind, id), sk: STATE_SK }),
  /** A release's link to an RFC it names, in the RFC's partition (the RFC's `releaseIds`). */
  changeRelease: (changeId: string, releaseId: string) => ({
    pk: aggregatePk('change', changeId),
    sk: `${CHANGE_RELEASE_PREFIX}${releaseId}`,
  }),
  /** The stage task a subject's execution waits on (its token), beside the subject. */
  wait: (kind: RunKind, id: string) => ({ pk: aggregatePk(kind, id), sk: WAIT_SK }),
  /** A deployment task made ready (a technician's queue item); its events beside it. */
  task: (id: string) => ({ pk: aggregatePk('task', id), sk: STATE_SK }),
  /**
   * The mark that a release's tasks were made ready, beside the release: one per release, written
   * with the first tasks and their `Deployment Tasks Ready` (must not exist), so a second writer's
   * transaction fails and an edit of the plan checks it is absent.
   */
  tasksReady: (releaseId: string) => ({ pk: aggregatePk('release', releaseId), sk: TASKS_READY_SK }),
  /** A configuration item's current state; its versions, its instants and its inbound relations beside it. */
  ci: (id: string) => ({ pk: aggregatePk('ci', id), sk: STATE_SK }),
  /** One immutable version of a CI, with the CI after it (sorts in version order). */
  ciVersion: (id: string, version: number) => ({
    pk: aggregatePk('ci', id),
    sk: `${CI_VERSION_PREFIX}${versionNumber(version)}`,
  }),
  /**
   * The CI as a version left it, keyed by the version's instant (then number): the last one at or
   * before an instant is one Query, descending, Limit 1 (`ciAtRange`).
   */
  ciAt: (id: string, at: string, version: number) => ({
    pk: aggregatePk('ci', id),
    sk: `${CI_AT_PREFIX}${at}#${versionNumber(version)}`,
  }),
  /** A relation CI `sourceId` holds to CI `targetId`, in the target's partition (its dependents). */
  ciInbound: (targetId: string, sourceId: string, type: string) => ({
    pk: aggregatePk('ci', targetId),
    sk: `${CI_INBOUND_PREFIX}${sourceId}#${type}`,
  }),
  /**
   * The mark that planned CI update `index` of task `taskId` was applied, beside its release:
   * written with the CI version it made, only if absent (applied once).
   */
  ciUpdateApplied: (releaseId: string, taskId: string, index: number) => ({
    pk: aggregatePk('release', releaseId),
    sk: `${ciUpdateAppliedPrefix(taskId)}${String(index).padStart(4, '0')}`,
  }),
  /** An incident attributed to a release, beside it: one per service-desk reference (must not exist). */
  incident: (releaseId: string, reference: string) => ({
    pk: aggregatePk('release', releaseId),
    sk: `${INCIDENT_PREFIX}${reference}`,
  }),
  /** What a release adds to the metrics counters (its fact), beside it. */
  metricsFact: (releaseId: string) => ({ pk: aggregatePk('release', releaseId), sk: METRICS_FACT_SK }),
  /** The metrics counter of one period and release team (`null`: releases of no team). */
  metricsCounter: (granularity: Granularity, period: string, teamId: string | null) => ({
    pk: metricsCounters(granularity),
    sk: `${period}#${teamId === null ? NO_TEAM : `TEAM#${teamId}`}`,
  }),
};

/** Sort-key prefixes of a CI's partition: versions, versions by instant, relations pointing at it. */
export const CI_VERSION_PREFIX = 'V#';
export const CI_AT_PREFIX = 'AT#';
export const CI_INBOUND_PREFIX = 'IN#';
/** Sort-key prefix of the applied-update marks in a release's partition. */
export const CI_UPDATE_APPLIED_PREFIX = 'CIUPD#';
/** The prefix of one task's applied-update marks (the `#` after its id: no other task's id matches), or of all. */
export const ciUpdateAppliedPrefix = (taskId?: string) =>
  taskId === undefined ? CI_UPDATE_APPLIED_PREFIX : `${CI_UPDATE_APPLIED_PREFIX}${taskId}#`;

/** A version number as 10 digits, so that sort keys order as numbers. */
const versionNumber = (version: number) => String(version).padStart(10, '0');

/**
 * The sort-key range of a CI's instant items at or before `at` (UTC `toISOString()`, which sorts
 * as time for the years 0000-9999): every version written at `at` itself is inside.
 */
export const ciAtRange = (at: string) => ({ from: CI_AT_PREFIX, to: `${CI_AT_PREFIX}${at}#9999999999` });

/**
 * The index keys of a CI: gsi1 by type, gsi3 all — each by `<name>#<id>` — and gsi2 by exact name
 * (by `<type>#<id>`).
 */
export function ciIndexKeys(ci: { id: string; type: string; name: string }) {
  return {
    gsi1pk: ciLists.type(ci.type).partition,
    gsi1sk: `${ci.name}#${ci.id}`,
    gsi2pk: ciLists.name(ci.name).partition,
    gsi2sk: `${ci.type}#${ci.id}`,
    gsi3pk: ciLists.all.partition,
    gsi3sk: `${ci.name}#${ci.id}`,
  };
}

/** The partitions `ciIndexKeys` writes, and the one listing the versions a release wrote. */
export const ciLists = {
  type: (type: string) => ({ index: 'gsi1' as const, partition: `CIS#TYPE#${type}` }),
  name: (name: string) => ({ index: 'gsi2' as const, partition: `CIS#NAME#${name}` }),
  all: { index: 'gsi3', partition: 'CIS' },
  /** Version items a release's tasks wrote (`gsi1sk` = `<at>#<ciId>#<version>`). */
  releaseVersions: (releaseId: string) => ({ index: 'gsi1' as const, partition: `CIVERS#REL#${releaseId}` }),
  /** Sort key of a version in its release's list: when, which CI, which version. */
  releaseVersionKey: (at: string, ciId: string, version: number) =>
    `${at}#${ciId}#${String(version).padStart(10, '0')}`,
  /** Sort-key prefix of the CIs of one type within the list of a name (`gsi2sk` = `<type>#<id>`). */
  nameOfType: (type: string) => `${type}#`,
} as const;

/** Sort-key prefix of the release links in an RFC's partition. */
export const CHANGE_RELEASE_PREFIX = 'REL#';
/** Sort key of a release's "tasks are ready" mark. */
export const TASKS_READY_SK = '#TASKS';

/** Sort key of the item holding the token a subject's execution currently waits on. */
export const WAIT_SK = '#WAIT';

/** The GSI1 partition listing a run kind's subjects (`RELEASES`, `CHANGES`). */
export const runList = (kind: RunKind) => (kind === 'release' ? 'RELEASES' : 'CHANGES');

/** The GSI2 partition of a run kind's subjects in one status (the reconciler reads `…#active`). */
export const runStatusList = (kind: RunKind, status: string) => `${runList(kind)}#STATUS#${status}`;

/**
 * The index keys of a release: every list a release appears in. gsi1 all releases, gsi2 by
 * status, gsi3 by team (teamless releases are not in it), gsi4 by stage — each newest first by
 * `<createdAt>#<id>` — and gsi5 all releases by planned start.
 */
export function releaseIndexKeys(release: {
  id: string;
  createdAt: string;
  status: string;
  stage: string;
  teamId?: string | undefined;
  plannedStart: string;
}) {
  const created = `${release.createdAt}#${release.id}`;
  return {
    gsi1pk: LIST.releases,
    gsi1sk: created,
    gsi2pk: runStatusList('release', release.status),
    gsi2sk: created,
    ...(release.teamId !== undefined
      ? { gsi3pk: `${LIST.releases}#TEAM#${release.teamId}`, gsi3sk: created }
      : {}),
    gsi4pk: `${LIST.releases}#STAGE#${release.stage}`,
    gsi4sk: created,
    gsi5pk: `${LIST.releases}#PLANNED`,
    gsi5sk: `${release.plannedStart}#${release.id}`,
  };
}

/**
 * The index keys of an RFC: gsi1 all RFCs, gsi2 by status, gsi3 the approval queue (only while it
 * waits for votes), gsi4 by state, gsi5 by type — each newest first by `<createdAt>#<id>` — and
 * gsi6 by planned start (only with one: the change calendar), by `<plannedStart>#<id>`.
 */
export function changeIndexKeys(change: {
  id: string;
  createdAt: string;
  status: string;
  stage: string;
  type: string;
  votingStates: readonly string[];
  plannedStart?: string | undefined;
}) {
  const created = `${change.createdAt}#${change.id}`;
  const awaiting = change.status === 'active' && change.votingStates.includes(change.stage);
  return {
    gsi1pk: changeLists.all.partition,
    gsi1sk: created,
    gsi2pk: runStatusList('change', change.status),
    gsi2sk: created,
    ...(awaiting ? { gsi3pk: changeLists.awaitingVote.partition, gsi3sk: created } : {}),
    gsi4pk: changeLists.state(change.stage).partition,
    gsi4sk: created,
    gsi5pk: changeLists.type(change.type).partition,
    gsi5sk: created,
    ...(change.plannedStart !== undefined
      ? { gsi6pk: changeLists.planned.partition, gsi6sk: `${change.plannedStart}#${change.id}` }
      : {}),
  };
}

/** The partitions `changeIndexKeys` writes, for the queries that read them. */
export const changeLists = {
  all: { index: 'gsi1', partition: 'CHANGES' },
  awaitingVote: { index: 'gsi3', partition: 'CHANGES#AWAITING-VOTE' },
  state: (state: string) => ({ index: 'gsi4' as const, partition: `CHANGES#STATE#${state}` }),
  type: (type: string) => ({ index: 'gsi5' as const, partition: `CHANGES#TYPE#${type}` }),
  planned: { index: 'gsi6', partition: 'CHANGES#PLANNED' },
} as const;

/** Sort-key prefix of an article's versions in its partition. */
export const ARTICLE_VERSION_PREFIX = 'V#';
/** Sort-key prefix of the article links in a CI's or release's partition of links. */
export const ARTICLE_LINK_PREFIX = 'KB#';

/**
 * The partition of the articles linked to one CI or one release: apart from the CI's and the
 * release's own items, so listing them reads nothing else and their histories see no links.
 */
export function kbLinks(link: { ciId: string } | { releaseId: string }): string {
  return 'ciId' in link ? `KBLINKS#CI#${link.ciId}` : `KBLINKS#REL#${link.releaseId}`;
}

/** The index keys of an article: gsi1 all articles, gsi2 by kind — each newest first by `<createdAt>#<id>`. */
export function articleIndexKeys(article: { id: string; createdAt: string; kind: string }) {
  const created = `${article.createdAt}#${article.id}`;
  return {
    gsi1pk: kbLists.all.partition,
    gsi1sk: created,
    gsi2pk: kbLists.kind(article.kind).partition,
    gsi2sk: created,
  };
}

/** The partitions `articleIndexKeys` writes, for the queries that read them. */
export const kbLists = {
  all: { index: 'gsi1', partition: 'KB' },
  kind: (kind: string) => ({ index: 'gsi2' as const, partition: `KB#KIND#${kind}` }),
} as const;

/** The partitions `releaseIndexKeys` writes, for the queries that read them. */
export const releaseLists = {
  all: { index: 'gsi1', partition: 'RELEASES' },
  status: (status: string) => ({ index: 'gsi2' as const, partition: runStatusList('release', status) }),
  team: (teamId: string) => ({ index: 'gsi3' as const, partition: `RELEASES#TEAM#${teamId}` }),
  stage: (stage: string) => ({ index: 'gsi4' as const, partition: `RELEASES#STAGE#${stage}` }),
  planned: { index: 'gsi5', partition: 'RELEASES#PLANNED' },
} as const;

/**
 * GSI1 partitions of the list views: releases newest first by `gsi1sk` = `<createdAt>#<id>`,
 * users by `gsi1sk` = `<id>`, teams by `gsi1sk` = `<lower-case name>#<id>`, workflows by
 * `gsi1sk` = `<kind>#<id>`.
 */
export const LIST = {
  releases: 'RELEASES',
  users: 'USERS',
  teams: 'TEAMS',
  workflows: 'WORKFLOWS',
} as const;

/** GSI2 partition of the teams of one kind (`gsi2sk` as the teams' `gsi1sk`). */
export const teamsOfKind = (kind: string) => `TEAMS#${kind}`;

/**
 * The index keys of a deployment task: gsi1 the tasks of a release in plan order, gsi2 a work
 * group's queue in one status, gsi3 an assignee's tasks (unassigned tasks are not in it), gsi4 a
 * work group's tasks in any status — each by `<readyAt>#<id>` (oldest first: a queue) except gsi1.
 */
export function taskIndexKeys(task: {
  id: string;
  releaseId: string;
  position: number;
  workGroupId: string;
  status: string;
  assignee?: string | undefined;
  createdAt: string;
}) {
  const queued = `${task.createdAt}#${task.id}`;
  return {
    gsi1pk: taskLists.release(task.releaseId).partition,
    gsi1sk: `${String(task.position).padStart(4, '0')}#${task.id}`,
    gsi2pk: taskLists.groupStatus(task.workGroupId, task.status).partition,
    gsi2sk: queued,
    ...(task.assignee !== undefined
      ? { gsi3pk: taskLists.assignee(task.assignee).partition, gsi3sk: queued }
      : {}),
    gsi4pk: taskLists.group(task.workGroupId).partition,
    gsi4sk: queued,
  };
}

/** The partitions `taskIndexKeys` writes, for the queries that read them. */
export const taskLists = {
  release: (releaseId: string) => ({ index: 'gsi1' as const, partition: `TASKS#REL#${releaseId}` }),
  groupStatus: (workGroupId: string, status: string) => ({
    index: 'gsi2' as const,
    partition: `TASKS#WG#${workGroupId}#STATUS#${status}`,
  }),
  assignee: (userId: string) => ({ index: 'gsi3' as const, partition: `TASKS#ASSIGNEE#${userId}` }),
  group: (workGroupId: string) => ({ index: 'gsi4' as const, partition: `TASKS#WG#${workGroupId}` }),
};

/** Sort-key prefix of the SLA links in a CI's partition of SLA links. */
export const SLA_LINK_PREFIX = 'SLA#';

/** The partition of the SLAs covering one CI: apart from the CI's own items and history. */
export const slaLinks = (ciId: string) => `SLALINKS#CI#${ciId}`;

/** The index keys of an SLA: gsi1 all SLAs, by `<lower-case name>#<id>`. */
export function slaIndexKeys(sla: { id: string; name: string }) {
  return { gsi1pk: slaLists.all.partition, gsi1sk: `${sla.name.toLowerCase()}#${sla.id}` };
}

/** The partitions `slaIndexKeys` writes, for the queries that read them. */
export const slaLists = {
  all: { index: 'gsi1', partition: 'SLAS' },
} as const;

/** Sort-key prefix of the incidents in a release's partition. */
export const INCIDENT_PREFIX = 'INC#';
/** Sort key of a release's metrics fact. */
export const METRICS_FACT_SK = '#METRICS';
/** The team part of the sort key of a counter of releases of no team (sorts before `TEAM#`). */
const NO_TEAM = '-';

/**
 * The partition of one granularity's metrics counters (`METRICS#month`, `METRICS#week`), sorted by
 * `<period>#<team>`: period keys sort in time order, so a range of periods is one Query.
 */
export const metricsCounters = (granularity: Granularity) => `METRICS#${granularity}`;

/** The sort-key range of every team's counters from period `from` to period `to`, both included. */
export const metricsCounterRange = (granularity: Granularity, from: string, to: string) => ({
  partition: metricsCounters(granularity),
  // `~` sorts after every character of a team id (ID_PATTERN) and after NO_TEAM.
  sortRange: { from: `${from}#`, to: `${to}#~` },
});
