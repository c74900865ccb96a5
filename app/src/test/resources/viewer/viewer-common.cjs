// What the browser scripts share: starting Chromium, reading a viewport canvas, and waiting for an address.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

// Debian's Chromium (CHROMIUM), headless, driven by playwright-core (PLAYWRIGHT_CORE).
function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

// Reads the viewport's canvas (cornerstone draws into a 2D canvas even when it renders with WebGL)
// and says whether it holds an image: more than a handful of distinct grey levels, some spread.
function canvasStats() {
  const canvases = Array.from(document.querySelectorAll('canvas.cornerstone-canvas, [data-cy="viewport-pane"] canvas'));
  const stats = canvases.map((c) => {
    const s = { width: c.width, height: c.height, distinct: 0, mean: 0, stddev: 0, readable: true };
    if (!c.width || !c.height) return s;
    let data;
    try {
      data = c.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, c.width, c.height).data;
    } catch (e) {
      s.readable = false;
      return s;
    }
    const seen = new Set();
    let sum = 0;
    let sq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const v = (data[i] + data[i + 1] + data[i + 2]) / 3;
      sum += v;
      sq += v * v;
      if (seen.size < 4096) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    s.distinct = seen.size;
    s.mean = sum / n;
    s.stddev = Math.sqrt(Math.max(0, sq / n - (sum / n) * (sum / n)));
    return s;
  });
  const best = stats.reduce((a, b) => (b.stddev > (a ? a.stddev : -1) ? b : a), null);
  return { canvases: stats.length, best, rendered: !!best && best.distinct > 16 && best.stddev > 8 };
}

// Polls the page's address: unlike waitForURL it does not fail when a redirect cuts a navigation short.
async function waitForAddress(page, test, timeout) {
  const deadline = Date.now() + timeout;
  while (!test(new URL(page.url()))) {
    if (Date.now() > deadline) throw new Error(`still at ${page.url()} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Runs named steps, recording each one's outcome (or its first error line) in result.steps; a failed
// step throws on, so the run ends there but its report still goes out.
function recorder(result) {
  return async (name, fn) => {
    try {
      result.steps[name] = await fn();
    } catch (e) {
      result.steps[name] = { error: String(e.message || e).split('\n')[0] };
      throw e;
    }
  };
}

// The frame the AI-result scripts run in: a 1400x900 page whose console and errors are kept, named
// steps whose outcomes (or first error line) are reported, a screenshot when one fails, and one
// JSON object on stdout. `steps(page, step)` runs the script's own steps in order.
async function reportSteps(out, steps) {
  fs.mkdirSync(out, { recursive: true });
  const result = { steps: {}, consoleErrors: [], pageErrors: [] };
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const consoleLog = [];
    page.on('console', (m) => {
      consoleLog.push(`${m.type()}: ${m.text().slice(0, 400)}`);
      if (m.type() === 'error') result.consoleErrors.push(m.text().slice(0, 300));
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
    const step = recorder(result);
    try {
      await steps(page, step);
    } catch (e) {
      result.failed = String(e.message || e).split('\n')[0];
      await page.screenshot({ path: path.join(out, 'failed.png') });
    }
    fs.writeFileSync(path.join(out, 'console.log'), consoleLog.join('\n'));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

// Opens a study in Imago's viewer, signed in (IMAGO_TOKEN and STUDY_UID) or through an FSE link
// (LINK_URL), as steps: the viewer's address, its first image drawn, the result series `seriesText`
// listed in the study browser, then OHIF's first-visit tour and investigational-use notice
// dismissed. A screenshot of the study goes to out/study.png.
async function openStudy(page, step, { base, out, seriesText, renderTimeout }) {
  const stats = `(${canvasStats.toString()})()`;
  await step('opened', async () => {
    if (process.env.LINK_URL) {
      await page.goto(process.env.LINK_URL, { waitUntil: 'domcontentloaded' });
    } else {
      await page.goto(`${base}/viewer/login`, { waitUntil: 'domcontentloaded' });
      await page.evaluate((t) => sessionStorage.setItem('imago.token', t), process.env.IMAGO_TOKEN);
      await page.goto(`${base}/viewer/viewer?StudyInstanceUIDs=${encodeURIComponent(process.env.STUDY_UID)}`,
        { waitUntil: 'domcontentloaded' });
    }
    await waitForAddress(page, (u) => u.pathname === '/viewer/viewer', 30000);
    return true;
  });
  await step('render', async () => {
    await (await page.waitForFunction(`${stats}.rendered`, null, { timeout: renderTimeout, polling: 500 })).dispose();
    return page.evaluate(stats);
  });
  await step('seriesListed', async () => {
    await page.waitForFunction((t) => document.body.innerText.includes(t), seriesText, { timeout: 30000, polling: 500 });
    return true;
  });
  await page.screenshot({ path: path.join(out, 'study.png') });
}

// OHIF's first-visit tour and its investigational-use notice sit over the viewport: both go.
async function dismissNotices(page, step) {
  await step('dismissed', async () => {
    const dismissed = [];
    for (const label of ['Skip all', 'Confirm and hide']) {
      const b = page.getByText(label, { exact: true }).first();
      if (await b.count()) {
        await b.click();
        dismissed.push(label);
      }
    }
    return dismissed;
  });
}

module.exports = { launchChromium, canvasStats, waitForAddress, recorder, reportSteps, openStudy, dismissNotices };
