/**
 * The data directory holds task tokens: the service keeps it to its owner (files 0600, directories 0700),
 * also when it starts on a directory an older version left readable.
 */
import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { stageInvocations, startHarness, tempDir, twoStageDefinition, waitFor } from './support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every entry under `root` (root included) as `relative path → permission bits`, directories with `/`. */
async function modes(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const visit = async (path: string, relative: string) => {
    const info = await stat(path);
    const bits = (info.mode & 0o777).toString(8);
    if (!info.isDirectory()) {
      found[relative] = bits;
      return;
    }
    found[`${relative}/`] = bits;
    for (const name of await readdir(path)) await visit(join(path, name), `${relative}/${name}`);
  };
  await visit(root, '.');
  return found;
}

/** The entries that are not private: anything but 0700 for directories and 0600 for files. */
function notPrivate(found: Record<string, string>): string[] {
  return Object.entries(found)
    .filter(([path, bits]) => bits !== (path.endsWith('/') ? '700' : '600'))
    .map(([path, bits]) => `${path} ${bits}`);
}

async function loosen(root: string): Promise<void> {
  for (const relative of Object.keys(await modes(root))) {
    await chmod(join(root, relative), relative.endsWith('/') ? 0o755 : 0o644);
  }
}

describe('data directory permissions', () => {
  it('writes files 0600 and directories 0700, and tightens an existing data directory on start', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const dataDir = join(dir.path, 'stepfunctions');

    const first = await startHarness({ dataDir });
    cleanups.push(() => first.stop());
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { stateMachineArn } = await first.client.send(
      new CreateStateMachineCommand({
        name: 'modes',
        definition: twoStageDefinition,
        roleArn: 'arn:aws:iam::0:role/r',
      }),
    );
    await first.client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'modes-1', input: '{"subject":"modes-1"}' }),
    );
    const token = String(
      (await waitFor(() => stageInvocations(first.invocations, 'A')[0])).payload.taskToken,
    );
    await first.stop();

    const written = await modes(dataDir);
    expect(Object.keys(written).sort()).toEqual([
      './',
      './executions/',
      expect.stringMatching(/^\.\/executions\/[0-9a-f]{64}\.json$/),
      './state-machines.json',
    ]);
    expect(notPrivate(written)).toEqual([]);

    // As an older version left it: readable by everyone, and with the leftover of an interrupted write.
    await loosen(dataDir);
    await writeFile(join(dataDir, 'executions', 'leftover.json.0.tmp'), '{"waitingTasks":[]}', {
      mode: 0o644,
    });

    const second = await startHarness({ dataDir });
    cleanups.push(() => second.stop());
    const tightened = await modes(dataDir);
    expect(Object.keys(tightened).sort()).toEqual(Object.keys(written).sort());
    expect(notPrivate(tightened)).toEqual([]);

    await second.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"to":"StageB"}' }));
    await waitFor(() => stageInvocations(second.invocations, 'B')[0]);
    await second.stop();
    expect(notPrivate(await modes(dataDir))).toEqual([]);
  });
});
