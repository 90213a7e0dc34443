/**
 * Reads a release's (or RFC's) Step Functions execution as operators see it: status, the state
 * it is in now, and its event history.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  type SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { ExecutionView, ExecutionViewer } from '#domain/workflow-run/ports';

const MAX_EVENTS = 2_000;

/** `arn:…:stateMachine:<name>[:<version>]` + execution name → `arn:…:execution:<name>:<execution>`. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const [prefix, rest = ''] = stateMachineArn.split(':stateMachine:');
  const machineName = rest.split(':')[0];
  return `${prefix}:execution:${machineName}:${executionName}`;
}

function stateEntered(e: HistoryEvent) {
  return e.stateEnteredEventDetails?.name;
}

/**
 * The state an execution is in: the last state entered and not exited; once it has ended, the
 * last state it entered.
 */
export function currentStateOf(events: readonly HistoryEvent[]): string | undefined {
  const open: string[] = [];
  let last: string | undefined;
  for (const e of events) {
    const entered = stateEntered(e);
    if (entered) {
      open.push(entered);
      last = entered;
    }
    const exited = e.stateExitedEventDetails?.name;
    if (exited) {
      const i = open.lastIndexOf(exited);
      if (i >= 0) open.splice(i, 1);
    }
  }
  return open.at(-1) ?? last;
}

/**
 * The latest `maxEvents` events of an execution's history, oldest first (with execution data
 * unless told otherwise). Read from the newest end, so that a long execution's current state and
 * waiting task are always among them.
 */
export async function executionHistory(
  sfn: SFNClient,
  executionArn: string,
  options: { includeExecutionData?: boolean; maxEvents?: number } = {},
): Promise<HistoryEvent[]> {
  const newestFirst: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        reverseOrder: true,
        includeExecutionData: options.includeExecutionData ?? true,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    newestFirst.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken && newestFirst.length < (options.maxEvents ?? MAX_EVENTS));
  return newestFirst.slice(0, options.maxEvents ?? MAX_EVENTS).reverse();
}

/** Whether Step Functions refused a task token because it was answered (or timed out) before. */
export function isSpentToken(error: unknown): boolean {
  return error instanceof TaskTimedOut || error instanceof InvalidToken || error instanceof TaskDoesNotExist;
}

/**
 * An execution as DescribeExecution reports it, with the latest events of its history; undefined
 * when the state machine has no execution of that name (yet).
 */
export async function readExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  history: { includeExecutionData?: boolean; maxEvents?: number },
): Promise<
  { executionArn: string; described: DescribeExecutionCommandOutput; events: HistoryEvent[] } | undefined
> {
  const executionArn = executionArnOf(stateMachineArn, name);
  let described: DescribeExecutionCommandOutput;
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw error;
  }
  return { executionArn, described, events: await executionHistory(sfn, executionArn, history) };
}

export function sfnExecutionViewer(sfn: SFNClient): ExecutionViewer {
  return {
    async describe(stateMachineArn, executionName) {
      const read = await readExecution(sfn, stateMachineArn, executionName, { includeExecutionData: false });
      if (!read) return undefined;
      const { executionArn, described, events } = read;
      const view: ExecutionView = {
        executionArn,
        status: String(described.status),
        startDate: described.startDate?.toISOString() ?? null,
        stopDate: described.stopDate?.toISOString() ?? null,
        currentState: currentStateOf(events) ?? null,
        events: events.map((e) => ({
          id: e.id ?? 0,
          type: String(e.type),
          timestamp: e.timestamp?.toISOString() ?? null,
          ...(stateEntered(e) ? { state: stateEntered(e) } : {}),
          ...(e.stateExitedEventDetails?.name ? { state: e.stateExitedEventDetails.name } : {}),
        })),
      };
      return view;
    },
  };
}
