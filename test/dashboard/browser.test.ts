/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * server on port 0 on a paced virtual clock (`serve --clock virtual`). Every wait is on the page's
 * DOM (a count in the diagram, a row in the timeline), never on time. Screenshots of the main
 * views go to docs/img with UPDATE_SCREENSHOTS=1.
 *
 * Every test also fails on what the page itself noticed: an uncaught error, a panel's refresh
 * that failed (the page logs it as a console warning and carries on, so a DOM wait alone would
 * only time out), a failed request, a GET the server refused, or a request to another origin.
 */
import { createTokenService } from '../../src/app/tokens.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { checkInvariants, tempDb } from '../helpers.js';
import { rowCounts } from '../http/support.js';
import { browserTestsRun, launch, screenshotPath } from './browser.js';
import { explain } from '../../src/explore/explain.js';
import { explore } from '../../src/explore/search.js';
import { storyData } from '../../src/explore/story.js';
import { encodeToken } from '../../src/explore/token.js';
import { loadScenarioFile } from '../../src/sim/loader.js';

const START = Date.UTC(2026, 0, 1, 9);
const run = browserTestsRun('the browser tests of the dashboard');

interface Served extends RunningServer {
  db: string;
}

describe.runIf(run)('the dashboard in a browser', () => {
  // launched by the first test that needs it: under CI=true without Chromium, each test fails with the reason
  let browser: Browser | undefined;
  const servers: Served[] = [];
  const pages: Array<{ page: Page; errors: string[] }> = [];

  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const noticed = pages.flatMap((p) => p.errors);
    for (const p of pages.splice(0)) await p.page.close();
    for (const s of servers.splice(0)) {
      await s.close();
      expect(checkInvariants(s.db)).toEqual([]);
    }
    expect(noticed, 'what the page noticed').toEqual([]);
  });

  async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<Served> {
    const db = tempDb();
    const server = await startServer({ database: db, clock: createPacedClock(START), port: 0, logLevel: 'silent', ...options });
    const s = Object.assign(server, { db });
    servers.push(s);
    return s;
  }

  /** `as`: a token already in the tab (sessionStorage), and the address to call the server by */
  async function open(server: Served, viewport = { width: 1280, height: 720 }, as: { token?: string; base?: string } = {}): Promise<Page> {
    const base = as.base ?? server.url;
    browser ??= await launch();
    const page = await browser.newPage({ viewport });
    if (as.token) await page.addInitScript((t) => sessionStorage.setItem('warehouse.token', t), as.token);
    // a wait that cannot succeed fails with its selector before the test's own timeout
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    pages.push({ page, errors });
    page.on('pageerror', (e) => errors.push(e.message));
    // the browser's own line for a 4xx/5xx answer is left out: the tests provoke some on purpose (401), and GETs are watched below
    page.on('console', (m) => {
      if ((m.type() === 'warning' || m.type() === 'error') && !m.text().startsWith('Failed to load resource')) errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.request().method() === 'GET' && r.status() >= 400) errors.push(`GET ${r.url()} answered ${r.status()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) errors.push(`a request left the server: ${r.url()}`);
    });
    await page.goto(`${base}/`);
    await page.waitForSelector('#conn[data-connection="live"]');
    return page;
  }

  const count = (page: Page, state: string, n: number) => page.waitForSelector(`#diagram [data-state="${state}"][data-count="${n}"]`);

  async function createOrder(page: Page, sku: string, qty: number) {
    await page.fill('#order-form [name=sku]', sku);
    await page.fill('#order-form [name=qty]', String(qty));
    await page.click('#order-form button[type=submit]');
  }

  it('creates an order through the form, steps the virtual clock, and shows it reserved in the diagram and the timeline', async () => {
    const server = await serve();
    const page = await open(server);
    await page.waitForSelector('#clock-now:text-is("09:00:00 UTC")');
    await createOrder(page, 'gadget', 5);
    await page.waitForSelector('#message:has-text("order #1 created: GADGET × 5")');
    await count(page, 'awaiting_restock', 1);
    await page.waitForSelector('.explain .path:text-is("pending → awaiting_restock")');
    await page.waitForSelector('.explain .next:has-text("check 1 of the supplier\'s status at +15 s")');
    await page.waitForSelector('#clock-mode:has-text("next at 09:00:15")');

    await page.click('[data-clock-action="step"]');
    await count(page, 'reserved', 1);
    await count(page, 'awaiting_restock', 0);
    await page.waitForSelector('#timeline tr[data-type="OrderReserved"]');
    await page.waitForSelector('.explain .path:text-is("pending → awaiting_restock → reserved")');
    await page.waitForSelector('#clock-now:text-is("09:00:15 UTC")');
    expect(await page.locator('#timeline tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.type).filter(Boolean))).toEqual([
      'OrderCreated',
      'SupplierReservationRequested',
      'SupplierReservationAccepted',
      'SupplierStatusChecked',
      'InventoryReserved',
      'OrderReserved',
    ]);
    await page.waitForSelector('#check[data-check="ok"]');
    // the supplier's delivery, in the order's movements (read from the SKU's paged ledger)
    expect(await page.locator('#detail-body tr[data-movement]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.movement))).toEqual([
      'restock',
      'reservation',
    ]);

    // a few more orders, so the screenshot shows every state
    await page.fill('#stock-form [name=sku]', 'WIDGET');
    await page.fill('#stock-form [name=qty]', '10');
    await page.click('#stock-form button[value=set]');
    await page.waitForSelector('#stock-table tr[data-sku="WIDGET"]');
    await page.click('#stock-table tr[data-sku="WIDGET"]');
    await page.waitForSelector('#stock-body h3:text-is("Ledger of WIDGET")');
    await page.waitForSelector('#stock-body tr[data-movement="adjustment"]');
    await createOrder(page, 'WIDGET', 3);
    await count(page, 'reserved', 2);
    await page.fill('#supplier-form [name=sku]', 'GIZMO');
    await page.selectOption('#supplier-preset', 'delayedOk');
    await page.click('#supplier-form button[type=submit]');
    await page.waitForSelector('#message:has-text("supplier script for GIZMO")');
    await createOrder(page, 'GIZMO', 4);
    await count(page, 'awaiting_restock', 1);
    await page.click('[data-clock-action="step"]');
    await page.waitForSelector('#timeline tr[data-type="SupplierStatusChecked"]');
    await page.click('.explain summary');
    await page.screenshot({ path: screenshotPath('dashboard.png') });
  });

  it('creates a multi-line order from the form (SKU:QTY pairs) and names a bad line the server refuses', async () => {
    const server = await serve();
    for (const sku of ['A', 'B'])
      await fetch(`${server.url}/api/inventory/${sku}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"onHand":5}' });
    const page = await open(server);
    await page.fill('#order-form [name=sku]', 'a:2, B:x');
    await page.click('#order-form button[type=submit]');
    await page.waitForSelector('#message:has-text("line 2")');
    expect((await (await fetch(`${server.url}/api/orders`)).json()).orders).toEqual([]);
    await page.fill('#order-form [name=sku]', 'a:2, B:1');
    await page.click('#order-form button[type=submit]');
    await page.waitForSelector('#message:has-text("order #1 created: A × 2 + B × 1 (2 lines)")');
    await page.waitForSelector('#lines tr[data-line="2"][data-status="reserved"]');
    expect(await page.locator('#lines tr[data-line]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status))).toEqual([
      'reserved',
      'reserved',
    ]);
  });

  it("shows a multi-line order's lines, each with its state, and their movements from each SKU's ledger", async () => {
    const server = await serve();
    for (const sku of ['A', 'B'])
      await fetch(`${server.url}/api/inventory/${sku}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"onHand":5}' });
    const res = await fetch(`${server.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        lines: [
          { sku: 'B', qty: 2 },
          { sku: 'A', qty: 1 },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const page = await open(server);
    await page.locator('#orders-list tr[data-order-id="1"]').click();
    await page.waitForSelector('#lines tr[data-line="2"][data-status="reserved"]');
    expect(
      await page.locator('#lines tr[data-line]').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.line, (r as HTMLElement).dataset.status])),
    ).toEqual([
      ['1', 'reserved'],
      ['2', 'reserved'],
    ]);
    await page.waitForSelector('.explain .path:text-is("pending → reserved")');
    expect(await page.locator('#detail-body tr[data-movement]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.movement))).toEqual([
      'reservation',
      'reservation',
    ]);
  });

  it('retries a dead letter with its button', async () => {
    const server = await serve({ settings: { jobAttempts: 2 } });
    const page = await open(server);
    await page.fill('#supplier-form [name=sku]', 'BOLT');
    await page.selectOption('#supplier-preset', 'down');
    await page.click('#supplier-form button[type=submit]');
    await page.waitForSelector('#message:has-text("supplier script for BOLT")');
    await createOrder(page, 'BOLT', 1);
    await page.waitForSelector('#queue-body .countdown:has-text("in 1 s")', { timeout: 5000 }); // the retry after the first HTTP 500
    await page.click('[data-clock-action="step"]');
    await count(page, 'failed', 1);
    const item = page.locator('#dead-letters li[data-dead-letter="1"]');
    await item.waitFor();
    await expect(item.textContent()).resolves.toMatch(/ReserveInventory for order #1, 2 attempts.*HTTP 500/);
    await page.screenshot({ path: screenshotPath('dashboard-dead-letter.png') });
    await item.locator('button.retry').click();
    await page.waitForSelector('#message:has-text("dead letter 1 is queued again as job")');
    await item.waitFor({ state: 'detached' });
    await page.waitForSelector('#timeline tr[data-type="JobRetried"]');
    // inside the folded "why, step by step": attached, not visible
    await page.waitForSelector('.explain li:has-text("the job changes nothing")', { state: 'attached' });
  });

  it('fits 800 px wide and large fonts without scrolling sideways', async () => {
    const server = await serve({ supplierScript: { GADGET: { status: ['delayed', 'ok'] } } });
    await server.warehouse.inventory.set('WIDGET', 10);
    for (const sku of ['WIDGET', 'GADGET']) await server.warehouse.orders.create({ sku, qty: 3 });
    const page = await open(server, { width: 800, height: 1000 });
    await count(page, 'awaiting_restock', 1);
    await page.locator('#orders-list tr[data-order-id="2"]').click();
    await page.waitForSelector('.explain .path');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await page.screenshot({ path: screenshotPath('dashboard-800.png'), fullPage: true });
    await page.evaluate(() => (document.documentElement.style.fontSize = '24px')); // large fonts (the CSP forbids a <style> tag)
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  });

  describe('the layout a class sees on a projector', () => {
    it("fills the order's panel down to the window's bottom at 1400×1000 instead of cutting it short", async () => {
      const server = await serve({ supplierScript: { GIZMO: { status: ['delayed', 'delayed', 'ok'] } } });
      await server.warehouse.inventory.set('WIDGET', 10);
      for (let i = 0; i < 6; i++) await server.warehouse.orders.create({ sku: 'WIDGET', qty: 1 });
      await server.warehouse.orders.create({ sku: 'GIZMO', qty: 4 });
      const page = await open(server, { width: 1400, height: 1000 });
      await count(page, 'awaiting_restock', 1);
      for (let i = 0; i < 3; i++) await page.click('[data-clock-action="step"]');
      await count(page, 'reserved', 7);
      await page.waitForSelector('#detail-title:text-is("Order #7 · the newest")');
      await page.click('.explain summary');
      await page.waitForSelector('#detail-body tr[data-movement="reservation"]');
      const box = await page.evaluate(() => {
        const card = document.querySelector('#detail')!.getBoundingClientRect();
        const body = document.querySelector('#detail-body')!;
        const r = body.getBoundingClientRect();
        return { cardBottom: card.bottom, bodyBottom: r.bottom, overflows: body.scrollHeight > body.clientHeight, viewport: innerHeight };
      });
      // the order's story is longer than the window: its panel reaches the window's bottom (a margin left), its body the panel's
      expect(box.overflows).toBe(true);
      expect(box.viewport - box.cardBottom).toBeLessThan(24);
      expect(box.cardBottom - box.bodyBottom).toBeLessThan(16);
      await page.screenshot({ path: screenshotPath('dashboard-1400.png') });
    });

    it('keeps the token button with the clock controls at every width, never alone on a line', async () => {
      const server = await serve();
      await server.warehouse.orders.create({ sku: 'GIZMO', qty: 1 });
      const page = await open(server);
      await page.waitForSelector('#clock-mode:has-text("next at 09:00:15")');
      for (const width of [1400, 1280, 1100, 1000, 900, 800]) {
        await page.setViewportSize({ width, height: 720 });
        const [token, last] = await Promise.all(
          ['#token-button', '[data-clock-action="play"][data-rate="100"]'].map((s) => page.locator(s).evaluate((e) => e.getBoundingClientRect().top)),
        );
        expect(Math.abs(token! - last!), `at ${width} px`).toBeLessThan(4);
      }
    });

    it('draws the state diagram with labels big enough for a projector at 1280×720, all inside the picture', async () => {
      const server = await serve();
      const page = await open(server);
      const labels = await page.locator('#diagram text').evaluateAll((texts) =>
        texts.map((t) => {
          const svg = (t as SVGTextElement).ownerSVGElement!;
          const scale = svg.getScreenCTM()!.a;
          const size = Number.parseFloat(getComputedStyle(t).fontSize);
          const b = (t as SVGTextElement).getBBox();
          return { text: t.textContent, px: size * scale, left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height };
        }),
      );
      for (const l of labels) {
        expect(l.px, l.text ?? '').toBeGreaterThanOrEqual(12.5);
        expect(l.left, l.text ?? '').toBeGreaterThanOrEqual(0);
        expect(l.right, l.text ?? '').toBeLessThanOrEqual(460);
        expect(l.top, l.text ?? '').toBeGreaterThanOrEqual(0);
      }
    });

    it("shows the last minute's finished jobs as the server counted them: the same on a page opened later", async () => {
      const server = await serve();
      await server.warehouse.inventory.set('WIDGET', 10);
      const page = await open(server);
      await createOrder(page, 'WIDGET', 1);
      await count(page, 'reserved', 1);
      await page.waitForSelector('.rates:text-is("last minute: 1 done · 0 retried · 0 dead-lettered")');
      // a page opened afterwards (a reload, another tab) saw none of the events and says the same
      const later = await open(server);
      await later.waitForSelector('.rates:text-is("last minute: 1 done · 0 retried · 0 dead-lettered")');
    });
  });

  describe('replaying a counterexample of warehouse explore (explore --replay TOKEN --dashboard)', () => {
    /** the lost update of the naive strategy on the lock's lesson, as explore finds and shrinks it */
    async function lostUpdate() {
      const loaded = await loadScenarioFile('scenarios/lessons/the-lock.yaml');
      if (!loaded.ok) throw new Error('the lock lesson does not load');
      const variant = { strategy: 'naive' as const, breaks: [] };
      const found = await explore(loaded.scenario, { variant, crashes: false, budget: 100, seed: 1, expect: false });
      const v = found.violation!;
      return storyData({ scenario: loaded.scenario, variant: 'naive', token: encodeToken(variant, v.schedule), v, why: explain(v) });
    }

    it('shows the lanes side by side, one step at a time with the stock each saw, and turns the check red at the step that broke it', async () => {
      const story = await lostUpdate();
      const server = await serve({ story });
      const page = await open(server, { width: 1280, height: 900 });
      await page.waitForSelector('#story:not([hidden])');
      expect(await page.locator('#story .lane-head').allTextContents()).toEqual(['order first', 'order second']);
      await page.waitForSelector('#story-check[data-check="ok"]');
      expect(await page.locator('#story .step:visible').count()).toBe(0);

      for (let n = 1; n < story.breaking; n++) {
        await page.click('#story-step');
        await page.waitForSelector(`#story .step[data-n="${n}"]:visible`);
        await expect(page.locator('#story-check').getAttribute('data-check')).resolves.toBe('ok');
        await expect(page.locator('#story-why').isHidden()).resolves.toBe(true);
      }
      await page.click('#story-step');
      const breaking = page.locator(`#story .step.breaking[data-n="${story.breaking}"]`);
      await breaking.waitFor();
      await page.waitForSelector('#story-check[data-check="broken"]:text-is("✗ ledger-matches-on-hand")');
      await page.waitForSelector('#story-why:visible:has-text("read 1 on hand before order")');
      await page.waitForSelector('#story-why:has-text("both took it")');
      // the stock each lane saw: both read 1 before either wrote
      const seen = await page.locator('#story .step .saw').allTextContents();
      expect(seen.filter((t) => t === 'saw 1 on hand')).toHaveLength(2);
      expect(seen.filter((t) => t === 'left 0 on hand')).toHaveLength(2);
      // side by side: each lane in its own column, the second to the right of the first
      const left = (lane: string) =>
        page
          .locator(`#story .step[data-lane="${lane}"]`)
          .first()
          .evaluate((e) => e.getBoundingClientRect().left);
      expect(await left('second')).toBeGreaterThan((await left('first')) + 100);
      await page.screenshot({ path: screenshotPath('dashboard-story.png') });

      await page.click('#story-back');
      await page.waitForSelector('#story-check[data-check="ok"]');
      await expect(breaking.isHidden()).resolves.toBe(true);
    });

    it('stays hidden on a server started any other way', async () => {
      const server = await serve();
      const page = await open(server);
      await expect(page.evaluate(() => fetch('/api/explore/story').then((r) => r.json()))).resolves.toEqual({ story: null });
      await expect(page.locator('#story').isHidden()).resolves.toBe(true);
    });
  });

  it('follows the newest order until one is picked, as a class watching the demo wants', async () => {
    const server = await serve();
    const w = server.warehouse;
    await w.inventory.set('WIDGET', 10);
    for (let i = 0; i < 2; i++) await w.orders.create({ sku: 'WIDGET', qty: 1 });
    const page = await open(server);
    await page.waitForSelector('#detail-title:text-is("Order #2 · the newest")');
    await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await page.waitForSelector('#detail-title:text-is("Order #3 · the newest")');
    await page.locator('#orders-list tr[data-order-id="1"]').click();
    await page.waitForSelector('#detail-title:text-is("Order #1")');
    await w.orders.create({ sku: 'WIDGET', qty: 1 });
    await page.waitForSelector('#orders-list tr[data-order-id="4"]');
    await expect(page.locator('#detail-title').textContent()).resolves.toBe('Order #1');
  });

  it('asks for the token on a protected server, refuses the controls without it, and works with it', async () => {
    const server = await serve({ token: 'class-secret' });
    const page = await open(server);
    await page.waitForSelector('#auth-note:visible');
    const before = rowCounts(server.db);
    await createOrder(page, 'WIDGET', 1);
    await page.waitForSelector('#message[data-kind="error"]:has-text("create order refused: writes need an Authorization: Bearer <token> header")');
    await page.waitForSelector('#token-dialog[open]');
    await page.click('#token-dialog button[value=cancel]');
    await page.click('[data-clock-action="step"]');
    await page.waitForSelector('#message[data-kind="error"]:has-text("clock refused")');
    await page.click('#token-dialog button[value=cancel]');
    expect(rowCounts(server.db)).toEqual(before);
    expect(server.warehouse.clock.now()).toBe(START);

    await page.click('#token-button');
    await page.fill('#token-input', 'class-secret');
    await page.click('#token-dialog button[value=save]');
    await page.waitForSelector('#token-button:text-is("token ✓")');
    await createOrder(page, 'WIDGET', 1);
    await page.waitForSelector('#message:has-text("order #1 created")');
    await count(page, 'awaiting_restock', 1);
  });

  it('says which scope is missing when a named token lacks it, and asks for another', async () => {
    const server = await serve();
    const { token } = await createTokenService(server.warehouse.tokens, server.warehouse.clock).create('shop', ['orders:write']);
    const page = await open(server);
    await page.click('#token-button');
    await page.fill('#token-input', token);
    await page.click('#token-dialog button[value=save]');
    await createOrder(page, 'WIDGET', 1);
    await page.waitForSelector('#message:has-text("order #1 created")');
    await page.click('[data-clock-action="step"]');
    await page.waitForSelector('#message[data-kind="error"]:has-text("clock refused: the token in this tab lacks the scope ops:write")');
    await page.waitForSelector('#token-dialog[open] #token-scope:text-is("This needs a token with the scope ops:write.")');
    expect(server.warehouse.clock.now()).toBe(START);
  });

  it('follows the live stream beyond loopback with the token of its tab, through a one-stream ticket', async () => {
    const token = 'kS3x9Q0h1tQb2J0c6o8mZ1uH3w4y5r6t7u8v9w0';
    const server = await serve({ host: '0.0.0.0', token });
    const base = `http://127.0.0.1:${new URL(server.url).port}`;
    // an EventSource sends no Authorization header: without a ticket the stream is refused here
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const page = await open(server, undefined, { token, base });
    // the stream is live: an order made elsewhere shows in the diagram without a reload
    const made = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'WIDGET', qty: 1 }),
    });
    expect(made.status).toBe(201);
    // (the paced clock runs its reservation at once: no stock, so the supplier accepts and it waits)
    await count(page, 'awaiting_restock', 1);
  });
});
