/**
 * Property: for random valid release workflows published through the API and random sequences of
 * requested transitions (legal and not), the release's recorded stage always equals the state its
 * execution waits in, and a refused transition is a 409/422 problem that changes nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../workflows/definition.ts';
import { eventually, ok, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';
import { transitionSequenceArbitrary, workflowDefinitionArbitrary } from '../support/workflow-arbitraries.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['change', 'release', 'deployment'] });
});
afterAll(async () => t?.stop());

/** Stage timeouts would move executions on their own clock; this property is about requested moves. */
function withoutTimeouts(def: WorkflowDefinition): WorkflowDefinition {
  return {
    ...def,
    stages: def.stages.map(({ timeoutSeconds: _t, onTimeout: _o, ...stage }) => stage),
  } as WorkflowDefinition;
}

/** An oracle written apart from the implementation: may `from → to` happen for a release manager? */
function expectAccepted(def: WorkflowDefinition, from: string, to: string): boolean {
  const stage = def.stages.find((s) => s.name === from);
  if (!stage || stage.terminal) return false;
  const transition = stage.transitions.find((tr) => tr.to === to);
  // Releases have no CAB approval; every other gate holds for a release without tasks or blackouts.
  return transition !== undefined && !(transition.gates ?? []).includes('cabApproval');
}

const releaseWorkflowWithWalk = workflowDefinitionArbitrary
  .filter((def) => def.kind === 'release')
  .map(withoutTimeouts)
  .chain((def) =>
    transitionSequenceArbitrary(def, { includeDisallowed: true, maxLength: 8 }).map((steps) => ({
      def,
      steps,
    })),
  );

let run = 0;

describe('random workflows, random transitions', () => {
  it('keep the recorded stage and the execution state equal; refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(releaseWorkflowWithWalk, async ({ def, steps }) => {
        run++;
        const published = await ok(
          t.api('admin').POST('/workflows', { body: { id: `prop-${run}`, definition: def } }),
          201,
        );
        const created = await ok(
          t.api().POST('/releases', {
            body: {
              title: `Property ${run}`,
              releaseType: 'minor',
              packageType: 'delta',
              urgency: 'low',
              businessPriority: 3,
              plannedStart: '2026-12-01T20:00:00Z',
              plannedEnd: '2026-12-01T23:00:00Z',
              workflowId: `prop-${run}`,
            },
          }),
          201,
        );
        const id = created.id;
        const arn = published.stateMachineVersionArn as string;
        let stage = created.stage;
        let version = created.version;
        expect(stage).toBe(def.initialStage);

        for (const step of steps) {
          const accepted = expectAccepted(def, stage, step.to);
          const res = await t.api().POST('/releases/{id}/transitions', {
            params: { path: { id } },
            body: { to: step.to, expectedVersion: version, reason: 'property test' },
            headers: WAIT,
          });
          const status = res.response.status;
          const answer = res.data ?? res.error;
          if (accepted) {
            expect(status, `${stage} → ${step.to}: ${JSON.stringify(answer)}`).toBe(200);
            expect(answer).toMatchObject({
              stage: step.to,
              version: version + 1,
              execution: { inStep: true },
            });
            stage = step.to;
            version++;
          } else {
            expect([409, 422], `${stage} → ${step.to}: ${JSON.stringify(answer)}`).toContain(status);
            expect(answer).toMatchObject({
              status,
              type: expect.stringMatching(/^urn:release-desk:problem:/),
            });
          }
          const recorded = await ok(t.api().GET('/releases/{id}', { params: { path: { id } } }));
          expect(recorded).toMatchObject({ stage, version });
          // Accepted moves waited for the execution; a refusal may come before it even started.
          await eventually(async () => expect((await t.execution(id, arn)).state).toBe(stage));
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  }, 240_000);
});
