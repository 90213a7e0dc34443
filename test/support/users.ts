/**
 * Test fixture: a user stored as the user store writes one (its item, no event, no version check),
 * for tests that need callers without going through the users resource.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AppPorts } from '../../functions/app/ports.ts';
import type { Process } from '../../functions/domain/actor.ts';
import type { User } from '../../functions/domain/user/user.ts';
import { userItem } from '../../functions/store/user-repository.ts';

export async function seedUser(ports: Pick<AppPorts, 'clients' | 'config'>, user: User): Promise<void> {
  await ports.clients.db.send(new PutCommand({ TableName: ports.config.tableName, Item: userItem(user) }));
}

/** A user with `processes`, in no team yet, as first stored (version 1, now). */
export function userFixture(id: string, processes: readonly Process[], over: Partial<User> = {}): User {
  const now = new Date().toISOString();
  return {
    id,
    processes: [...processes],
    admin: false,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}
