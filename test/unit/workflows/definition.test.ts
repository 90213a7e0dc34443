import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKFLOW_IDS, defaultWorkflows } from '../../../workflows/defaults/index.ts';
import {
  InvalidWorkflowError,
  parseWorkflowDefinition,
  type WorkflowDefinitionInput,
  type WorkflowIssue,
} from '../../../workflows/definition.ts';
import { workflowDefinitionArbitrary } from '../../support/workflow-arbitraries.ts';

/** A small valid release workflow: A → B → Done, A → Cancelled. */
function base(): WorkflowDefinitionInput & { stages: NonNullable<WorkflowDefinitionInput['stages']> } {
  return {
    name: 'Small release',
    kind: 'release',
    initialStage: 'A',
    deployStage: 'B',
    stages: [
      { name: 'A', transitions: [{ to: 'B' }, { to: 'Cancelled', requiresReason: true }] },
      { name: 'B', transitions: [{ to: 'Done', gates: ['allDeploymentTasksDone'] }] },
      { name: 'Done', terminal: true },
      { name: 'Cancelled', terminal: true },
    ],
  };
}

function issuesOf(input: unknown): WorkflowIssue[] {
  try {
    parseWorkflowDefinition(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidWorkflowError);
    expect((error as Error).name).toBe('InvalidWorkflowError');
    return [...(error as InvalidWorkflowError).issues];
  }
  throw new Error('expected the definition to be refused');
}

function expectIssue(input: unknown, path: (string | number)[], message: RegExp): void {
  const issues = issuesOf(input);
  expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
}

describe('parseWorkflowDefinition', () => {
  it('accepts a valid definition and fills the defaults', () => {
    const def = parseWorkflowDefinition(base());
    expect(def.stages.find((s) => s.name === 'Done')?.transitions).toStrictEqual([]);
  });

  it.each(DEFAULT_WORKFLOW_IDS)('accepts the default workflow %s', (id) => {
    expect(parseWorkflowDefinition(defaultWorkflows[id])).toStrictEqual(defaultWorkflows[id]);
  });

  it('accepts random valid definitions', () => {
    fc.assert(
      fc.property(workflowDefinitionArbitrary, (def) => {
        expect(parseWorkflowDefinition(def)).toStrictEqual(def);
      }),
      { numRuns: 100 },
    );
  });

  it('names the offending field of a shape error', () => {
    const input = base();
    input.stages[1] = { name: 'B', timeoutSeconds: 1.5, transitions: [{ to: 'Done' }] };
    expectIssue(input, ['stages', 1, 'timeoutSeconds'], /whole number of seconds/);
    expectIssue({ ...base(), kind: 'incident' }, ['kind'], /./);
    expectIssue({ ...base(), extra: true }, [], /extra/);
  });
});

describe('stage names', () => {
  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(81)],
    ['a colon', 'CMDB: update'],
    ['a double space', 'CMDB  Update'],
    ['a leading space', ' Audit'],
    ['an at sign', 'Audit @ night'],
    ['a dollar', '$.signal'],
    ['a control character', 'Audit\u0007'],
    ['the route prefix', 'Route from Audit'],
    ['the timeout prefix', 'timeout from Audit'],
    ['the fail state name', 'Workflow Failed'],
  ])('refuses a name with %s', (_why, name) => {
    const input = base();
    input.stages.push({ name, terminal: true });
    input.stages[0]?.transitions?.push({ to: name });
    expect(issuesOf(input).some((i) => i.path.join('.') === 'stages.4.name')).toBe(true);
  });

  it('accepts 80 characters, non-ASCII letters and the allowed punctuation', () => {
    for (const name of ['x'.repeat(80), 'Prüfung (QA) - Stufe 2', "Release manager's sign-off", 'Go+Live!']) {
      const input = base();
      input.stages.push({ name, terminal: true });
      input.stages[0]?.transitions?.push({ to: name });
      expect(() => parseWorkflowDefinition(input)).not.toThrow();
    }
  });
});

