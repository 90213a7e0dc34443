import { IdempotencyKeyReusedError } from '#domain/errors';
import type { IdempotencyRequest, Page } from '#domain/ports';
import type { Workflow, WorkflowPublication, WorkflowStore, WorkflowVersion } from '#domain/workflow/service';
import type { AslStateMachine } from '#workflows/compile';
import type { WorkflowDefinition, WorkflowKind } from '#workflows/definition';
import { commitOnce, replayedResource } from './commit.ts';
import { keys, LIST } from './keys.ts';
import { queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const STATE_ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'] as const;

function stateItem(workflow: Workflow) {
  return {
    ...keys.workflow(workflow.id),
    entity: 'workflow',
    gsi1pk: LIST.workflows,
    gsi1sk: `${workflow.kind}#${workflow.id}`,
    ...workflow,
  };
}

function fromStateItem(item: Record<string, unknown>): Workflow {
  const copy: Record<string, unknown> = { ...item };
  for (const k of STATE_ITEM_ONLY) delete copy[k];
  return copy as unknown as Workflow;
}

// The ASL is kept as compact JSON text: far smaller than a DynamoDB map of the same document.
function versionItem(published: WorkflowVersion) {
  return {
    ...keys.workflowVersion(published.workflowId, published.version),
    entity: 'workflowVersion',
    workflowId: published.workflowId,
    version: published.version,
    definition: published.definition,
    asl: JSON.stringify(published.asl),
    stateMachineVersionArn: published.stateMachineVersionArn,
    publishedAt: published.publishedAt,
    publishedBy: published.publishedBy,
  };
}

function fromVersionItem(item: Record<string, unknown>): WorkflowVersion {
  return {
    workflowId: String(item.workflowId),
    version: Number(item.version),
    definition: item.definition as WorkflowDefinition,
    asl: JSON.parse(String(item.asl)) as AslStateMachine,
    stateMachineVersionArn: String(item.stateMachineVersionArn),
    publishedAt: String(item.publishedAt),
    publishedBy: String(item.publishedBy),
  };
}

/** The idempotency record's resource: `<workflow id>@<version>`. */
const resourceOf = (id: string, version: number) => `${id}@${version}`;

/** The workflow version an idempotency record names; a record of another resource's key is a reuse. */
function fromResource(resourceId: string): { id: string; version: number } {
  const match = /^(.+)@(\d+)$/.exec(resourceId);
  if (!match) throw new IdempotencyKeyReusedError();
  return { id: match[1] as string, version: Number(match[2]) };
}

export class DynamoWorkflowStore extends TableStore implements WorkflowStore {
  async get(id: string): Promise<Workflow | undefined> {
    return this.read(keys.workflow(id), fromStateItem);
  }

  async getVersion(id: string, version: number): Promise<WorkflowVersion | undefined> {
    return this.read(keys.workflowVersion(id, version), fromVersionItem);
  }

  async list(page: {
    limit: number;
    cursor?: string | undefined;
    kind?: WorkflowKind | undefined;
  }): Promise<Page<Workflow>> {
    const query = {
      index: 'gsi1',
      partition: LIST.workflows,
      ...(page.kind ? { sortPrefix: `${page.kind}#` } : {}),
    } as const;
    return queryPage(this.db, this.table, query, page, fromStateItem);
  }

  async publish(
    publication: WorkflowPublication,
    idempotency?: IdempotencyRequest,
  ): Promise<{ replayed?: { id: string; version: number } }> {
    const { workflow, published } = publication;
    // Two requests with one key that raced past the replay check: the loser answers with the winner's.
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: [
          { item: versionItem(published), expectedVersion: undefined },
          { item: stateItem(workflow), expectedVersion: publication.expectedVersion },
        ],
        events: [publication.event],
      },
      idempotency,
      resourceOf(workflow.id, published.version),
    );
    return replayedId === undefined ? {} : { replayed: fromResource(replayedId) };
  }

  async replayed(idempotency: IdempotencyRequest): Promise<{ id: string; version: number } | undefined> {
    const resourceId = await replayedResource(this.db, this.table, idempotency);
    return resourceId === undefined ? undefined : fromResource(resourceId);
  }
}
