/**
 * Where the headless Chromium is (for `simulate --diagram`'s SVG and the browser tests), and how
 * it is started: Debian's `chromium` package driven by playwright-core, which never downloads a
 * browser. WAREHOUSE_CHROMIUM names another executable (a Chrome, a Chromium elsewhere).
 */
import { existsSync } from 'node:fs';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** the flags Chromium needs in containers and CI (no sandbox, no GPU, no background traffic) */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.WAREHOUSE_CHROMIUM) return existsSync(env.WAREHOUSE_CHROMIUM) ? env.WAREHOUSE_CHROMIUM : null;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export const NO_CHROMIUM = 'no Chromium found (apt-get install chromium, or set WAREHOUSE_CHROMIUM to a Chrome or Chromium executable)';
