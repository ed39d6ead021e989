// GraphiQL as an administrator's browser sees it, with no network: Chromium may reach the
// server's origin only, and any CSP violation, console error or page error fails the test.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { startServer, repoRoot } from '../lib/server.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('GraphiQL renders offline, runs the preloaded query and shows data', async () => {
  const origin = new URL(server.url).origin;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const blocked = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page: ${error.message}`));

  const response = await page.goto(server.graphql, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);

  // The editor, with the first example operation preloaded.
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(
    () => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.getValue().includes('query'),
    null,
    { timeout: 30_000 },
  );
  const query = await page.evaluate(
    () => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue(),
  );
  assert.match(query, /query Directory/);
  // One tab per example of docs/operations/.
  assert.ok((await page.locator('.graphiql-tab').count()) > 1, 'the examples open as tabs');

  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(
    () => document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue().includes('"territories"'),
    null,
    { timeout: 30_000 },
  );
  const result = JSON.parse(
    await page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()),
  );
  assert.equal(result.errors, undefined);
  assert.equal(result.data.territories.length, 7);

  // A dialog adds GraphiQL's one <style> element: allowed by the page's nonce.
  await page.locator('[aria-label="Open settings dialog"]').click();
  await page.locator('.graphiql-dialog').waitFor({ state: 'visible' });
  const styles = await page.evaluate(() => [...document.querySelectorAll('style')].map((s) => s.nonce !== ''));
  assert.ok(styles.length >= 2 && styles.every(Boolean), 'every <style> carries the nonce');
  await page.keyboard.press('Escape');

  // Kept in tests/node/screenshots/ with SCREENSHOTS=1 (tests/node/screenshots.sh); a
  // normal run takes it into a temporary folder and leaves the repository as it was.
  const keep = process.env.SCREENSHOTS === '1';
  const screenshots = keep
    ? path.join(repoRoot, 'tests', 'node', 'screenshots')
    : mkdtempSync(path.join(os.tmpdir(), 'graphiql-screenshot-'));
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'graphiql.png') });
  assert.ok(statSync(path.join(screenshots, 'graphiql.png')).size > 1000, 'the screenshot was written');
  if (!keep) rmSync(screenshots, { recursive: true, force: true });

  assert.deepEqual(blocked, [], 'no request leaves the origin');
  assert.deepEqual(problems, [], 'no CSP violation, console or page error');
  await context.close();
});
