// One headless Chromium for the browser tests and the bench: Debian's /usr/bin/chromium,
// driven by the playwright-core that scripts/browser.sh installs (pinned by this
// folder's package-lock.json) into target/browser/playwright/node_modules, or FLOWC_NODE_MODULES.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = resolve(process.env.FLOWC_NODE_MODULES || join(here, '..', '..', 'target', 'browser', 'playwright', 'node_modules'));
const { chromium } = createRequire(join(modules, 'noop.js'))('playwright-core');

export const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
}
