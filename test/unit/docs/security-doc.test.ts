/**
 * docs/security.md says which test proves each claim, as `file` › "test name", "test name". The
 * cited-paths test checks the files exist; this one checks the names: every cited test is declared
 * in the file cited (a renamed or deleted test would otherwise leave a claim proven by nothing),
 * and every threat row cites at least one. Names of `it.each` tests are cited with their `%s`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const doc = readFileSync(new URL('docs/security.md', root), 'utf8');

/** Each `file` › "name", "name" of a text: the file and the names it cites. */
function citations(text: string): { file: string; names: string[] }[] {
  return [...text.matchAll(/`(test\/[^`]+\.ts)` › /g)].map((m) => {
    const names: string[] = [];
    // A name ends at the quote before `, "`, `;`, the cell's end or the line's: names may hold
    // quotes (Resource "*") and semicolons of their own, never one of those after a quote.
    const name = /"(.*?)"(?=, "|;|\s*\||\s*$)(, )?/y;
    name.lastIndex = (m.index ?? 0) + m[0].length;
    for (let n = name.exec(text); n; n = n[2] ? name.exec(text) : null) names.push(n[1] as string);
    return { file: m[1] as string, names };
  });
}

/** The rows of the "Threats, controls and their proofs" table, without its header. */
function threatRows(): string[] {
  const section = doc.slice(
    doc.indexOf('## Threats, controls and their proofs'),
    doc.indexOf('## Not proven here'),
  );
  return section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2);
}

describe('docs/security.md', () => {
  it('cites only tests that exist, each in the file it names', () => {
    const cited = citations(doc);
    expect(cited.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const { file, names } of cited) {
      if (!existsSync(new URL(file, root))) {
        missing.push(file);
        continue;
      }
      const source = readFileSync(new URL(file, root), 'utf8');
      if (names.length === 0) missing.push(`${file} › (no test name)`);
      for (const name of names) if (!source.includes(name)) missing.push(`${file} › "${name}"`);
    }
    expect(missing).toEqual([]);
  });

  it('proves every threat row with at least one cited test', () => {
    const rows = threatRows();
    expect(rows.length).toBeGreaterThan(10);
    const unproven = rows.filter((row) => citations(row.split('|').at(-2) ?? '').length === 0);
    expect(unproven).toEqual([]);
  });
});
