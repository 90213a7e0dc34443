/**
 * The workflow run: what releases and RFCs have in common as subjects of a workflow execution.
 * A subject of any kind has a stage, the number of stages it has entered (the entry its
 * execution's task token belongs to), a status and the workflow version it runs on. What differs
 * between kinds — event names, the id field, the events a closure adds — is data, in
 * {@link SUBJECT_KINDS}; the rules (transitions, timeouts, ends, reconciliation) are written once.
 */
import { TIMEOUT_ACTOR } from '#workflows/compile';
import { ChangeExecutionEnded, ChangeRecorded, ChangeStateChanged } from '../change/events.ts';
import type { DomainEvent, EventDefinition, EventMeta } from '../events.ts';
import {
  ReleaseClosed,
  ReleaseCreated,
  ReleaseExecutionEnded,
  ReleaseStageEntered,
} from '../release/events.ts';
import { type EXECUTION_END_STATUSES, RUN_STATUSES, type RunEventBodies } from './events.ts';

/** The kinds of subject a workflow runs. */
export const RUN_KINDS = ['release', 'change'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

// The values its events publish are declared with their schemas.
export { RUN_STATUSES };
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The workflow (and its published version) a subject runs on; kept for its lifetime. */
export interface WorkflowRef {
  readonly id: string;
  readonly version: number;
  readonly stateMachineArn: string;
  readonly initialStage: string;
}

/** An execution that ended without the API moving its subject there. */
export interface ExecutionEnd {
  /** The execution's status: FAILED, TIMED_OUT, ABORTED (or SUCCEEDED in an unrecorded exit). */
  readonly status: (typeof EXECUTION_END_STATUSES)[number];
  readonly error?: string;
  readonly cause?: string;
  readonly at?: string;
}

/** What a subject of a workflow run has, whatever its kind. */
export interface RunSubject {
  readonly id: string;
  readonly version: number;
  readonly teamId?: string;
  readonly workflow: WorkflowRef;
  readonly stage: string;
  /** How many stages it has entered since creation (0 = the initial stage). */
  readonly stageEntry: number;
  readonly status: RunStatus;
  /** How the execution ended when it ended outside the API (the subject is then `failed`). */
  readonly executionEnd?: ExecutionEnd;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** What the waiting stage's task token is answered with (the workflow execution contract). */
export interface StageSignal {
  readonly to: string;
  readonly entry: number;
  readonly actor: string;
  readonly reason?: string;
}

/** The data of one kind of subject. */
export interface SubjectKindSpec {
  readonly kind: RunKind;
  /** How people name it: "Release", "Change". */
  readonly noun: string;
  /** The field of its events' data that holds its id. */
  readonly idField: string;
  /** The prefix of its ids (`rel_…`), which are also its executions' names. */
  readonly idPrefix: string;
  /**
   * Who changes it: `team`, the members of its team (a release's release team) or administrators;
   * `process`, whoever holds the process its workflow's transitions name (an RFC: change managers).
   */
  readonly changedBy: 'team' | 'process';
  readonly events: {
    /** It was created (its execution is started on it). */
    readonly created: EventDefinition;
    /** A move to another stage (by a transition or by the execution itself). */
    readonly entered: EventDefinition;
    /** The execution ended outside the API. */
    readonly ended: EventDefinition;
  };
  /**
   * Events a move into a closing exit adds (e.g. `Release Closed`); none by default. `meta`
   * gives each one its id, time, actor and subject.
   */
  readonly closedEvents?: (subject: RunSubject, meta: () => EventMeta) => DomainEvent[];
}

export const SUBJECT_KINDS: Readonly<Record<RunKind, SubjectKindSpec>> = {
  release: {
    kind: 'release',
    noun: 'Release',
    idField: 'releaseId',
    idPrefix: 'rel',
    changedBy: 'team',
    events: { created: ReleaseCreated, entered: ReleaseStageEntered, ended: ReleaseExecutionEnded },
    closedEvents: (subject, meta) => {
      // A release subject has its planned window.
      const { plannedStart, plannedEnd } = subject as RunSubject & {
        plannedStart: string;
        plannedEnd: string;
      };
      const closing = meta();
      return [
        ReleaseClosed.event(
          {
            releaseId: subject.id,
            plannedStart,
            plannedEnd,
            closedAt: closing.at,
            teamId: subject.teamId ?? null,
          },
          closing,
        ),
      ];
    },
  },
  change: {
    kind: 'change',
    noun: 'Change',
    idField: 'changeId',
    idPrefix: 'chg',
    changedBy: 'process',
    events: { created: ChangeRecorded, entered: ChangeStateChanged, ended: ChangeExecutionEnded },
  },
};

/** Who moves a subject when its execution moved on its own (a stage timeout). */
export const EXECUTION_ACTOR = TIMEOUT_ACTOR;
/** Who records what the reconciler found (an execution that ended outside the API). */
export const RECONCILER_ACTOR = 'system:reconciler';

/** The status a terminal stage leaves a subject in; any other exit counts as a normal closure. */
export function statusOfTerminal(stage: string): RunStatus {
  const name = stage.toLowerCase();
  if (name === 'cancelled' || name === 'rejected') return 'cancelled';
  if (name === 'backed out') return 'backed-out';
  return 'closed';
}

/** The input a subject's execution starts with (the workflow execution contract). */
export function executionInput<K extends RunKind>(kind: K, subject: Pick<RunSubject, 'id' | 'workflow'>) {
  return {
    subject: { kind, id: subject.id },
    signal: { to: subject.workflow.initialStage, entry: 0 as const },
  };
}

/**
 * A run event of a subject (`entered`, `ended`) built the one way for every kind: the subject's id
 * under its kind's field name, then the body the generic code fills in.
 */
export function runEvent<R extends keyof RunEventBodies>(
  kind: RunKind,
  role: R,
  subjectId: string,
  body: RunEventBodies[R],
  meta: Omit<EventMeta, 'subject'>,
): DomainEvent {
  const spec = SUBJECT_KINDS[kind];
  return spec.events[role].event(
    { [spec.idField]: subjectId, ...body },
    { ...meta, subject: { kind, id: subjectId } },
  );
}

/** The kind of subject an execution (named after its subject's id) runs, if any. */
export function runKindOfExecution(name: string): RunKind | undefined {
  return RUN_KINDS.find((k) => name.startsWith(`${SUBJECT_KINDS[k].idPrefix}_`));
}

/** The kind an event's subject is, when it is a workflow-run subject. */
export function runKindOf(subject: { kind?: unknown } | undefined): RunKind | undefined {
  return RUN_KINDS.find((k) => k === subject?.kind);
}
