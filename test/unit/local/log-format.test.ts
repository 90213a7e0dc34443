/**
 * `LOG_FORMAT=pretty` (infra/local/log-format.ts): each JSON log line the functions write becomes
 * one readable line — time, level, function, message, correlation ids, the rest — and anything
 * else passes through as it is.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { logFormat, prettyLogLine, prettyLogs, prettyLogText } from '../../../infra/local/log-format.ts';

const entry = {
  level: 'WARN',
  message: 'Stage-entered event that the table does not hold ignored',
  timestamp: '2026-11-27T06:40:01.123Z',
  service: 'release-desk',
  sampling_rate: 0,
  xray_trace_id: undefined,
  function: 'signal-execution',
  correlation_id: 'evt_01',
  event_id: 'evt_01',
  subject_id: 'rel_01',
  execution_name: 'rel_01',
  kind: 'release',
  detail: { stage: 'Testing' },
};

describe('pretty log lines', () => {
  it('show time, level, function, message, correlation ids, then the other keys', () => {
    expect(prettyLogLine(JSON.stringify(entry))).toBe(
      '06:40:01.123 WARN  signal-execution        Stage-entered event that the table does not hold ignored [corr=evt_01 subject=rel_01 event=evt_01 execution=rel_01] kind=release detail={"stage":"Testing"}',
    );
  });

  it('show an API request’s request id only when it is not already the correlation id', () => {
    const line = (correlation: string) =>
      prettyLogLine(
        JSON.stringify({
          level: 'ERROR',
          message: 'Unhandled error',
          timestamp: '2026-11-27T06:40:01.123+00:00',
          function: 'releases',
          correlation_id: correlation,
          request_id: 'req-1',
          error: 'boom with spaces',
        }),
      );
    expect(line('req-1')).toBe(
      '06:40:01.123 ERROR releases                Unhandled error [corr=req-1] error="boom with spaces"',
    );
    expect(line('c-9')).toBe(
      '06:40:01.123 ERROR releases                Unhandled error [corr=c-9 req=req-1] error="boom with spaces"',
    );
  });

  it('show a function named by its Lambda ARN (a line written outside an invocation) by its name', () => {
    const { function: _, ...outside } = entry;
    const line = prettyLogLine(
      JSON.stringify({
        ...outside,
        function_name: 'arn:aws:lambda:local:000000000000:function:reconcile-executions:$LATEST',
      }),
    );
    expect(line).toMatch(/^06:40:01\.123 WARN +reconcile-executions +Stage-entered/);
  });

  it('show an EMF document as its counts', () => {
    const emf = {
      _aws: {
        Timestamp: Date.parse('2026-11-27T06:40:02.000Z'),
        CloudWatchMetrics: [
          {
            Namespace: 'ReleaseDesk',
            Dimensions: [['service']],
            Metrics: [{ Name: 'Transitions', Unit: 'Count' }],
          },
        ],
      },
      service: 'release-desk',
      Transitions: 2,
    };
    expect(prettyLogLine(JSON.stringify(emf))).toBe(
      '06:40:02.000 METRIC release-desk            Transitions=2',
    );
  });

  it.each(['Release Desk is running', '{ not json', '[1,2]', '{"no":"level"}', ''])(
    'leave other lines as they are: %j',
    (line) => {
      expect(prettyLogLine(line)).toBeUndefined();
      expect(prettyLogText(`${line}\n`)).toBe(`${line}\n`);
    },
  );

  it('render what a stream is written once on, and stop when undone', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    const written: string[] = [];
    (stream as unknown as PassThrough).on('data', (chunk) => written.push(String(chunk)));
    const undo = prettyLogs([stream]);
    stream.write(`${JSON.stringify(entry)}\nplain\n`);
    undo();
    stream.write(`${JSON.stringify({ level: 'INFO', message: 'raw' })}\n`);
    expect(written.join('').split('\n')).toEqual([
      expect.stringMatching(/^06:40:01\.123 WARN {2}signal-execution +Stage-entered/),
      'plain',
      '{"level":"INFO","message":"raw"}',
      '',
    ]);
  });

  it('LOG_FORMAT is json (as in AWS) unless pretty is asked for; anything else is refused by name', () => {
    expect(logFormat({})).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'PRETTY' })).toBe('pretty');
    expect(() => logFormat({ LOG_FORMAT: 'colour' })).toThrow(
      /LOG_FORMAT must be "json" or "pretty", got "colour"/,
    );
  });
});
