/**
 * Views of a workflow run that releases and RFCs share: its history and its execution. Kept out
 * of either resource's module so that one resource's function does not bundle the other's routes.
 */
import { pageOf } from './common.ts';
import * as z from './zod.ts';

export const HistoryEntry = z
  .object({
    id: z.string(),
    type: z.string(),
    occurredAt: z.string(),
    actor: z.string(),
    from: z.string().optional(),
    to: z.string().optional(),
    reason: z.string().optional(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('HistoryEntry');

export const HistoryPage = pageOf(HistoryEntry).openapi('HistoryPage');

export const ExecutionViewSchema = z
  .object({
    executionArn: z.string(),
    status: z.string(),
    startDate: z.string().nullable(),
    stopDate: z.string().nullable(),
    currentState: z.string().nullable(),
    events: z.array(
      z.object({
        id: z.number(),
        type: z.string(),
        timestamp: z.string().nullable(),
        state: z.string().optional(),
      }),
    ),
  })
  .openapi('Execution');
