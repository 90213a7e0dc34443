/**
 * Events as an EventBridge target receives them: the envelope EventBridge puts around each event
 * the outbox relay publishes, with the domain event as `detail`. One zod schema per detail type,
 * made from its definition in the domain: the published JSON Schema is rendered from it
 * (`schemas/catalogue.ts`) and consumers parse what they receive with it, so that a malformed
 * event is refused as a whole — never half applied — with the reason in the error Lambda records.
 */
import * as z from 'zod';
import {
  EVENT_SOURCE,
  type EventDefinition,
  type EventSubject,
  type EventType,
  eventDetailSchema,
  idField,
  timestampField,
} from '#domain/events';
import { RUN_KINDS, type RunKind, SUBJECT_KINDS } from '#domain/workflow-run/run';

/**
 * The `data` the outbox relay publishes instead of an event's own when its entry would be over
 * EventBridge's size limit (docs/events.md, "Size"): subscribers read the subject through the API.
 */
export const TRUNCATED_DATA = z.looseObject({ truncated: z.literal(true), reason: z.string() });

/** The pointer that replaces the `data` of an event too large for EventBridge. */
export function truncatedData(subjectKind: string | undefined): z.output<typeof TRUNCATED_DATA> {
  return {
    truncated: true,
    reason: `The event's data is over EventBridge's 256 KB limit; read the ${subjectKind ?? 'subject'} through the API.`,
  };
}

/**
 * The whole event of one detail type as a target receives it. `data` is the type's own schema
 * unless another is given (the relay's truncation pointer).
 */
export function deliveredEventSchema(definition: EventDefinition, data: z.ZodType = definition.data) {
  const pattern = `^(${definition.subjectKinds.join('|')})/.+$`;
  // Stated as written: a RegExp's source would escape the slash.
  const resource = z.string().regex(new RegExp(pattern)).meta({ pattern });
  return z.looseObject({
    version: z.literal('0').describe('EventBridge envelope version'),
    id: idField('EventBridge event id, new on every publication; deduplicate on `detail.id` instead'),
    'detail-type': z.literal(definition.type),
    source: z.literal(EVENT_SOURCE),
    account: z
      .string()
      .regex(/^[0-9]{12}$/)
      .describe('AWS account of the bus'),
    time: timestampField('`detail.occurredAt` to the second, as EventBridge formats it'),
    region: idField('AWS region of the bus (`local` on the local cloud)'),
    resources: z.array(resource).min(1).max(1).describe('The subject as `<kind>/<id>`'),
    detail: eventDetailSchema(definition, data),
  });
}

/** An event a consumer cannot act on: it does not match its schema. Thrown so that it is retried and then set aside. */
export class MalformedEventError extends Error {
  constructor(reason: string) {
    super(`Malformed event: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/** What a consumer knows of an event once it parsed. */
export interface DeliveredEvent {
  readonly type: EventType;
  readonly detail: {
    readonly id: string;
    readonly occurredAt: string;
    readonly actor: string;
    readonly subject: EventSubject;
    readonly data: Readonly<Record<string, unknown>>;
  };
  /** The relay replaced `data` by a pointer: the event was over EventBridge's size limit. */
  readonly truncated: boolean;
}

const schemas = new Map<string, z.ZodType>();
function schemaOf(definition: EventDefinition, truncated: boolean): z.ZodType {
  const key = `${definition.type}${truncated ? '#truncated' : ''}`;
  let schema = schemas.get(key);
  if (!schema) {
    schema = deliveredEventSchema(definition, truncated ? TRUNCATED_DATA : definition.data);
    schemas.set(key, schema);
  }
  return schema;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first few problems of a failed parse, each with where it is: `detail.subject.id: …`. */
function reasonOf(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(event)'}: ${issue.message}`);
  const more = error.issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * Parses an event received from the bus as one of the `accepted` types, envelope and `data`
 * (or the relay's truncation pointer) alike.
 *
 * @throws {MalformedEventError} naming what is wrong, when it is not one of them or does not match its schema.
 */
export function parseDelivered(event: unknown, accepted: readonly EventDefinition[]): DeliveredEvent {
  const type = isRecord(event) ? event['detail-type'] : undefined;
  const definition = accepted.find((d) => d.type === type);
  if (!definition) {
    throw new MalformedEventError(
      `detail-type ${JSON.stringify(type) ?? 'missing'} is not one of ${accepted.map((d) => `"${d.type}"`).join(', ')}.`,
    );
  }
  const detail = isRecord(event) && isRecord(event.detail) ? event.detail : undefined;
  const truncated = isRecord(detail?.data) && detail.data.truncated === true;
  const parsed = schemaOf(definition, truncated).safeParse(event);
  if (!parsed.success) throw new MalformedEventError(`"${definition.type}": ${reasonOf(parsed.error)}`);
  const { detail: valid } = parsed.data as { detail: DeliveredEvent['detail'] };
  return { type: definition.type, detail: valid, truncated };
}

/** A workflow-run event (a subject was created, entered a stage) and the subject it is about. */
export interface DeliveredRunEvent extends DeliveredEvent {
  readonly kind: RunKind;
}

/**
 * Parses a workflow-run subject's `role` event (`created`: `Release Created`, `Change Recorded`;
 * `entered`: `Release Stage Entered`, `Change State Changed`) of any kind.
 *
 * @throws {MalformedEventError} when it does not match its schema or its subject is not of its kind.
 */
export function parseRunEvent(event: unknown, role: 'created' | 'entered'): DeliveredRunEvent {
  const delivered = parseDelivered(
    event,
    RUN_KINDS.map((k) => SUBJECT_KINDS[k].events[role]),
  );
  const kind = RUN_KINDS.find((k) => SUBJECT_KINDS[k].events[role].type === delivered.type) as RunKind;
  if (delivered.detail.subject.kind !== kind) {
    throw new MalformedEventError(
      `"${delivered.type}": detail.subject.kind is "${delivered.detail.subject.kind}", not "${kind}".`,
    );
  }
  return { ...delivered, kind };
}
