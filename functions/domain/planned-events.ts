/**
 * Detail types that are part of the contract (DESIGN §5) but that no domain function emits yet:
 * their schemas fix the envelope, and `data` is any object until the feature lands. A feature that
 * lands moves its definition beside its aggregate, with a real `data` schema.
 */
import { plannedEvent } from './events.ts';

export const BlackoutOverridden = plannedEvent(
  'Blackout Overridden',
  'A transition went ahead despite a blackout period, with a reason.',
  { caption: 'every blackout override' },
);
