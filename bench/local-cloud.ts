/**
 * Issue 14, item 6 — the local cloud as `npm start` runs it: the time from spawning
 * `node infra/local/start.ts` on an existing data dir to GET /health answering 200, and resident
 * memory idle and after a burst of API calls, of the Node process and of its DynamoDB Local (Java)
 * child, each read from /proc (Linux).
 *
 * The command is `npm start`'s from package.json (with its Node options), run without npm.
 * A first start creates the data dir (not timed); BENCH_START_RUNS further starts on it are timed
 * (median). Free ports and a temporary DATA_DIR, so an `npm start` already running is not touched.
 * The 400 MiB goal is checked against both processes together: that is what `npm start` costs
 * the machine; each is reported on its own too.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../infra/constructs/handler-function.ts';
import type { BenchResults, LocalCloudResults, Row } from './results.ts';
import { benchRelease, percentile, pool, round } from './support.ts';

const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 3);
const LOAD_CREATES = Number(process.env.BENCH_LOCAL_CREATES ?? 500);
const LOAD_CONCURRENCY = 8;
const MAX_START_MS = 5_000;
const MAX_RSS_MIB = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  readonly child: ChildProcess;
  readonly ms: number;
  /** CPU seconds (user + system) the Node process and its Java child had used by then. */
  readonly cpuSeconds: number;
}

/** User + system CPU seconds of a process (/proc/<pid>/stat, in clock ticks of 1/100 s). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * `npm start`'s command (package.json), with this Node for `node`: spawned directly rather than
 * through npm, so that the process measured is the server itself and its child is Java.
 */
async function startCommand(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, ...args] = (pkg.scripts.start ?? '').split(/\s+/);
  if (node !== 'node' || !args.includes('infra/local/start.ts')) {
    throw new Error(`npm start is not "node … infra/local/start.ts": ${pkg.scripts.start}`);
  }
  return args;
}

