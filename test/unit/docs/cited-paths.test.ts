/**
 * House rule 8: every file or folder a comment or a document cites exists. Paths are recognised
 * from the project root (`functions/…`, `infra/…`, `docs/…`); templates (`<name>`, `*`, `{id}`)
 * are not paths.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'cdk.out', '.stryker-tmp', 'reports', '.data', '.git', 'coverage']);
const TOP = ['functions', 'infra', 'workflows', 'test', 'docs', 'scripts', 'client', '.ci'];
/** The files of a hypothetical example a document names on purpose (the knowledge base's articles). */
const EXAMPLES: Readonly<Record<string, RegExp>> = { 'docs/adding-a-resource.md': /article/ };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs|md)$/.test(name) ? [path] : [];
  });
}

const CITED = new RegExp(
  `(?<![\\w/.#@-])((?:${TOP.map((t) => t.replace('.', '\\.')).join('|')})/[\\w./-]*[\\w/])`,
  'g',
);

/**
 * Directories the project writes and git ignores (.gitignore): on a fresh clone they exist only
 * once a test has written them, so a citation of one is checked against .gitignore instead.
 */
const OUTPUTS = ['test/artifacts/'];

describe('cited paths', () => {
  it('exist, every one', () => {
    const files = [...TOP.filter((t) => existsSync(join(root, t))).flatMap((t) => sources(join(root, t)))];
    for (const name of readdirSync(root)) if (name.endsWith('.md')) files.push(join(root, name));
    const missing: string[] = [];
    for (const file of files) {
      const example = EXAMPLES[relative(root, file)];
      for (const match of readFileSync(file, 'utf8').matchAll(CITED)) {
        const cited = (match[1] as string).replace(/[.]+$/, '');
        const next = match.input?.[(match.index ?? 0) + (match[1] as string).length];
        // `functions/http/<name>.ts`, `keys.*`, `{id}`: a template, not a path.
        if (next === '<' || next === '*' || next === '{' || cited.endsWith('-')) continue;
        if (example?.test(cited)) continue;
        if (OUTPUTS.some((o) => cited === o.slice(0, -1) || cited.startsWith(o))) continue;
        if (!existsSync(join(root, cited))) missing.push(`${relative(root, file)}: ${cited}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('of the outputs name directories git ignores', () => {
    const ignored = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
    for (const output of OUTPUTS) expect(ignored).toContain(`/${output}`);
  });
});