describe('semantic rules', () => {
  it('stage names are unique', () => {
    const input = base();
    input.stages.push({ name: 'Done', terminal: true });
    expectIssue(input, ['stages', 4, 'name'], /"Done" is already used by stages\[2\]/);
  });

  it('every transition target exists', () => {
    const input = base();
    input.stages[1] = { name: 'B', transitions: [{ to: 'Done' }, { to: 'Nowhere' }] };
    expectIssue(input, ['stages', 1, 'transitions', 1, 'to'], /"Nowhere" is not a stage/);
  });

  it('onTimeout exists', () => {
    const input = base();
    input.stages[1] = { name: 'B', timeoutSeconds: 60, onTimeout: 'Nowhere', transitions: [{ to: 'Done' }] };
    expectIssue(input, ['stages', 1, 'onTimeout'], /"Nowhere" is not a stage/);
  });

  it('onTimeout is one of the stage transitions and needs timeoutSeconds', () => {
    const input = base();
    input.stages[1] = {
      name: 'B',
      timeoutSeconds: 60,
      onTimeout: 'Cancelled',
      transitions: [{ to: 'Done' }],
    };
    expectIssue(input, ['stages', 1, 'onTimeout'], /must also be one of the transitions of "B"/);
    input.stages[1] = { name: 'B', onTimeout: 'Done', transitions: [{ to: 'Done' }] };
    expectIssue(input, ['stages', 1, 'onTimeout'], /needs `timeoutSeconds`/);
    // A timeout checks no gate: it may not take a move into a blackout or past the CAB.
    input.stages[1] = {
      name: 'B',
      timeoutSeconds: 60,
      onTimeout: 'Done',
      transitions: [{ to: 'Done', gates: ['noOpenBlackout'] }],
    };
    expectIssue(input, ['stages', 1, 'onTimeout'], /reached through a gated transition of "B"/);
  });

  it('the initial stage exists', () => {
    expectIssue({ ...base(), initialStage: 'Z' }, ['initialStage'], /"Z" is not a stage/);
  });

  it('the initial stage is human', () => {
    expectIssue({ ...base(), initialStage: 'Done' }, ['initialStage'], /terminal; it must be a human stage/);
  });

  it('every stage is reachable from the initial stage', () => {
    const input = base();
    input.stages.push({ name: 'Orphan', transitions: [{ to: 'Done' }] });
    expectIssue(input, ['stages', 4, 'name'], /"Orphan" cannot be reached from the initial stage "A"/);
  });

  it('terminal stages have no transitions and no timeout', () => {
    const input = base();
    input.stages[2] = { name: 'Done', terminal: true, timeoutSeconds: 5, transitions: [{ to: 'A' }] };
    expectIssue(input, ['stages', 2, 'transitions'], /Terminal stage "Done" must not have transitions/);
    expectIssue(input, ['stages', 2, 'timeoutSeconds'], /cannot time out/);
  });

  it('human stages have at least one transition', () => {
    const input = base();
    input.stages[1] = { name: 'B', transitions: [] };
    expectIssue(input, ['stages', 1, 'transitions'], /"B" needs at least one transition/);
  });

  it('no self-transitions and no duplicate transitions', () => {
    const input = base();
    input.stages[1] = { name: 'B', transitions: [{ to: 'Done' }, { to: 'B' }, { to: 'Done' }] };
    expectIssue(input, ['stages', 1, 'transitions', 1, 'to'], /cannot transition to itself/);
    expectIssue(input, ['stages', 1, 'transitions', 2, 'to'], /already has a transition to "Done"/);
  });

  it('at least one terminal stage is reachable', () => {
    const input: WorkflowDefinitionInput = {
      name: 'Loop',
      kind: 'change',
      initialStage: 'A',
      stages: [
        { name: 'A', transitions: [{ to: 'B' }] },
        { name: 'B', transitions: [{ to: 'A' }] },
      ],
    };
    expectIssue(input, ['stages'], /No terminal stage can be reached from the initial stage "A"/);
  });

  it('every stage can still reach a terminal stage', () => {
    const input = base();
    input.stages[0]?.transitions?.push({ to: 'Trap' });
    input.stages.push({ name: 'Trap', transitions: [{ to: 'Loop' }] });
    input.stages.push({ name: 'Loop', transitions: [{ to: 'Trap' }] });
    expectIssue(input, ['stages', 4, 'transitions'], /No terminal stage can be reached from stage "Trap"/);
    expectIssue(input, ['stages', 5, 'transitions'], /No terminal stage can be reached from stage "Loop"/);
  });

  it('the deploy stage exists and is human', () => {
    expectIssue({ ...base(), deployStage: 'Z' }, ['deployStage'], /"Z" is not a stage/);
    expectIssue({ ...base(), deployStage: 'Done' }, ['deployStage'], /terminal; it must be a human stage/);
  });

  it('only release workflows have a deploy stage', () => {
    expectIssue({ ...base(), kind: 'change' }, ['deployStage'], /Only release workflows/);
  });

  it('reports every issue, not only the first', () => {
    const input = base();
    input.stages.push({ name: 'Done', terminal: true });
    input.stages[1] = { name: 'B', transitions: [{ to: 'Nowhere' }] };
    const issues = issuesOf(input);
    expect(issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['stages.4.name', 'stages.1.transitions.0.to']),
    );
    expect(() => parseWorkflowDefinition(input)).toThrow(/Invalid workflow definition at stages\.4\.name/);
  });
});

