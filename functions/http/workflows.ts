/**
 * Workflows resource: a thin edge over the workflow use cases.
 */

import { environmentPorts } from '#app/ports';
import {
  getWorkflow,
  listWorkflows,
  publishWorkflow,
  type WorkflowPorts,
  type WorkflowWithVersion,
} from '#domain/workflow/service';
import { type EdgePorts, httpHandler, written } from '#edge/handler';
import { workflowRoutes } from './contract/workflows.ts';

/** What the workflows handler needs from the composition root. */
export type WorkflowHandlerPorts = EdgePorts & WorkflowPorts;

/** The public shape of a workflow with one published version's definition and ASL. */
export function workflowView({ workflow, published }: WorkflowWithVersion) {
  return {
    ...workflow,
    definitionVersion: published.version,
    stateMachineVersionArn: published.stateMachineVersionArn,
    publishedAt: published.publishedAt,
    publishedBy: published.publishedBy,
    definition: published.definition,
    asl: published.asl,
  };
}

export const createHandler = (ports: () => WorkflowHandlerPorts) =>
  httpHandler(
    workflowRoutes,
    {
      publishWorkflow: async ({ body, actor, idempotency }, p: WorkflowHandlerPorts) => {
        const outcome = await publishWorkflow(body, actor, p, idempotency);
        return written(workflowView(outcome), {
          location: `/workflows/${outcome.workflow.id}`,
          created: outcome.created,
          replayed: outcome.replayed,
        });
      },
      listWorkflows: ({ query, actor }, p: WorkflowHandlerPorts) => listWorkflows(query, actor, p),
      getWorkflow: async ({ params, query, actor }, p: WorkflowHandlerPorts) =>
        workflowView(await getWorkflow(params.id as string, actor, p, query.version)),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
