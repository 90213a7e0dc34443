/**
 * Builds the CDK app: the stack, checked by cdk-nag's AwsSolutions pack on every synthesis.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReleaseDeskStack, type ReleaseDeskStackProps } from './release-desk-stack.ts';

/** The stack's construct id (and CloudFormation stack name). */
export const STACK_ID = 'ReleaseDesk';

/** Creates the app with the stack and the AwsSolutions checks; synthesis fails on an unacknowledged finding. */
export function createReleaseDeskApp(
  appProps: AppProps = {},
  stackProps: ReleaseDeskStackProps = {},
): { app: App; stack: ReleaseDeskStack } {
  const app = new App(appProps);
  const stack = new ReleaseDeskStack(app, STACK_ID, stackProps);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
