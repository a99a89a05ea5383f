/**
 * Mermaid diagrams rendered to SVG, for slides and print (`simulate --diagram`). Mermaid measures
 * text with a browser's layout, and there is no renderer without one, so this runs Mermaid 11's
 * browser bundle (vendor/mermaid/, never a CDN) in the same headless Chromium the browser tests
 * use, driven by playwright-core (which downloads nothing). See chromium.ts for where the browser
 * is found, and docs/decisions.md for why the bundle is vendored rather than installed.
 */
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS, findChromium, NO_CHROMIUM } from './chromium.js';

/** Mermaid's self-contained browser bundle, kept in the repository (scripts/vendor-mermaid.sh refreshes it); the same path from src/sim and dist/sim */
export const MERMAID_BUNDLE = fileURLToPath(new URL('../../vendor/mermaid/mermaid.min.js', import.meta.url));

export class NoBrowserError extends Error {
  constructor() {
    super(NO_CHROMIUM);
  }
}

/** One SVG document per Mermaid definition, in order. */
export async function renderSvgs(definitions: string[], executable = findChromium()): Promise<string[]> {
  if (!executable) throw new NoBrowserError();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: executable, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
    await page.addScriptTag({ path: MERMAID_BUNDLE });
    const svgs = await page.evaluate(async (defs: string[]) => {
      const m = (globalThis as unknown as { mermaid: { initialize(c: object): void; render(id: string, text: string): Promise<{ svg: string }> } }).mermaid;
      m.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict', sequence: { useMaxWidth: false } });
      const out: string[] = [];
      for (let i = 0; i < defs.length; i++) out.push((await m.render(`diagram-${i}`, defs[i]!)).svg);
      return out;
    }, definitions);
    return svgs.map((svg) => `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
  } finally {
    await browser.close();
  }
}
