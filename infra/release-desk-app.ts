/**
 * Builds the CDK app: the stack of one stage (context value `stage`, see `infra/stage.ts`), checked
 * by cdk-nag's AwsSolutions pack on every synthesis.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReleaseDeskStack, type ReleaseDeskStackProps } from './release-desk-stack.ts';
import { DEFAULT_STACK_NAME, stageSettings } from './stage.ts';

/** The default stack's construct id (and CloudFormation stack name); a stage's is `ReleaseDesk-<stage>`. */
export const STACK_ID = DEFAULT_STACK_NAME;

/** Creates the app with the stack and the AwsSolutions checks; synthesis fails on an unacknowledged finding. */
export function createReleaseDeskApp(
  appProps: AppProps = {},
  stackProps: ReleaseDeskStackProps = {},
): { app: App; stack: ReleaseDeskStack } {
  const app = new App(appProps);
  const settings = stackProps.settings ?? stageSettings((key) => app.node.tryGetContext(key));
  const stack = new ReleaseDeskStack(app, settings.stackName, { ...stackProps, settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
