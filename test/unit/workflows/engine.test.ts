import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../../workflows/compile.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition, type WorkflowDefinition } from '../../../workflows/definition.ts';
import { RECORD_STAGE_ARN } from './fixtures.ts';

interface Recorded {
  readonly stage: string;
  readonly entry: number;
}

/**
 * Runs a compiled workflow on the local engine. Each human stage "records" itself and answers
 * with the next signal from `script` (or never answers when the script is exhausted).
 */
async function run(def: WorkflowDefinition, script: string[]) {
  const asl = compileWorkflow(def, { recordStageFunctionArn: RECORD_STAGE_ARN });
  const machine = new StateMachine(asl);
  const recorded: Recorded[] = [];
  const handler = (input: unknown): Promise<never> | Record<string, string | number> => {
    const { Payload } = input as {
      Payload: { subject: unknown; stage: string; entry: number; taskToken?: string; terminal?: boolean };
    };
    expect(Payload.subject).toStrictEqual({ kind: def.kind, id: 'r-1' });
    recorded.push({ stage: Payload.stage, entry: Payload.entry });
    // A timeout into an exit is recorded without a token, and nothing waits for an answer.
    if (Payload.terminal) return {};
    expect(Payload.taskToken).toBe('local-token');
    const to = script.shift();
    if (to === undefined) return new Promise<never>(() => {});
    return { to, entry: Payload.entry + 1, actor: 'alice' };
  };
  const handlers = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name]) => [name, handler]),
  );
  const execution = machine.run(
    { subject: { kind: def.kind, id: 'r-1' }, signal: { to: def.initialStage, entry: 0 } },
    { overrides: { taskResourceLocalHandlers: handlers }, context: { Task: { Token: 'local-token' } } },
  );
  const output = await execution.result;
  return { output, recorded };
}

describe('compiled workflows on the local engine', () => {
  it('walk the default release workflow stage by stage to Closure', async () => {
    const { output, recorded } = await run(defaultWorkflows['release-default'], [
      'Development',
      'Testing',
      'Development',
      'Testing',
      'Deployment',
      'Audit',
      'CMDB Update',
      'Closure',
    ]);
    expect(recorded).toStrictEqual(
      [
        'Assessment',
        'Development',
        'Testing',
        'Development',
        'Testing',
        'Deployment',
        'Audit',
        'CMDB Update',
      ].map((stage, entry) => ({ stage, entry })),
    );
    expect(output).toStrictEqual({
      subject: { kind: 'release', id: 'r-1' },
      signal: { to: 'Closure', entry: 8, actor: 'alice' },
    });
  });

  it('keep waiting in the same stage after a stray signal', async () => {
    const { recorded } = await run(defaultWorkflows['change-standard'], ['Closed', 'Approved', 'Cancelled']);
    expect(recorded).toStrictEqual([
      { stage: 'Recorded', entry: 0 },
      { stage: 'Recorded', entry: 1 },
      { stage: 'Approved', entry: 2 },
    ]);
  });

  it('move a timed-out stage to its onTimeout stage with the next entry', async () => {
    const def = parseWorkflowDefinition({
      name: 'Expiring',
      kind: 'change',
      initialStage: 'Waiting',
      stages: [
        { name: 'Waiting', timeoutSeconds: 1, onTimeout: 'Expired', transitions: [{ to: 'Expired' }] },
        { name: 'Expired', terminal: true },
      ],
    });
    const { output, recorded } = await run(def, []);
    expect(recorded).toStrictEqual([
      { stage: 'Waiting', entry: 0 },
      { stage: 'Expired', entry: 1 },
    ]);
    expect(output).toStrictEqual({
      subject: { kind: 'change', id: 'r-1' },
      signal: {
        to: 'Expired',
        entry: 1,
        actor: 'system:timeout',
        reason: 'Stage "Waiting" timed out after 1 second.',
      },
    });
  });
});
