/**
 * CDK entry point (`cdk.json`: `node infra/app.ts`): environment-agnostic, no context lookups, so
 * `cdk synth` works offline.
 */
import { createReleaseDeskApp } from './release-desk-app.ts';

createReleaseDeskApp();
