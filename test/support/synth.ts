/**
 * Synthesizes the whole app into `outdir` without bundling the functions (the stack test checks
 * the bundles; bundling 13 functions for each template is slow), for the CDK assertion tests that
 * read the template as CloudFormation gets it. A validation error (cdk-nag) is returned, not
 * thrown: the template is written before validation runs, and the nag tests report it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { createReleaseDeskApp } from '../../infra/release-desk-app.ts';
import type { ReleaseDeskStack } from '../../infra/release-desk-stack.ts';

export interface SynthesizedApp<Template> {
  readonly app: App;
  readonly stack: ReleaseDeskStack;
  readonly template: Template;
  readonly error: unknown;
  readonly outdir: string;
}

export function synthesizeApp<Template>(
  context: Record<string, unknown>,
  outdir: string,
): SynthesizedApp<Template> {
  const { app, stack } = createReleaseDeskApp({
    outdir,
    context: { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  let error: unknown;
  try {
    app.synth();
  } catch (e) {
    error = e;
  }
  const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as Template;
  return { app, stack, template, error, outdir };
}
