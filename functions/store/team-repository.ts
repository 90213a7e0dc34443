import { RuleViolationError } from '#domain/errors';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import type { TeamStore } from '#domain/team/service';
import { type Team, type TeamChange, type TeamKind, workGroupDiff } from '#domain/team/team';
import { batchGetItems } from './batch-get.ts';
import { commitOnce, replayedResource, type StateWrite } from './commit.ts';
import { keys, LIST, teamsOfKind } from './keys.ts';
import { queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';
import { userItem } from './user-repository.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

function toItem(team: Team) {
  const sort = `${team.name.toLowerCase()}#${team.id}`;
  return {
    ...keys.team(team.id),
    entity: 'team',
    gsi1pk: LIST.teams,
    gsi1sk: sort,
    gsi2pk: teamsOfKind(team.kind),
    gsi2sk: sort,
    ...team,
  };
}

function fromItem(item: Record<string, unknown>): Team {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as Team;
}

/** A work group id's claim: which team holds it (`null` once released), versioned like state. */
interface WorkGroupClaim {
  readonly id: string;
  readonly teamId: string | null;
  readonly version: number;
}

/** At most this many teams are kept read (a few hundred teams is a large organisation). */
const MAX_KEPT_TEAMS = 1_000;

export class DynamoTeamStore extends TableStore implements TeamStore {
  /** Teams as last read by this process, with when: `get` with `maxAgeMs` answers from here. */
  readonly #recent = new Map<string, { team: Team; at: number }>();
  /** Writes of this process begun, ever: a read that overlapped one is not kept (it may predate it). */
  #writes = 0;

  async get(id: string, maxAgeMs?: number): Promise<Team | undefined> {
    const now = Date.now();
    const kept = this.#recent.get(id);
    if (maxAgeMs !== undefined && kept && now - kept.at <= maxAgeMs) return kept.team;
    const writes = this.#writes;
    const team = await this.read(keys.team(id), fromItem);
    if (writes === this.#writes) this.#keep(id, team, now);
    return team;
  }

  #keep(id: string, team: Team | undefined, at: number): void {
    if (!team) {
      this.#recent.delete(id);
      return;
    }
    if (this.#recent.size >= MAX_KEPT_TEAMS) this.#recent.clear();
    this.#recent.set(id, { team, at });
  }

  async list(page: {
    limit: number;
    cursor?: string | undefined;
    kind?: TeamKind | undefined;
  }): Promise<Page<Team>> {
    const query = page.kind
      ? ({ index: 'gsi2', partition: teamsOfKind(page.kind) } as const)
      : ({ index: 'gsi1', partition: LIST.teams } as const);
    return queryPage(this.db, this.table, query, page, fromItem);
  }

  async workGroupTeams(workGroupIds: readonly string[]): Promise<ReadonlyMap<string, Team>> {
    if (workGroupIds.length === 0) return new Map();
    const claims = await batchGetItems(
      this.db,
      this.table,
      [...new Set(workGroupIds)].map((id) => keys.workGroup(id)),
    );
    const held = claims.filter((c) => typeof c.teamId === 'string');
    const teamIds = [...new Set(held.map((c) => String(c.teamId)))];
    const teams = new Map(
      (
        await batchGetItems(
          this.db,
          this.table,
          teamIds.map((id) => keys.team(id)),
        )
      ).map((item) => [String(item.id), fromItem(item)]),
    );
    return new Map(
      held.flatMap((c) => {
        const team = teams.get(String(c.teamId));
        return team ? [[String(c.id), team] as const] : [];
      }),
    );
  }

  async apply(change: TeamChange, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    const created = change.teams.find((t) => t.previous === undefined)?.team.id;
    // A repeated POST replays before its work groups are claimed: the first team holds them now.
    if (idempotency && created !== undefined) {
      const replayed = await replayedResource(this.db, this.table, idempotency);
      if (replayed !== undefined) return { replayed };
    }
    const writes: StateWrite[] = [
      ...change.teams.map(({ team, previous }) => ({
        item: toItem(team),
        expectedVersion: previous?.version,
      })),
      ...(await this.#claimWrites(change)),
      ...change.users.map(({ user, expectedVersion }) => ({ item: userItem(user), expectedVersion })),
    ];
    // Whatever happens, what this process kept of these teams is no longer known to be current.
    const forget = () => {
      this.#writes++;
      for (const { team } of change.teams) this.#recent.delete(team.id);
    };
    forget();
    // Again once committed: a read racing the commit may have kept the team as it was before.
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      { writes, events: change.events },
      idempotency,
      created,
    ).finally(forget);
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  /** Claims the added work groups' ids and releases the removed ones, each under its own version. */
  async #claimWrites(change: TeamChange): Promise<StateWrite[]> {
    const plan = change.teams.flatMap(({ team, previous }) => {
      const { added, removed } = workGroupDiff(previous, team);
      return [
        ...added.map((wg) => ({ id: wg.id, team, claim: true })),
        ...removed.map((wg) => ({ id: wg.id, team, claim: false })),
      ];
    });
    if (plan.length === 0) return [];
    const stored = new Map(
      (
        await batchGetItems(
          this.db,
          this.table,
          plan.map((p) => keys.workGroup(p.id)),
        )
      ).map((item) => [String(item.id), item as unknown as WorkGroupClaim]),
    );
    const taken = plan.filter((p) => {
      const holder = stored.get(p.id)?.teamId;
      return p.claim && holder != null && holder !== p.team.id;
    });
    if (taken.length > 0) {
      const ids = taken.map((p) => p.id);
      throw new RuleViolationError(
        'work-group-id-taken',
        `Work group id ${ids.join(', ')} belongs to another team; leave the id out to get a new one.`,
        { workGroupIds: ids },
      );
    }
    return plan.flatMap(({ id, team, claim }) => {
      const current = stored.get(id);
      // A removed group without a claim item has nothing to release.
      if (!claim && !current) return [];
      return [
        {
          item: {
            ...keys.workGroup(id),
            entity: 'workGroup',
            id,
            teamId: claim ? team.id : null,
            teamKind: claim ? team.kind : null,
            version: (current?.version ?? 0) + 1,
          },
          expectedVersion: current?.version,
        },
      ];
    });
  }
}
