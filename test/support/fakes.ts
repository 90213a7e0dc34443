/**
 * In-memory fakes of the domain's ports: domain tests need no mocks.
 */
import type { Actor, Process } from '../../functions/domain/actor.ts';
import type { Clock, IdGenerator } from '../../functions/domain/ports.ts';

export function fixedClock(iso = '2026-11-26T10:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = new Date(iso).getTime();
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
  };
}

export function sequentialIds(): IdGenerator {
  let n = 0;
  return { next: (prefix) => `${prefix}_${String(++n).padStart(4, '0')}` };
}

export function actor(id: string, processes: Process[], options: Partial<Actor> = {}): Actor {
  return { id, admin: false, processes: new Set(processes), teamIds: [], workGroupIds: [], ...options };
}
