// Drives Debian's Chromium through playwright-core: opens an FSE link the way a doctor or a citizen
// would (the link's address, no login), waits for the first image, reads the series panel, then
// revokes the link from outside and checks that the open viewer's next DICOMweb request is refused.
// Reports one JSON object on stdout; FseViewerTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, LINK_URL, REVOKE_URL, HOSPITAL_TOKEN, OUT_DIR,
// EXPECT_TEXT (what the series panel must show, e.g. the SR series' description), RENDER_TIMEOUT_MS.
'use strict';
const fs = require('fs');
const path = require('path');
const { launchChromium, canvasStats, waitForAddress, recorder } = require('./viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;
const renderTimeout = Number(process.env.RENDER_TIMEOUT_MS || 60000);
const expectText = process.env.EXPECT_TEXT || '';

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const result = { steps: {}, requests: [], consoleErrors: [], pageErrors: [] };
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const byRequest = new Map();
    page.on('request', (rq) => {
      const url = new URL(rq.url());
      if (url.origin !== new URL(base).origin) return;
      const entry = { path: url.pathname.replace(/\/l\/[^/]+/, '/l/{token}') + url.search, method: rq.method(),
        authorization: rq.headers()['authorization'] ? 'present' : null, status: null };
      byRequest.set(rq, entry);
      result.requests.push(entry);
    });
    page.on('response', (rs) => {
      const e = byRequest.get(rs.request());
      if (e) e.status = rs.status();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') result.consoleErrors.push(m.text().slice(0, 300));
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
    const step = recorder(result);
    try {
      await step('opened', async () => {
        await page.goto(process.env.LINK_URL, { waitUntil: 'domcontentloaded' });
        await waitForAddress(page, (u) => u.pathname === '/viewer/viewer', 30000);
        const u = new URL(page.url());
        return { path: u.pathname, study: u.searchParams.get('StudyInstanceUIDs'), hashLeft: u.hash,
          qidoRoot: await page.evaluate(() => window.config && window.config.dataSources[0].configuration.qidoRoot
            .replace(/\/l\/[^/]+/, '/l/{token}')) };
      });
      await step('render', async () => {
        const stats = `(${canvasStats.toString()})()`;
        try {
          await (await page.waitForFunction(`${stats}.rendered`, null, { timeout: renderTimeout, polling: 500 })).dispose();
          return await page.evaluate(stats);
        } catch (e) {
          return { ...(await page.evaluate(stats)), timeout: String(e.message || e).split('\n')[0] };
        }
      });
      await step('seriesPanel', async () => {
        try {
          await page.waitForFunction((t) => document.body.innerText.includes(t), expectText, { timeout: 30000, polling: 500 });
        } catch (e) {
          // reported below: the panel's text says what was there instead
        }
        const text = await page.evaluate(() => document.body.innerText);
        return { found: text.includes(expectText), text: text.slice(0, 2000) };
      });
      await page.screenshot({ path: path.join(out, 'link-viewer.png') });
      await step('afterRevoke', async () => {
        const r = await fetch(process.env.REVOKE_URL, { method: 'DELETE',
          headers: { Authorization: 'Bearer ' + process.env.HOSPITAL_TOKEN } });
        const status = await page.evaluate(async () => {
          const root = window.config.dataSources[0].configuration.qidoRoot;
          return (await fetch(root + '/studies')).status;
        });
        return { revokeStatus: r.status, dicomwebStatus: status };
      });
    } catch (e) {
      result.failed = String(e.message || e).split('\n')[0];
      await page.screenshot({ path: path.join(out, 'link-failed.png') });
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
