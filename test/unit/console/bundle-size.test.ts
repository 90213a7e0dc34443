/**
 * The console's weight budget (issue 16): everything a browser downloads to open it, gzipped, at
 * most 150 KB; and the build is whole (index.html loads the bundle, the stylesheet and the icon it ships).
 */
import { describe, expect, it } from 'vitest';
import { buildConsole, consoleBundleSize } from '../../../console/build.ts';

describe('the console build', () => {
  it('ships index.html, one script, one stylesheet and the icon, the page naming each', async () => {
    const assets = await buildConsole();
    expect([...assets.keys()].sort()).toEqual(['app.css', 'app.js', 'favicon.svg', 'index.html']);
    const html = assets.get('index.html')?.body.toString('utf8') ?? '';
    expect(html).toContain('src="./app.js"');
    expect(html).toContain('href="./app.css"');
    // Without its own icon the browser asks the origin's /favicon.ico: the API's 404 on the local cloud.
    expect(html).toContain('href="./favicon.svg"');
    expect(assets.get('app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('favicon.svg')?.contentType).toBe('image/svg+xml');
  });

  it('stays within 150 KB gzipped', async () => {
    const { gzipBytes, bytes } = await consoleBundleSize();
    expect(bytes).toBeGreaterThan(gzipBytes);
    expect(gzipBytes).toBeLessThanOrEqual(150 * 1024);
  });
});
