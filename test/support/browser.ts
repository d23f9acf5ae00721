// One headless Debian chromium per test file, driven by playwright-core (never a downloaded browser).
// Needs: apt-get install -y chromium
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startedForFile } from './fixture.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotDir = join(process.cwd(), 'test-results', 'screenshots');

export interface TestBrowser {
  /** A fresh context (cookies, storage) per scenario, on the one browser of the file. */
  context(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** playwright-core's launch gives every browser its own new temporary profile (user-data dir), removed on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found; install it with: apt-get install -y chromium`);
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    async context() {
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return context;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
    },
  };
}

/** For a test file: the browser, launched in beforeAll and closed in afterAll; it stands for the launched one from the first test on. */
export function useBrowser(): TestBrowser {
  return startedForFile('the browser of useBrowser()', launchBrowser, (browser) => browser.close());
}

/**
 * A page in a fresh context, watched: console errors of `origin`'s pages (consoleErrors), page errors, and any
 * dialog (dismissed, as no page of ours opens one) are collected in `errors`.
 */
export async function watchedPage(
  browser: TestBrowser,
  origin: string,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.context();
  const page = await context.newPage();
  const errors = consoleErrors(page, origin);
  page.on('dialog', (dialog) => {
    errors.push(`a dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, errors };
}

/** Saves a screenshot (the whole page unless told) as test-results/screenshots/<scenario>-<name>.png, kept as a test artifact. */
export async function screenshot(page: Page, scenario: string, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${scenario}-${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}

/**
 * Console errors of our own pages (a CSP violation, a stylesheet that did not load), so a test can
 * assert that the pages work as served. The IdP's pages are not ours and are left out.
 */
export function consoleErrors(page: Page, origin: string): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    // A 4xx page (a refusal, a wrong password) is logged as a failed load; that is the page working as meant.
    const expectedStatus = message.text().startsWith('Failed to load resource: the server responded with a status of 4');
    if (message.type() === 'error' && message.location().url.startsWith(origin) && !expectedStatus) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
