/**
 * The events every kind of workflow-run subject emits, as schema factories: a kind names its id
 * field (`releaseId`, `changeId`) and how people call it, and gets the schemas of its events'
 * `data`. The release's definitions (`../release/events.ts`) are made with them; the generic
 * transition, timeout and reconciliation code builds the same shapes ({@link RunEventBodies}).
 */
import * as z from 'zod';
import { countField, type EventData, idField, nullableField, textField } from '../events.ts';

/** `failed`: the execution ended outside the API (recorded by the reconciler). */
export const RUN_STATUSES = ['active', 'closed', 'cancelled', 'backed-out', 'failed'] as const;

/** How an execution that ended outside the API ended, as Step Functions reports it. */
export const EXECUTION_END_STATUSES = [
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;

const STATE_MACHINE_ARN = '^arn:aws[a-z-]*:states:[^:]*:[0-9]*:stateMachine:[^:]+';
const VERSION_SUFFIX = { optional: '(:[0-9]+)?', none: '', required: ':[0-9]+' } as const;

/** A state machine ARN: without a version, with one, or either. */
export const stateMachineArnField = (description: string, version: keyof typeof VERSION_SUFFIX) =>
  z
    .string()
    .regex(new RegExp(`${STATE_MACHINE_ARN}${VERSION_SUFFIX[version]}$`))
    .describe(description);

/** The state machine (version) a subject's execution runs on. */
export const runStateMachineField = (noun: string) =>
  stateMachineArnField(
    `The state machine (version) ARN the ${noun}'s workflow execution runs on`,
    'optional',
  );

/** `{ [F]: z.ZodString }`; for a field name only known at run time, no field the compiler knows. */
type IdShape<F extends string> = string extends F ? Record<never, never> : { [K in F]: z.ZodString };

/** The subject's id under its kind's field name, first in every one of its events. */
export function subjectIdShape<const F extends string>(idKey: F, noun: string): IdShape<F> {
  return { [idKey]: idField(`The ${noun} id (also \`detail.subject.id\`)`) } as IdShape<F>;
}

/** The input a subject's execution starts with (the workflow execution contract). */
export const executionInputField = <const K extends string>(kind: K, noun: string) =>
  z
    .looseObject({
      subject: z
        .looseObject({ kind: z.literal(kind), id: idField(`The ${noun} id`) })
        .describe(`The ${noun}`),
      signal: z
        .looseObject({
          to: textField('The initial stage'),
          entry: z.literal(0).describe('Stage entry 0: the initial stage'),
        })
        .describe('The first stage signal'),
    })
    .describe('The input its workflow execution starts with (the execution contract)');

/** What the waiting stage of an execution is answered with (the execution contract). */
const STAGE_SIGNAL = z
  .looseObject({
    to: textField('The stage entered'),
    entry: countField('The stage entry (as `entry`)'),
    actor: idField('Who moved it (as `detail.actor`)'),
    reason: textField('Why; absent when no reason was given').optional(),
  })
  .describe('What the waiting stage of the execution is answered with (the execution contract)');

/**
 * The parts of a committed `entered` event the generic code reads back (pick what you read):
 * its entry, the status it left the subject in, and the signal it answered the execution with.
 */
export const COMMITTED_MOVE = z.looseObject({
  entry: z.int().min(1),
  status: z.enum(RUN_STATUSES),
  signal: STAGE_SIGNAL,
});

const stageEnteredFields = (noun: string) => ({
  from: textField('The stage it left'),
  to: textField('The stage it entered'),
  entry: countField(`How many stages the ${noun} has entered since creation (this one included)`),
  version: countField(`The ${noun} version after the move`, 2),
  reason: nullableField('Why, when the caller gave a reason; else null'),
  status: z.enum(RUN_STATUSES).describe(`The ${noun} status after the move (not active: a terminal stage)`),
  deployStage: z.boolean().describe("Whether `to` is the workflow's deploy stage"),
  stateMachineArn: runStateMachineField(noun),
  signal: STAGE_SIGNAL,
});

/** `<Noun> Stage Entered` (`Release Stage Entered`): a move to another stage. */
export const stageEnteredData = <const F extends string>(idKey: F, noun: string) =>
  z
    .looseObject({ ...subjectIdShape(idKey, noun), ...stageEnteredFields(noun) })
    .describe('The accepted transition');

const executionEndedFields = (noun: string) => ({
  version: countField(`The ${noun} version after recording it`, 2),
  stage: textField(`The stage the ${noun} was in`),
  status: z.literal('failed').describe(`The ${noun} status now`),
  execution: z
    .looseObject({
      status: z.enum(EXECUTION_END_STATUSES).describe('Its status'),
      error: nullableField('Its error, when it failed'),
      cause: nullableField('Its cause, when it failed (at most 2,000 characters)'),
    })
    .describe('The execution as Step Functions reports it'),
});

/** `<Noun> Execution Ended` (`Release Execution Ended`): its execution ended outside the API. */
export const executionEndedData = <const F extends string>(idKey: F, noun: string) =>
  z
    .looseObject({ ...subjectIdShape(idKey, noun), ...executionEndedFields(noun) })
    .describe('How the execution ended');

/** What the generic code builds for each of a kind's run events, beside the subject's id field. */
export interface RunEventBodies {
  readonly entered: EventData<z.ZodObject<ReturnType<typeof stageEnteredFields>>>;
  readonly ended: EventData<z.ZodObject<ReturnType<typeof executionEndedFields>>>;
}
