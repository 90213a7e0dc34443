/**
 * The Powertools layer (infra/constructs/powertools-layer.ts): its version is the one the
 * functions are built and tested against (package.json and the lock file), its ARN comes from the
 * public SSM parameter at deploy time (a template parameter, so synthesis needs no AWS account),
 * and a function as the stack builds it (infra/constructs/handler-function.ts, bundled for real
 * here) gets the layer and imports Powertools from it instead of carrying it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { HandlerFunction, PROJECT_ROOT } from '../../../infra/constructs/handler-function.ts';
import {
  POWERTOOLS_LAYER_PARAMETER,
  POWERTOOLS_VERSION,
  powertoolsLayer,
} from '../../../infra/constructs/powertools-layer.ts';

const json = (path: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, path), 'utf8'));

describe('the Powertools layer', () => {
  it('is the version of every @aws-lambda-powertools package in package.json and the lock file', () => {
    const manifest = json('package.json');
    const declared = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
      ([name]) => name.startsWith('@aws-lambda-powertools/'),
    );
    expect(declared.length).toBeGreaterThan(0);
    for (const [name, range] of declared) {
      expect(String(range).replace(/^[\^~]/, ''), name).toBe(POWERTOOLS_VERSION);
    }
    const locked = Object.entries(
      json('package-lock.json').packages as Record<string, { version: string }>,
    ).filter(([path]) => path.startsWith('node_modules/@aws-lambda-powertools/'));
    expect(locked.length).toBeGreaterThan(0);
    for (const [path, { version }] of locked) expect(version, path).toBe(POWERTOOLS_VERSION);
    expect(POWERTOOLS_LAYER_PARAMETER).toBe(
      `/aws/service/powertools/typescript/generic/all/${POWERTOOLS_VERSION}`,
    );
  });

  describe('on a function as the stack builds it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'release-desk-layer-'));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));
    const app = new App({ outdir });
    const stack = new Stack(app, 'LayerTest');
    new HandlerFunction(stack, 'Health', {
      entry: 'functions/http/health.ts',
      description: 'health',
      environment: {},
    });
    new HandlerFunction(stack, 'Other', {
      entry: 'functions/http/health.ts',
      description: 'other',
      environment: {},
    });
    const assembly = app.synth();
    const template = assembly.getStackByName('LayerTest').template as {
      Parameters: Record<string, { Type: string; Default: string }>;
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

    it('resolves the ARN from the public SSM parameter at deploy time, once per stack', () => {
      const parameters = Object.entries(template.Parameters).filter(
        ([, p]) => p.Default === POWERTOOLS_LAYER_PARAMETER,
      );
      expect(parameters).toHaveLength(1);
      expect(parameters[0]?.[1].Type).toBe('AWS::SSM::Parameter::Value<String>');
      expect(powertoolsLayer(stack)).toBe(powertoolsLayer(stack));
      expect(functions).toHaveLength(2);
      for (const fn of functions) {
        expect(fn.Properties.Layers).toEqual([{ Ref: parameters[0]?.[0] }]);
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      }
    });

    it('bundles the handler without Powertools, which it imports from the layer', () => {
      const code = functions[0]?.Properties.Code as { S3Key: string };
      const bundle = readFileSync(
        join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'),
        'utf8',
      );
      expect(bundle).toMatch(/from\s*"@aws-lambda-powertools\/logger"/);
      // Powertools' Logger code (its class and its sampling) is not in the bundle.
      expect(bundle).not.toContain('POWERTOOLS_LOGGER_SAMPLE_RATE');
      expect(bundle).not.toContain('aws-xray-sdk-core/');
    });
  });
});
