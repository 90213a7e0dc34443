/**
 * Client-side handling of version-guarded moves (transitions, task actions), shared by the fault
 * and crash tests: these routes take `expectedVersion`, not `Idempotency-Key`, so a move asked
 * again after its answer was lost gets 409 — and was applied if what it was after is what is there
 * now. The client reads it back, as a real one must.
 */
import { expect } from 'vitest';

/** A request retried until it is answered (same Idempotency-Key); `retried` says it was sent again. */
export type Acknowledged = (
  method: string,
  path: string,
  body?: unknown,
  as?: string,
) => Promise<{ status: number; body: Record<string, unknown>; retried: boolean }>;

export function versionGuarded(acknowledged: Acknowledged) {
  /** A move whose lost answer is read back through `readBack`: 200 when it was applied. */
  async function moved(
    path: string,
    body: { expectedVersion: unknown },
    readBack: string,
    isApplied: (read: Record<string, unknown>) => boolean,
    as = 'rm',
  ) {
    const res = await acknowledged('POST', path, body, as);
    if (
      res.status === 409 &&
      res.retried &&
      isApplied((await acknowledged('GET', readBack, undefined, as)).body)
    )
      return 200;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.status;
  }

  /** The task as its release lists it. */
  const taskIn = (releaseId: string, taskId: string) => async () =>
    (
      (await acknowledged('GET', `/releases/${releaseId}/tasks`)).body.items as {
        id: string;
        status: string;
      }[]
    ).find((x) => x.id === taskId);

  /** A task started then completed by its technician, each action's lost answer read back. */
  async function taskAction(releaseId: string, taskId: string) {
    const read = taskIn(releaseId, taskId);
    const statusIs = (status: string) => async () => (await read())?.status === status;
    for (const [action, expectedVersion, after] of [
      ['start', 1, 'in_progress'],
      ['complete', 2, 'done'],
    ] as const) {
      const res = await acknowledged('POST', `/tasks/${taskId}/${action}`, { expectedVersion }, 'tech');
      if (res.status === 409 && res.retried && (await statusIs(after)())) continue;
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  }

  return { moved, taskIn, taskAction };
}