/** Spawns `npm start`'s command and answers once GET /health is 200, with the time it took. */
async function start(env: NodeJS.ProcessEnv, apiUrl: string): Promise<Started> {
  const args = await startCommand();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d).slice(-5_000);
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start not healthy after 120 s: ${stderr}`);
    }
    try {
      const res = await fetch(`${apiUrl}/health`);
      await res.arrayBuffer();
      if (res.status === 200) {
        const ms = performance.now() - t0;
        const cpu = (await cpuSeconds(child.pid)) + (await cpuSeconds(await javaChild(child.pid)));
        return { child, ms, cpuSeconds: round(cpu, 2) };
      }
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Resident set size of a process in MiB (VmRSS of /proc/<pid>/status), 0 when unreadable. */
async function rssMiB(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    return round(kb / 1024, 1);
  } catch {
    return 0;
  }
}

/** The Java child of the start process (DynamoDB Local: `sh -c 'exec java …'` becomes java). */
async function javaChild(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)]);
    const line = stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find(([, comm]) => comm === 'java');
    return line ? Number(line[0]) : undefined;
  } catch {
    return undefined;
  }
}

async function memory(pid: number | undefined) {
  const java = await javaChild(pid);
  const nodeMiB = await rssMiB(pid);
  const javaMiB = await rssMiB(java);
  return { nodeMiB, javaMiB, totalMiB: round(nodeMiB + javaMiB, 1) };
}

/** A token for a release manager of the bootstrap release team, through `npm run token`. */
async function token(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(PROJECT_ROOT, 'infra/local/token.ts'), '--user', 'bench-rm', '--process', 'release'],
    { cwd: PROJECT_ROOT, env },
  );
  return stdout.trim();
}

export async function run(results: BenchResults): Promise<Row[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'release-desk-bench-start-'));
  const ports = { PORT: await freePort(), DYNAMODB_PORT: 0, SFN_PORT: 0, EVENTS_PORT: 0 };
  ports.DYNAMODB_PORT = await freePort();
  ports.SFN_PORT = await freePort();
  ports.EVENTS_PORT = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(ports.PORT),
    DYNAMODB_PORT: String(ports.DYNAMODB_PORT),
    SFN_PORT: String(ports.SFN_PORT),
    EVENTS_PORT: String(ports.EVENTS_PORT),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const apiUrl = `http://127.0.0.1:${ports.PORT}`;
  let current: ChildProcess | undefined;
  try {
    // First start: creates the data dir (table, signing key); not timed.
    current = (await start(env, apiUrl)).child;
    await stop(current);

    const samples: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < START_RUNS; i++) {
      const started = await start(env, apiUrl);
      current = started.child;
      samples.push(round(started.ms, 0));
      cpu.push(started.cpuSeconds);
      if (i < START_RUNS - 1) await stop(current);
    }
    // Idle: the last start, left alone a few seconds (the relay and timers keep running).
    await sleep(3_000);
    const idle = await memory(current?.pid);

    // Load: LOAD_CREATES releases created and each read back, LOAD_CONCURRENCY at once.
    const jwt = await token(env);
    const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
    let peak = idle.totalMiB;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await memory(current?.pid)).totalMiB);
        await sleep(250);
      }
    })();
    const ids: string[] = [];
    const loadMs = await pool(
      Array.from({ length: LOAD_CREATES }, (_, i) => i),
      LOAD_CONCURRENCY,
      async (i) => {
        const res = await fetch(`${apiUrl}/releases`, {
          method: 'POST',
          headers,
          body: JSON.stringify(benchRelease({ title: `Load ${i}` })),
        });
        const body = (await res.json()) as { id?: string };
        if (res.status !== 201 || !body.id)
          throw new Error(`POST /releases → ${res.status} ${JSON.stringify(body)}`);
        ids.push(body.id);
        const read = await fetch(`${apiUrl}/releases/${body.id}`, { headers });
        await read.arrayBuffer();
        if (read.status !== 200) throw new Error(`GET /releases/${body.id} → ${read.status}`);
      },
    );
    // Let the consumers the creates started (executions, the relay) finish before reading.
    await sleep(3_000);
    sampling = false;
    await sampler;
    const afterLoad = await memory(current?.pid);
    await stop(current as ChildProcess);
    current = undefined;

    const startToHealthyMs = round(percentile(samples, 50), 0);
    const section: LocalCloudResults = {
      startToHealthyMs,
      startSamplesMs: samples,
      startCpuSeconds: round(percentile(cpu, 50), 2),
      loadAverage: loadavg().map((l) => round(l, 2)),
      idle,
      afterLoad: { ...afterLoad, peakTotalMiB: round(peak, 1) },
      load: `${LOAD_CREATES} POST /releases, each followed by its GET, ${LOAD_CONCURRENCY} clients (${round(loadMs / 1000, 1)} s)`,
      goalAppliesTo: 'the Node process and its DynamoDB Local Java child together (RSS)',
      command: `node ${(await startCommand()).join(' ')}`,
    };
    results.localCloud = section;
    const mib = (m: { nodeMiB: number; javaMiB: number; totalMiB: number }) =>
      `${m.totalMiB} MiB (${m.nodeMiB} + ${m.javaMiB})`;
    return [
      {
        part: 'local-cloud',
        figure: `npm start → healthy, existing data dir (${samples.join(', ')} ms; CPU ${section.startCpuSeconds} s)`,
        value: `${(startToHealthyMs / 1000).toFixed(2)} s`,
        goal: '≤ 5 s',
        met: startToHealthyMs <= MAX_START_MS,
      },
      {
        part: 'local-cloud',
        figure: 'RSS idle, Node + DynamoDB Local (Java)',
        value: mib(idle),
        goal: '≤ 400 MiB',
        met: idle.totalMiB <= MAX_RSS_MIB,
      },
      {
        part: 'local-cloud',
        figure: `RSS after ${LOAD_CREATES} creates + reads (peak ${round(peak, 0)} MiB)`,
        value: mib(afterLoad),
        goal: '≤ 400 MiB',
        met: afterLoad.totalMiB <= MAX_RSS_MIB,
      },
    ];
  } finally {
    if (current) await stop(current);
    await rm(dataDir, { recursive: true, force: true });
  }
}
