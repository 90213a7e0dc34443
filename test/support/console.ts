/**
 * Helpers of the console's browser tests (issue 16), shared by test/e2e/console*.test.ts: a fresh
 * tab that records page errors, axe-core in the page, screenshots to test/artifacts/, local sign-in.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const AXE = join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');

/** Debian's chromium, launched; with the artifacts directory ready. */
export async function launchChromium(): Promise<Browser> {
  // No skipping: without the browser a test fails, saying which one it needs.
  if (!existsSync(CHROMIUM))
    throw new Error(
      `The console's browser tests need chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH).`,
    );
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM });
}

/** A fresh tab with its own sessionStorage; fails the test on any page error or CSP violation. */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A problem the console shows on purpose is logged by nobody; only the browser's own errors
    // (CSP refusals, failed loads other than expected 4xx answers) land here.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

/** axe-core in the page: evaluated, not injected as a tag, so the console's CSP stays in force. */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  await page.evaluate(await readFile(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string }[] }> };
      }
    ).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help }));
  });
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `axe on the ${view} view`,
  ).toEqual([]);
}

export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

/** Signs in on the local cloud by choosing `user`. */
export async function signIn(page: Page, consoleUrl: string, user: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('User').selectOption(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByText(`Signed in as ${user}`).count()).toBe(1);
}

/**
 * The console of a local cloud at `apiUrl`, by the name `localhost` (the origin the local
 * Step Functions endpoint answers CORS for, and the one a developer's browser uses).
 */
export const consoleUrlOf = (apiUrl: string) => `${apiUrl.replace('127.0.0.1', 'localhost')}/console/`;

/** What a console test's afterAll closes: its browser, then its cloud. */
export async function closeConsoleTest(
  browser: Browser | undefined,
  cloud: { stop(): Promise<unknown> } | undefined,
) {
  await browser?.close();
  await cloud?.stop();
}
