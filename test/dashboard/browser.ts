/**
 * Browser test support: Debian's Chromium driven by playwright-core. Without Chromium the browser
 * tests are skipped with one printed line, except under CI=true, where they fail: CI installs it
 * (.ci/run). Screenshots go to a temporary directory, or into docs/img with UPDATE_SCREENSHOTS=1
 * (then committed).
 */
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS, findChromium, NO_CHROMIUM } from '../../src/sim/chromium.js';
import { ROOT, tempDir } from '../helpers.js';

export const executable = findChromium();
export const ci = process.env.CI === 'true';

/** true when the browser tests run; prints why not, once, otherwise */
export function browserTestsRun(what: string): boolean {
  if (executable) return true;
  if (ci) return true; // they run, and fail in launch() with the reason
  console.log(`skipping ${what}: ${NO_CHROMIUM}`);
  return false;
}

export async function launch(): Promise<Browser> {
  if (!executable) throw new Error(`the browser tests need Chromium under CI=true: ${NO_CHROMIUM}`);
  return chromium.launch({ executablePath: executable, args: CHROMIUM_FLAGS });
}

const shots = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : null;
let scratch: string | null = null;

/** where a screenshot named `name` goes */
export function screenshotPath(name: string): string {
  if (shots) return join(shots, name);
  scratch ??= tempDir();
  return join(scratch, name);
}
