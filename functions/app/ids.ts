/**
 * Time-sortable unique ids (ULID, https://github.com/ulid/spec), prefixed with what they identify:
 * `rel_01J…`, `evt_01J…`. Written here rather than imported from the `ulid` package: every
 * function carries it, and the package's 2.4 KB minified (decoders, fixers, its own PRNG
 * detection) was what the telemetry of issue 15 needed to fit the bundle budget
 * (docs/decisions.md, "Telemetry").
 */
import { getRandomValues } from 'node:crypto';
import type { IdGenerator } from '#domain/ports';

/** Crockford's base 32, as the ULID spec encodes. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID factory that is monotonic within a process: within one millisecond (or when the clock
 * steps back) the next id is the previous one plus one in its random part, so ids made one after
 * the other sort in the order they were made.
 */
export function monotonicUlid(now: () => number = Date.now): () => string {
  let lastTime = -1;
  // 16 base-32 digits of randomness (80 bits), most significant first.
  let random: number[] = [];
  return () => {
    const time = now();
    if (time > lastTime) {
      lastTime = time;
      random = Array.from(getRandomValues(new Uint8Array(16)), (b) => b & 31);
    } else {
      let i = random.length - 1;
      while (i >= 0 && random[i] === 31) random[i--] = 0;
      // Past 2^80 ids in one millisecond (never) it wraps around to zeros rather than throw.
      if (i >= 0) random[i] = (random[i] as number) + 1;
    }
    let encodedTime = '';
    for (let t = lastTime, n = 0; n < 10; n++, t = Math.floor(t / 32))
      encodedTime = ALPHABET[t % 32] + encodedTime;
    return encodedTime + random.map((d) => ALPHABET[d]).join('');
  };
}

export function ulidIds(): IdGenerator {
  const ulid = monotonicUlid();
  return { next: (prefix: string) => `${prefix}_${ulid()}` };
}
