/**
 * The AsyncAPI 3.0.0 document of the events on the `release-desk` bus (`asyncapi.json` at the
 * repository root, written by `npm run generate`). It is rendered from the same event definitions
 * as the published JSON Schemas and `docs/events.md` (`functions/domain/event-catalogue.ts`): one
 * channel, the bus; one message per detail type whose payload is the whole event as a rule's
 * target receives it (the EventBridge envelope around `detail`); one `receive` operation per
 * message, with the rule pattern that subscribes to it. Examples are the ones `docs/events.md`
 * shows, from the contract tests' sample flows.
 *
 * The document is written from a subscriber's side (docs/decisions.md, "AsyncAPI from the
 * subscriber's side"): what a service that puts a rule on the bus receives.
 */
import { EVENT_CATALOGUE } from '../functions/domain/event-catalogue.ts';
import {
  DEFAULT_EVENT_BUS_NAME,
  EVENT_SOURCE,
  EVENT_TYPES,
  type EventType,
} from '../functions/domain/events.ts';
import { eventSchema, type JsonSchema } from '../functions/events/schemas/catalogue.ts';
import { deliver, inAws, sampleEvents } from '../test/support/event-contract.ts';
import { exampleOf } from './event-docs.ts';

/** `Release Stage Entered` → `ReleaseStageEntered`: message and operation ids. */
const pascal = (type: EventType) => type.replaceAll(' ', '');

/**
 * A published schema as an AsyncAPI payload. The schemas are JSON Schema draft 2020-12 but use
 * nothing beyond draft 07, which the AsyncAPI Schema format (the document's default) extends; so
 * only `$schema` is dropped: the payload is then read in the document's own schema format.
 */
function payloadOf(type: EventType): JsonSchema {
  const { $schema: _draft, ...schema } = eventSchema(type);
  return schema;
}

export async function buildAsyncApiDocument(): Promise<Record<string, unknown>> {
  const delivered = await deliver(sampleEvents());
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const channelMessages: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    const definition = EVENT_CATALOGUE[type];
    const id = pascal(type);
    const pattern = {
      source: [EVENT_SOURCE],
      'detail-type': [type],
      ...(definition.subscription.detail ? { detail: definition.subscription.detail } : {}),
    };
    const example = definition.emittedBy ? exampleOf(definition, pattern, delivered) : undefined;
    messages[id] = {
      name: type,
      title: type,
      summary: definition.emittedBy ? definition.description : `${definition.description} Not emitted yet.`,
      contentType: 'application/json',
      payload: payloadOf(type),
      ...(example ? { examples: [{ name: 'delivered', payload: inAws(example) }] } : {}),
    };
    channelMessages[id] = { $ref: `#/components/messages/${id}` };
    operations[`receive${id}`] = {
      action: 'receive',
      title: `Receive ${type}`,
      summary: `A rule on the bus with this pattern (${definition.subscription.caption}) delivers it to its target.`,
      channel: { $ref: '#/channels/releaseDesk' },
      messages: [{ $ref: `#/channels/releaseDesk/messages/${id}` }],
      'x-eventbridge-rule-pattern': pattern,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Release Desk events',
      version: '0.1.0',
      description:
        'Every change of state in Release Desk is an event on the EventBridge bus `release-desk`, source `release-desk`, `detail` `{ id, occurredAt, actor, subject, data }`. Delivery is at least once: deduplicate on `detail.id`. Subscribe with an EventBridge rule on the bus (the `x-eventbridge-rule-pattern` of each operation is one); docs/events.md describes delivery, schemas and compatibility.',
      license: { name: 'UNLICENSED' },
    },
    defaultContentType: 'application/json',
    servers: {
      aws: {
        host: 'events.{region}.amazonaws.com',
        protocol: 'https',
        description:
          "Amazon EventBridge in the stack's region (bus `release-desk`, or `release-desk-<stage>`).",
        variables: { region: { default: 'eu-west-1', description: 'The AWS region of the stack' } },
      },
      local: {
        host: 'localhost:8088',
        protocol: 'http',
        description:
          'The local bus of `npm start` (`EVENTS_PORT`): the EventBridge API for PutEvents, rules and TestEventPattern.',
      },
    },
    channels: {
      releaseDesk: {
        address: DEFAULT_EVENT_BUS_NAME,
        title: 'The release-desk event bus',
        description: 'The EventBridge bus every Release Desk event is put on.',
        messages: channelMessages,
      },
    },
    operations,
    components: { messages },
  };
}
