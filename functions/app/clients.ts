/**
 * AWS SDK clients, created once per cold start (or once per local cloud) from the configuration;
 * in Lambda each call is an X-Ray subsegment (functions/app/tracer.ts; elsewhere the clients are
 * left as they are).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.ts';
import { captureClient } from './tracer.ts';

export interface Clients {
  readonly db: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly events: EventBridgeClient;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createClients(config: Config): Clients {
  const common = {
    region: config.region,
    ...(config.local ? { credentials: LOCAL_CREDENTIALS } : {}),
  };
  // Captured before the document client wraps it: that client shares its middleware stack.
  const dynamo = captureClient(
    new DynamoDBClient({
      ...common,
      ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
    }),
  );
  return {
    db: DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    sfn: captureClient(
      new SFNClient({ ...common, ...(config.endpoints.sfn ? { endpoint: config.endpoints.sfn } : {}) }),
    ),
    events: captureClient(
      new EventBridgeClient({
        ...common,
        ...(config.endpoints.events ? { endpoint: config.endpoints.events } : {}),
      }),
    ),
  };
}
