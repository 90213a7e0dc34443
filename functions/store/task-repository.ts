/**
 * DynamoDB adapter of the deployment-task store: one state item per ready task (`TASK#<id>`, its
 * events beside it), listed by release, by work group and status, by work group and by assignee;
 * and, beside each release, the mark that its tasks are ready (`REL#<id>`, `#TASKS`).
 */
import { VersionConflictError } from '#domain/errors';
import type { DomainEvent } from '#domain/events';
import type { Page } from '#domain/ports';
import type { ReadyWrite, TaskFilter, TaskStore } from '#domain/task/ports';
import type { CiUpdateFailure, Task, TasksReadiness } from '#domain/task/task';
import { batchGetItems } from './batch-get.ts';
import { commit, type StateWrite } from './commit.ts';
import { keys, taskIndexKeys, taskLists } from './keys.ts';
import { type PartitionQuery, type QueryFilter, queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

/** DynamoDB's limit of items in one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
/** Items of the first readying transaction besides its tasks: the mark, the release check, the event. */
const READY_OVERHEAD = 3;

const ITEM_ONLY = [
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
];

function toItem(task: Task): StateWrite['item'] {
  return { ...keys.task(task.id), entity: 'task', ...taskIndexKeys(task), ...task };
}

function fromItem(item: Record<string, unknown>): Task {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as Task;
}

function readinessFrom(item: Record<string, unknown>): TasksReadiness {
  const { releaseId, trigger, taskIds, readyAt, readyBy } = item as unknown as TasksReadiness;
  return { releaseId, trigger, taskIds, readyAt, readyBy };
}

/**
 * The query of a task list: a work group (in one status, or any), else an assignee, else a
 * release picks the index; the other filters apply within it.
 */
export function taskQuery(filter: TaskFilter): PartitionQuery {
  const list =
    filter.workGroupId !== undefined
      ? filter.status !== undefined
        ? taskLists.groupStatus(filter.workGroupId, filter.status)
        : taskLists.group(filter.workGroupId)
      : filter.assignee !== undefined
        ? taskLists.assignee(filter.assignee)
        : filter.releaseId !== undefined
          ? taskLists.release(filter.releaseId)
          : undefined;
  if (!list) throw new Error('A task list needs a work group, an assignee or a release.');
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const inIndex = (field: 'workGroupId' | 'status' | 'assignee' | 'releaseId') =>
    (field === 'workGroupId' && filter.workGroupId !== undefined) ||
    (field === 'status' && filter.workGroupId !== undefined && filter.status !== undefined) ||
    (field === 'assignee' && filter.workGroupId === undefined && filter.assignee !== undefined) ||
    (field === 'releaseId' &&
      filter.workGroupId === undefined &&
      filter.assignee === undefined &&
      filter.releaseId !== undefined);
  for (const field of ['status', 'assignee', 'releaseId'] as const) {
    const value = filter[field];
    if (value === undefined || inIndex(field)) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    parts.push(`#${field} = :${field}`);
  }
  if (filter.withinWorkGroups !== undefined) {
    names['#wg'] = 'workGroupId';
    const groups = filter.withinWorkGroups.map((id, i) => {
      values[`:wg${i}`] = id;
      return `:wg${i}`;
    });
    parts.push(`#wg IN (${groups.join(', ')})`);
  }
  const queryFilter: QueryFilter | undefined =
    parts.length > 0 ? { expression: parts.join(' AND '), names, values } : undefined;
  return { ...list, ...(queryFilter ? { filter: queryFilter } : {}) };
}

export class DynamoTaskStore extends TableStore implements TaskStore {
  async get(id: string): Promise<Task | undefined> {
    return this.read(keys.task(id), fromItem);
  }

  async ofRelease(releaseId: string): Promise<Task[]> {
    const tasks: Task[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.db,
        this.table,
        taskLists.release(releaseId),
        { limit: 100, cursor },
        fromItem,
      );
      tasks.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return tasks;
  }

  async readiness(releaseId: string): Promise<TasksReadiness | undefined> {
    return this.read(keys.tasksReady(releaseId), readinessFrom);
  }

  async ready(write: ReadyWrite): Promise<'readied' | 'already'> {
    const first = write.tasks.slice(0, MAX_TRANSACTION_ITEMS - READY_OVERHEAD);
    try {
      await commit(this.db, this.table, {
        writes: [
          {
            item: { ...keys.tasksReady(write.release.id), entity: 'tasksReady', ...write.readiness },
            expectedVersion: undefined,
          },
          ...first.map((task) => ({ item: toItem(task), expectedVersion: undefined })),
        ],
        // The plan read is the plan made ready: an edit or a move since cancels it.
        checks: [{ key: keys.run('release', write.release.id), expect: write.release.version }],
        events: [write.event],
      });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      const mark = await this.readiness(write.release.id);
      // No mark: the release changed, and the caller decides again on what it is now.
      if (!mark) throw error;
      // Made ready by another writer; one that stopped half-way left tasks to write.
      if (mark.taskIds.length > MAX_TRANSACTION_ITEMS - READY_OVERHEAD) {
        await this.#writeMissing(write.tasks.filter((t) => mark.taskIds.includes(t.id)));
      }
      return 'already';
    }
    await this.#writeMissing(write.tasks.slice(first.length), true);
    return 'readied';
  }

  /**
   * Writes the tasks that do not exist yet, in transactions of at most 100, each task only if it
   * is still absent (a task a technician has since moved is never overwritten). `fresh`: none can
   * exist yet (this writer holds the mark), so nothing is read first.
   */
  async #writeMissing(tasks: readonly Task[], fresh = false): Promise<void> {
    for (let attempt = 1; tasks.length > 0; attempt++) {
      let missing = tasks;
      if (!fresh || attempt > 1) {
        const existing = new Set(
          (
            await batchGetItems(
              this.db,
              this.table,
              tasks.map((t) => keys.task(t.id)),
            )
          ).map((item) => String(item.id)),
        );
        missing = tasks.filter((t) => !existing.has(t.id));
      }
      try {
        for (let i = 0; i < missing.length; i += MAX_TRANSACTION_ITEMS) {
          await commit(this.db, this.table, {
            writes: missing
              .slice(i, i + MAX_TRANSACTION_ITEMS)
              .map((task) => ({ item: toItem(task), expectedVersion: undefined })),
            events: [],
          });
        }
        return;
      } catch (error) {
        // Another writer completing the same release wrote some of them: read again, write the rest.
        if (!(error instanceof VersionConflictError) || attempt >= 3) throw error;
      }
    }
  }

  async save(task: Task, expectedVersion: number, event: DomainEvent): Promise<void> {
    await commit(this.db, this.table, { writes: [{ item: toItem(task), expectedVersion }], events: [event] });
  }

  async recordCiUpdateFailures(task: Task, failures: readonly CiUpdateFailure[]): Promise<void> {
    const { ciUpdateFailures: _, ...rest } = task;
    const next: Task = {
      ...rest,
      ...(failures.length > 0 ? { ciUpdateFailures: failures } : {}),
      version: task.version + 1,
    };
    await commit(this.db, this.table, {
      writes: [{ item: toItem(next), expectedVersion: task.version }],
      events: [],
    });
  }

  async list(filter: TaskFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Task>> {
    return queryPage(this.db, this.table, taskQuery(filter), page, fromItem);
  }
}
