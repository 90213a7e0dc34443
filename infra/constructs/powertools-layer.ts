/**
 * The Powertools for AWS Lambda (TypeScript) layer every function runs with: Logger, Metrics and
 * Tracer with the X-Ray SDK, left out of the bundles (infra/constructs/bundling.ts). Its ARN is
 * the public SSM parameter of the version in package.json, resolved by CloudFormation at deploy
 * time (a template parameter of type AWS::SSM::Parameter::Value<String>), so `cdk synth` stays
 * offline; test/unit/infra/powertools-layer.test.ts fails when this version and package.json's differ.
 */
import { Stack } from 'aws-cdk-lib';
import { type ILayerVersion, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';

/** The Powertools version of the layer: the one the functions are built and tested against. */
export const POWERTOOLS_VERSION = '2.36.0';

/** The public SSM parameter holding the layer's ARN in each region. */
export const POWERTOOLS_LAYER_PARAMETER = `/aws/service/powertools/typescript/generic/all/${POWERTOOLS_VERSION}`;

/** The layer, one per stack (every function shares the template parameter). */
export function powertoolsLayer(scope: Construct): ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'PowertoolsLayer';
  const existing = stack.node.tryFindChild(id) as ILayerVersion | undefined;
  return (
    existing ??
    LayerVersion.fromLayerVersionArn(
      stack,
      id,
      StringParameter.valueForStringParameter(stack, POWERTOOLS_LAYER_PARAMETER),
    )
  );
}