describe('what an author reads', () => {
  const stageNamed = (name: string) => {
    const input = base();
    input.stages.push({ name, terminal: true });
    input.stages[0]?.transitions?.push({ to: name });
    return issuesOf(input).filter((i) => i.path.join('.') === 'stages.4.name');
  };

  it('says what is wrong with a stage name', () => {
    expect(stageNamed('')).toContainEqual({
      path: ['stages', 4, 'name'],
      message: 'A stage name must not be empty.',
    });
    expect(stageNamed('x'.repeat(81))).toEqual([
      { path: ['stages', 4, 'name'], message: 'A stage name must be at most 80 characters long.' },
    ]);
    expect(stageNamed('CMDB: update')).toEqual([
      {
        path: ['stages', 4, 'name'],
        message:
          "A stage name may contain only letters, digits, single spaces between words and the characters _ . ( ) ' + ! = -.",
      },
    ]);
    const reserved = {
      path: ['stages', 4, 'name'],
      message:
        'A stage name must not start with "Route from " or "Timeout from " or "Record exit from " nor be "Workflow Failed": those names are used by the compiler.',
    };
    expect(stageNamed('Record exit from Audit')).toEqual([reserved]);
    expect(stageNamed('workflow failed')).toEqual([reserved]);
    // Only the whole name is reserved, not a name that starts with it.
    const input = base();
    input.stages.push({ name: 'Workflow Failed twice', terminal: true });
    input.stages[0]?.transitions?.push({ to: 'Workflow Failed twice' });
    expect(() => parseWorkflowDefinition(input)).not.toThrow();
  });

  it('refuses onTimeout alone on a terminal stage: an exit does not wait', () => {
    const input = base();
    input.stages[2] = { name: 'Done', terminal: true, onTimeout: 'Cancelled' };
    expect(issuesOf(input)).toEqual([
      {
        path: ['stages', 2, 'onTimeout'],
        message: 'Terminal stage "Done" does not wait, so it cannot time out.',
      },
    ]);
  });

  it('says what is wrong with processes, timeouts, the name and the stage list', () => {
    const input = base();
    input.stages[0] = {
      name: 'A',
      timeoutSeconds: 0,
      transitions: [
        { to: 'B', processes: [] },
        { to: 'Cancelled', requiresReason: true },
      ],
    };
    expect(issuesOf(input)).toEqual([
      { path: ['stages', 0, 'timeoutSeconds'], message: 'A timeout is at least 1 second.' },
      {
        path: ['stages', 0, 'transitions', 0, 'processes'],
        message: 'List at least one process, or leave `processes` out.',
      },
    ]);
    input.stages[0] = {
      name: 'A',
      timeoutSeconds: 100_000_000,
      transitions: [{ to: 'B' }, { to: 'Cancelled', requiresReason: true }],
    };
    expect(issuesOf(input)).toEqual([
      { path: ['stages', 0, 'timeoutSeconds'], message: 'A timeout is at most 99999999 seconds.' },
    ]);
    expect(issuesOf({ ...base(), stages: [] })).toContainEqual({
      path: ['stages'],
      message: 'A workflow needs at least one stage.',
    });
    for (const name of ['   ', 'x'.repeat(81)]) {
      expect(issuesOf({ ...base(), name }).map((i) => i.path)).toEqual([['name']]);
    }
    expect(parseWorkflowDefinition({ ...base(), name: `  ${'x'.repeat(80)}  ` }).name).toBe('x'.repeat(80));
  });

  it('reports only the broken names while a name does not resolve, not what follows from them', () => {
    const input = base();
    input.stages[1] = { name: 'B', transitions: [{ to: 'Nowhere' }] };
    expect(issuesOf(input)).toEqual([
      { path: ['stages', 1, 'transitions', 0, 'to'], message: 'Transition target "Nowhere" is not a stage.' },
    ]);
  });

  it('sums up the first fault in its message, and how many follow', () => {
    const error = (input: unknown) => {
      try {
        parseWorkflowDefinition(input);
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    };
    expect(error({ ...base(), initialStage: 'Z' })).toBe(
      'Invalid workflow definition at initialStage: Initial stage "Z" is not a stage.',
    );
    expect(error({ ...base(), initialStage: 'Z', deployStage: 'Y' })).toBe(
      'Invalid workflow definition at initialStage: Initial stage "Z" is not a stage. (and 1 more)',
    );
    expect(error({ ...base(), extra: true })).toMatch(/^Invalid workflow definition: /);
    expect(new InvalidWorkflowError([]).message).toBe('Invalid workflow definition.');
  });
});
