import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/receiver/admin.js';
import { otlpJson, jsonSpan } from '../helpers/otlp-json.js';
import { DEV_KEY, startReceiver, waitFor, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { UNKNOWN_SPAN_CANARY } from '../api/helpers.js';
import { exportUnknownSpansRun } from '../helpers/unknown-spans.js';

/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core) against a real
 * receiver. Without Chromium these are skipped locally, and fail in CI (CI=true), where .ci/run installs it.
 */
// The browser globals page.evaluate callbacks use (the tsconfig has no DOM lib; these stay local to this module).
declare const window: { __sameDocument?: boolean; __xss?: number; innerWidth: number; scrollTo(x: number, y: number): void };
declare const document: { documentElement: { scrollWidth: number } };
declare const sessionStorage: Record<string, string> & { length: number };
declare const localStorage: Record<string, string>;
declare function getComputedStyle(el: unknown): { borderLeftColor: string; overflowX: string; backgroundColor: string };

const CHROMIUM = process.env.DUNETRACE_TEST_CHROMIUM || '/usr/bin/chromium'; // Debian's package
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const SKIP_REASON = `skipped: ${CHROMIUM} is missing (install it: apt-get install -y chromium; CI=true makes this a failure)`;
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

const LAPTOP: BrowserContextOptions = { viewport: { width: 1366, height: 860 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

if (!HAVE_CHROMIUM && !IN_CI) console.warn(`[dashboard browser tests] ${SKIP_REASON}`);

if (!HAVE_CHROMIUM && IN_CI) {
  describe('dashboard browser tests in CI', () => {
    it('need Chromium', () => {
      throw new Error(`${CHROMIUM} is missing and CI is set: the dashboard's browser tests must run in CI (.ci/run installs Debian's chromium)`);
    });
  });
}

describe.skipIf(!HAVE_CHROMIUM)(`dashboard in headless Chromium${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let browser: Browser;
  let dev: Running;
  const contexts: BrowserContext[] = [];
  /** Page errors, failed requests and console errors (CSP violations show up there): each test expects none. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    [browser, dev] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
      startReceiver(),
    ]);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await dev?.close();
  });

  async function open(opts: BrowserContextOptions = LAPTOP): Promise<Page> {
    const ctx = await browser.newContext(opts);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401 \(Unauthorized\)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    return page;
  }
  const expectNoProblems = () => expect(problems.splice(0)).toEqual([]);
  const post = (r: Running, body: string, key = DEV_KEY) =>
    fetch(`${r.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const noHorizontalScroll = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));

  // Shared by the tests below (in order): the looping run posted while the feed is open.
  const traceId = newTraceId();

  it('a looping run’s TOOL_LOOP alert appears live in the feed, and its run page explains it', async () => {
    const page = await open();
    await page.goto(`${dev.url}/`);
    await page.locator('.live[data-state="live"]').waitFor();
    await expect(page.locator('.empty h2').textContent()).resolves.toBe('No alerts yet');
    expect(await page.locator('.pill-dev').textContent()).toBe('dev mode'); // dev mode: no login
    await page.evaluate(() => (window.__sameDocument = true));

    // 5 × execute_tool search (200 ms apart) under an agent.workflow root (traceloop.span.kind=workflow)
    expect((await post(dev, loopingRun(traceId).all)).status).toBe(200);

    const card = page.locator(`.alert[data-run-id="${traceId}"][data-failure-type="TOOL_LOOP"]`);
    await card.waitFor();
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true); // no reload
    expect(await card.locator('.sev').textContent()).toBe('HIGH');
    expect(await card.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe('rgb(255, 107, 0)'); // #FF6B00
    expect(await card.locator('.alert-title').textContent()).toMatch(/^Tool loop: search called \d+ times/);
    expect(await card.locator('.agent-link').textContent()).toBe('looping-agent');
    expect(await card.getAttribute('class')).toContain('is-new');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-feed-laptop.png`, fullPage: true });

    await waitForClosedRun(dev.url, traceId); // the run completes after its grace period: its page then has an end
    await card.locator('.alert-title').click();
    await page.waitForURL(`${dev.url}/runs/${traceId}#signal-TOOL_LOOP`);
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true); // client-side route

    const signal = page.locator('#signal-TOOL_LOOP');
    await signal.waitFor();
    expect(await signal.locator('.signal-title').textContent()).toMatch(/^Tool loop: search called/);
    const text = (await signal.textContent()) ?? '';
    for (const part of ['What happened', 'Why it matters', 'Evidence', 'Suggested fix', 'MAX_SAME_TOOL']) expect(text).toContain(part);
    expect(await signal.locator('.evidence dt').allTextContents()).toContain('tool');

    const tools = page.locator('.timeline .step-tool');
    expect(await tools.count()).toBe(5);
    expect(await tools.locator('.step-name .break').allTextContents()).toEqual(['search', 'search', 'search', 'search', 'search']);
    expect(await tools.locator('.latency').first().textContent()).toBe('100 ms');
    expect(await page.locator('.timeline .step-end').textContent()).toContain('Run ended');
    // The signal is marked on its step, which links back to the explanation.
    const marker = page.locator('.timeline .sig-marker', { hasText: 'TOOL_LOOP' });
    expect(await marker.count()).toBe(1);
    const step = await marker.evaluate((el) => el.closest('li')?.dataset.step);
    const api = (await (await fetch(`${dev.url}/v1/runs/${traceId}`, { headers: { authorization: `Bearer ${DEV_KEY}` } })).json()) as {
      signals: { step_index: number }[];
      status: string;
    };
    expect(Number(step)).toBe(api.signals[0].step_index);
    expect(await page.locator('.page-head .status').textContent()).toBe(api.status);
    // The page scrolled to the signal (#signal-TOOL_LOOP), clear of the sticky top bar.
    expect(await signal.evaluate((el) => Math.round(el.getBoundingClientRect().top))).toBeGreaterThanOrEqual(
      await page.locator('.topbar').evaluate((el) => Math.round(el.getBoundingClientRect().bottom)),
    );
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot from the top (the sticky bar stays on top)
    await page.screenshot({ path: `${ARTIFACTS}dashboard-run-laptop.png`, fullPage: true });

    // Back: the feed again, alert still listed.
    await page.goBack();
    await page.waitForURL(`${dev.url}/`);
    await card.waitFor();
    expectNoProblems();
  }, 60_000);

  it('agents page shows the agent with its 24-hour sparkline and most frequent failure types', async () => {
    const page = await open();
    await page.goto(`${dev.url}/agents`);
    const card = page.locator('.agent-card[data-agent-id="looping-agent"]');
    await card.waitFor();
    expect(await card.locator('.spark-svg rect').count()).toBe(24);
    expect(Number(await card.locator('.spark-svg').getAttribute('data-total'))).toBeGreaterThanOrEqual(1);
    expect(await card.locator('.spark-svg rect.bar:not(.bar-zero)').count()).toBeGreaterThanOrEqual(1);
    expect(await card.locator('.chip-type').allTextContents()).toContain('TOOL_LOOP');
    const stats = await card.locator('.stats dd').allTextContents();
    expect(Number(stats[0])).toBeGreaterThanOrEqual(1); // runs
    expect(Number(stats[3])).toBeGreaterThanOrEqual(1); // high
    await page.screenshot({ path: `${ARTIFACTS}dashboard-agents-laptop.png`, fullPage: true });

    await card.locator('.agent-name a').click();
    await page.waitForURL(`${dev.url}/agents/looping-agent`);
    const row = page.locator(`table.runs tr[data-run-id="${traceId}"]`);
    await row.waitFor();
    expect(await row.locator('.status').textContent()).toBe('completed');
    expect(await row.locator('.sig-count').textContent()).toBe('1');
    await page.locator('#f-has-signals').check();
    await page.waitForURL(/has_signals=true/);
    await row.waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-agent-laptop.png`, fullPage: true });
    await row.locator('a').click();
    await page.waitForURL(`${dev.url}/runs/${traceId}`);
    await page.locator('#signal-TOOL_LOOP').waitFor();
    expectNoProblems();
  }, 60_000);

  it('the agent view says in a plain sentence which spans were not recognised, and what to change', async () => {
    // Vercel AI-shaped spans with operations the mapping does not know, through the real OTLP/HTTP exporter.
    const runId = await exportUnknownSpansRun(dev.url, 'vercel-ai-agent');
    await waitForClosedRun(dev.url, runId);
    const page = await open();
    await page.goto(`${dev.url}/agents/vercel-ai-agent`);
    const panel = page.locator('.ingest-health');
    await panel.waitFor();
    expect(await panel.locator('.ingest-findings li').allTextContents()).toEqual(['3 spans from vercel-ai-agent were not recognised: ai.foo (2), ai.bar (1)']);
    expect(await panel.locator('.ingest-advice li').first().textContent()).toContain('Vercel AI SDK operations');
    expect(await page.content()).not.toContain(UNKNOWN_SPAN_CANARY);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-agent-not-understood.png`, fullPage: true });
    // An agent whose runs are all understood shows no such panel.
    await page.goto(`${dev.url}/agents/looping-agent`);
    await page.locator('table.runs tbody tr').first().waitFor();
    expect(await page.locator('.ingest-health').count()).toBe(0);
    expectNoProblems();
  }, 60_000);

  it('filters the feed by agent, severity and failure type (in the URL), live alerts included', async () => {
    const page = await open();
    await page.goto(`${dev.url}/?severity=CRITICAL`);
    await page.locator('.live[data-state="live"]').waitFor();
    expect(await page.locator('.alert').count()).toBe(0);
    expect(await page.locator('.empty h2').textContent()).toBe('No alerts match these filters');
    await page.selectOption('#f-severity', 'HIGH');
    await page.waitForURL(`${dev.url}/?severity=HIGH`);
    await page.locator(`.alert[data-run-id="${traceId}"]`).waitFor();

    await page.selectOption('#f-agent', 'looping-agent');
    await page.selectOption('#f-type', 'TOOL_LOOP');
    await page.waitForURL(/agent=looping-agent.*failure_type=TOOL_LOOP/);
    await page.locator(`.alert[data-run-id="${traceId}"]`).waitFor();

    // A live alert of another agent does not match the agent filter; one of this agent does.
    const other = newTraceId();
    const mine = newTraceId();
    expect((await post(dev, loopingRun(other, { agentId: 'other-agent' }).all)).status).toBe(200);
    expect((await post(dev, loopingRun(mine).all)).status).toBe(200);
    await page.locator(`.alert[data-run-id="${mine}"]`).waitFor();
    await waitFor(
      async () =>
        (
          (await fetch(`${dev.url}/v1/signals?agent=other-agent`, { headers: { authorization: `Bearer ${DEV_KEY}` } }).then((r) => r.json())) as {
            signals: unknown[];
          }
        ).signals.length > 0,
    );
    await page.waitForTimeout(300);
    expect(await page.locator(`.alert[data-run-id="${other}"]`).count()).toBe(0);
    // Newest first.
    expect(await page.locator('.alert').first().getAttribute('data-run-id')).toBe(mine);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(`${dev.url}/`);
    await page.locator(`.alert[data-run-id="${other}"]`).waitFor();
    expectNoProblems();
  }, 60_000);

  it('renders names from traces as text (no markup runs), and links agent ids safely', async () => {
    const evil = '<img src=x onerror="window.__xss=1">';
    const id = newTraceId();
    expect((await post(dev, loopingRun(id, { agentId: evil }).all)).status).toBe(200);
    const page = await open();
    await page.goto(`${dev.url}/`);
    const card = page.locator(`.alert[data-run-id="${id}"]`);
    await card.waitFor();
    expect(await card.locator('.agent-link').textContent()).toBe(evil);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    await card.locator('.agent-link').click();
    await page.waitForURL(`${dev.url}/agents/${encodeURIComponent(evil)}`);
    expect(await page.locator('h1').textContent()).toBe(evil);
    await page.locator(`tr[data-run-id="${id}"]`).waitFor();
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expectNoProblems();
  }, 60_000);

  it('phone viewport: feed, agents and run page render without horizontal scroll', async () => {
    const page = await open(PHONE);
    await page.goto(`${dev.url}/`);
    await page.locator(`.alert[data-run-id="${traceId}"]`).waitFor();
    expect((await noHorizontalScroll(page)).scroll).toBeLessThanOrEqual((await noHorizontalScroll(page)).viewport);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-feed-phone.png`, fullPage: true });

    await page.goto(`${dev.url}/runs/${traceId}`);
    await page.locator('.timeline .step-tool').first().waitFor();
    const run = await noHorizontalScroll(page);
    expect(run.scroll).toBeLessThanOrEqual(run.viewport);
    // Code of the suggested fix scrolls inside its own box, not the page.
    expect(
      await page
        .locator('.code pre')
        .first()
        .evaluate((el) => getComputedStyle(el).overflowX),
    ).toBe('auto');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-run-phone.png`, fullPage: true });

    for (const p of ['/agents', '/agents/looping-agent']) {
      await page.goto(`${dev.url}${p}`);
      await page
        .locator(p === '/agents' ? '.agent-card' : 'table.runs tr[data-run-id]')
        .first()
        .waitFor();
      const m = await noHorizontalScroll(page);
      expect(m.scroll, p).toBeLessThanOrEqual(m.viewport);
    }
    await page.screenshot({ path: `${ARTIFACTS}dashboard-agent-phone.png`, fullPage: true });
    expectNoProblems();
  }, 60_000);

  it('dark colour scheme: the run page follows the system setting', async () => {
    const page = await open({ ...LAPTOP, colorScheme: 'dark' });
    await page.goto(`${dev.url}/runs/${traceId}`);
    await page.locator('#signal-TOOL_LOOP').waitFor();
    expect(await page.locator('body').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(17, 20, 26)');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-run-laptop-dark.png`, fullPage: true });
    expectNoProblems();
  }, 60_000);

  it('keys mode: asks for a key once, keeps it for the tab session only, refuses a wrong one', async () => {
    const keys = await startReceiver({ AUTH_MODE: 'keys' });
    try {
      const { key } = await createKey(keys.receiver.ctx, 'cust-dash', null);
      const page = await open();
      await page.goto(`${keys.url}/`);
      const form = page.locator('form.login');
      await form.waitFor();
      expect(await page.locator('h1').textContent()).toBe('API key needed');
      expect(await page.locator('.pill-dev').count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}dashboard-key-prompt-laptop.png` });

      await page.fill('#api-key', 'dt_live_wrong');
      await page.click('form.login button[type=submit]');
      await expect.poll(() => page.locator('.form-error').textContent()).toMatch(/refused/);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

      await page.fill('#api-key', key);
      await page.click('form.login button[type=submit]');
      await page.locator('.live[data-state="live"]').waitFor(); // the SSE stream took the key too (?api_key=)
      expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([key]);
      expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);
      expect(await page.locator('#session .pill').textContent()).toBe(`key ${key.slice(0, 12)}…`);

      const id = newTraceId();
      expect((await post(keys, loopingRun(id).all, key)).status).toBe(200);
      await page.locator(`.alert[data-run-id="${id}"]`).waitFor();

      // A reload in the same tab keeps the key; a new session (another tab profile) asks again.
      await page.reload();
      await page.locator(`.alert[data-run-id="${id}"]`).waitFor();
      expect(await page.locator('form.login').count()).toBe(0);
      const fresh = await open();
      await fresh.goto(`${keys.url}/runs/${id}`);
      await fresh.locator('form.login').waitFor();
      await fresh.fill('#api-key', key);
      await fresh.click('form.login button[type=submit]');
      await fresh.locator('#signal-TOOL_LOOP').waitFor(); // lands on the page it was opened for

      // Forget key: back to the prompt.
      await page.getByRole('button', { name: 'Forget key' }).click();
      await page.locator('form.login').waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expectNoProblems();
    } finally {
      await keys.close();
    }
  }, 60_000);

  it('an open run shows its steps so far and a run that does not exist says so', async () => {
    const id = newTraceId();
    const t0 = Date.now() - 5_000;
    const llm = jsonSpan({
      traceId: id,
      spanId: 'bbbbbbbbbbbbbbb1',
      parent: id.slice(0, 16),
      name: 'chat gpt-4o',
      start: t0,
      end: t0 + 1200,
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 56,
        'gen_ai.response.finish_reasons': 'length',
      },
    });
    const tool = jsonSpan({
      traceId: id,
      spanId: 'bbbbbbbbbbbbbbb2',
      parent: id.slice(0, 16),
      name: 'execute_tool fetch',
      start: t0 + 1300,
      end: t0 + 1500,
      error: true,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fetch', 'error.type': 'TimeoutError' },
    });
    expect((await post(dev, otlpJson([llm, tool], { 'service.name': 'open-agent' }))).status).toBe(200);
    const page = await open();
    await page.goto(`${dev.url}/runs/${id}`);
    await page.locator('.timeline .step-llm').waitFor();
    expect(await page.locator('.page-head .status').textContent()).toBe('open');
    expect(await page.locator('.timeline .step-llm .step-name .break').textContent()).toBe('gpt-4o');
    expect(await page.locator('.timeline .step-llm .tokens').textContent()).toBe('1,234 → 56 tokens');
    expect(await page.locator('.timeline .step-llm .latency').textContent()).toBe('1.20 s');
    const failed = page.locator('.timeline .step-tool.is-failed');
    expect(await failed.locator('.tag-failed').count()).toBe(1);
    expect(await failed.textContent()).toContain('TimeoutError');

    await page.goto(`${dev.url}/runs/ffffffffffffffffffffffffffffffff`);
    await page.locator('.empty h2').waitFor();
    expect(await page.locator('.empty h2').textContent()).toBe('Run not found');
    await page.goto(`${dev.url}/runs/${'x'.repeat(513)}`);
    await expect.poll(() => page.locator('.empty h2').textContent()).toBe('Not a run id');
    problems.splice(0).forEach((p) => expect(p).toMatch(/404|400/)); // the browser logs the API's 404/400
  }, 60_000);
});
