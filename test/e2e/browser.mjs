// Headless Debian chromium through playwright-core: the workbench client that makes code-server start an extension
// host. (Playwright's own browser downloads cannot work offline; the Debian build is used instead.)
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', // we run as root in CI
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-default-apps',
  '--disable-extensions',
  '--mute-audio',
];

/** Launch chromium and open one page of the given size. Returns { browser, context, page, close() }. */
export async function launchBrowser({ width = 1400, height = 900, headless = true } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}. Run: bash scripts/e2e/install-host.sh`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS, timeout: 30_000 });
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const close = async () => {
    await browser.close().catch(() => {});
  };
  return { browser, context, page, close };
}
