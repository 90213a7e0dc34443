/**
 * The console's change calendar (issue 16) in a real headless browser: an SLA's blackout covers a
 * CI and a release is planned on that CI inside it (seeded through the API); a release manager
 * opens the calendar, moves to that week by keyboard, and sees the blackout, the release and the
 * conflict spelled out in text; narrowed to the CI and by month too; the .ics download carries
 * the feed; an unknown CI shows the API's 404 problem. axe finds no serious or critical violation;
 * screenshots go to test/artifacts/.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import {
  closeConsoleTest,
  consoleUrlOf,
  expectAccessible,
  launchChromium,
  newPage,
  screenshot,
  signIn,
} from '../support/console.ts';
import { ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const DAY = 86_400_000;
let t: TestCloud;
let browser: Browser;
let consoleUrl: string;
let ciId = '';
/** Monday of next week (UTC), where the blackout and the release sit: one "Next week" away. */
let monday: Date;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release'] });
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  monday = new Date(today - ((now.getUTCDay() + 6) % 7) * DAY + 7 * DAY);
  const at = (days: number, hours = 0) => new Date(monday.getTime() + days * DAY + hours * 3_600_000);
  const ci = await ok(
    t.api('rm').POST('/cis', {
      body: { type: 'application', name: 'Web shop', attributes: {}, relations: [] },
    }),
    201,
  );
  ciId = ci.id;
  await ok(
    t.api('admin').POST('/slas', {
      body: {
        name: 'Shop SLA',
        ciIds: [ciId],
        blackouts: [
          {
            start: at(0).toISOString().replace('.000Z', '+00:00'),
            end: at(7).toISOString().replace('.000Z', '+00:00'),
            tz: 'UTC',
            reason: 'Winter sale, no changes',
          },
        ],
      },
    }),
    201,
  );
  await ok(
    t.api('rm').POST('/releases', {
      body: releaseBody({
        title: 'Shop checkout 2.0',
        plannedStart: at(1, 10).toISOString(),
        plannedEnd: at(1, 12).toISOString(),
        tasks: [{ title: 'Deploy checkout', workGroupId: 'wg_deployment', ciIds: [ciId], ciUpdates: [] }],
      }),
    }),
    201,
  );
  await t.cloud.settle();
  consoleUrl = consoleUrlOf(t.cloud.apiUrl);
  browser = await launchChromium();
}, 120_000);

afterAll(() => closeConsoleTest(browser, t));

const entries = (page: Page) => page.locator('.entries').allTextContents();

describe('the change calendar in the console', () => {
  it('a release manager sees the blackout, the release on its CI inside it, and the conflict in words', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'rm');
    await page.getByRole('link', { name: 'Change calendar' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Change calendar');
    // By keyboard: focus "Next week" and press Enter.
    await page.getByRole('button', { name: 'Next week →' }).focus();
    await page.keyboard.press('Enter');
    const week = `Week of ${monday.toISOString().slice(0, 10)}`;
    await expect.poll(() => page.getByTestId('calendar-range').textContent()).toContain(week);
    await expect.poll(async () => (await entries(page)).join('\n')).toContain('Release: Shop checkout 2.0');
    const text = (await entries(page)).join('\n');
    expect(text).toContain('Blackout: Shop SLA — Winter sale, no changes');
    const window = `${monday.toISOString().slice(0, 10)} 00:00 UTC – ${new Date(monday.getTime() + 7 * DAY).toISOString().slice(0, 10)} 00:00 UTC`;
    expect(text).toContain(`conflict: Shop SLA ${window}`);
    expect(text).toContain('conflict: release Shop checkout 2.0');
    await expectAccessible(page, 'calendar');
    await screenshot(page, 'calendar');

    // 200% zoom: the days reflow into half the width, nothing scrolls sideways.
    await page.setViewportSize({ width: 640, height: 900 });
    // A string: this file is type-checked without the DOM library.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await screenshot(page, 'calendar-200pct');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Narrowed to the CI: the same plan and blackout; the month view holds them too.
    await page.getByLabel('CI').fill(ciId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await entries(page)).join('\n')).toContain(`conflict: Shop SLA ${window}`);
    await page.getByLabel('View').selectOption('month');
    await expect.poll(() => page.getByTestId('calendar-range').textContent()).toMatch(/^\w+ \d{4}/);
    // Back a month and forward again: the month of the week shown, which the week-long blackout
    // reaches whichever month that is, listing the release it conflicts with.
    await page.getByRole('button', { name: '← Previous month' }).click();
    await page.getByRole('button', { name: 'Next month →' }).click();
    await expect
      .poll(async () => (await entries(page)).join('\n'))
      .toContain('conflict: release Shop checkout 2.0');
    await expectAccessible(page, 'calendar month');
    await screenshot(page, 'calendar-month');

    // The feed needs the bearer token: the console downloads it as a file with the token.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .ics' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^change-calendar-\d{4}-\d{2}-\d{2}\.ics$/);
    const path = await download.path();
    const ics = await readFile(path, 'utf8');
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics).toContain('SUMMARY:Release: Shop checkout 2.0');

    // An unknown CI is the API's 404, shown as its problem's title and detail.
    await page.getByLabel('CI').fill('ci_ghost');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByRole('alert').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toMatch(/^Not Found: .*ci_ghost/);
    expect(errors).toEqual([]);
  }, 90_000);
});
