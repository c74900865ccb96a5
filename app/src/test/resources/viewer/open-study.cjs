// Drives Debian's Chromium through playwright-core: opens a study in Imago's OHIF viewer the way a
// radiologist would (viewer URL -> login page -> back to the study), then waits for the first image
// in a viewport and reports what happened as one JSON object on stdout. ViewerTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE (module folder), CHROMIUM (executable), IMAGO_URL, IMAGO_TOKEN,
// STUDY_UID, OUT_DIR (screenshots, request log), RENDER_TIMEOUT_MS (default 60000).
'use strict';
const fs = require('fs');
const path = require('path');

const base = process.env.IMAGO_URL;
const token = process.env.IMAGO_TOKEN;
const study = process.env.STUDY_UID;
const out = process.env.OUT_DIR;
const renderTimeout = Number(process.env.RENDER_TIMEOUT_MS || 60000);

const { launchChromium, canvasStats, waitForAddress, recorder } = require('./viewer-common.cjs');

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const result = { steps: {}, requests: [], consoleErrors: [], pageErrors: [] };
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const started = Date.now();
    const byRequest = new Map();
    // 'signed-out' requests belong to a page that left for the login page (some are aborted);
    // 'signed-in' ones to the viewer with the token; 'forged' ones to the viewer with a bad token
    let phase = 'signed-out';
    page.on('request', (rq) => {
      const url = new URL(rq.url());
      if (url.origin !== new URL(base).origin) return;
      const headers = rq.headers();
      const entry = {
        t: Date.now() - started,
        phase,
        method: rq.method(),
        path: url.pathname + url.search,
        type: rq.resourceType(),
        accept: headers['accept'] || null,
        authorization: headers['authorization'] === 'Bearer ' + token ? 'bearer-token'
          : headers['authorization'] ? 'other' : null,
        status: null,
      };
      byRequest.set(rq, entry);
      result.requests.push(entry);
    });
    page.on('response', (rs) => {
      const e = byRequest.get(rs.request());
      if (e) {
        e.status = rs.status();
        e.contentType = rs.headers()['content-type'] || null;
      }
    });
    page.on('requestfailed', (rq) => {
      const e = byRequest.get(rq);
      if (e) e.failure = rq.failure() && rq.failure().errorText;
    });
    page.on('console', (m) => {
      if (m.type() === 'error') result.consoleErrors.push(`${m.text().slice(0, 500)} @ ${m.location().url || '?'}`);
    });
    page.on('pageerror', (e) => result.pageErrors.push({ phase, error: String(e).slice(0, 500) }));

    // Each step records what it saw; a failed step ends the run but the report still goes out.
    const viewerUrl = `${base}/viewer/viewer?StudyInstanceUIDs=${encodeURIComponent(study)}`;
    const step = recorder(result);
    try {
      // 1. The study's address without a token: Imago's app-config.js sends the browser to the login page.
      await step('redirectedToLogin', async () => {
        await page.goto(viewerUrl, { waitUntil: 'domcontentloaded' });
        await waitForAddress(page, (u) => u.pathname === '/viewer/login', 30000);
        await page.waitForSelector('#token');
        await page.screenshot({ path: path.join(out, 'login.png') });
        const login = new URL(page.url());
        return { reason: login.searchParams.get('reason'), next: login.searchParams.get('next') };
      });

      // 2. Paste the token and sign in: back to the study, with the token in sessionStorage.
      await step('afterLogin', async () => {
        await page.fill('#token', token);
        phase = 'signed-in';
        await page.click('#sign-in');
        await waitForAddress(page, (u) => u.pathname === '/viewer/viewer', 30000);
        return { url: page.url(), storedToken: (await page.evaluate(() => sessionStorage.getItem('imago.token'))) === token };
      });

      // 3. The OHIF shell boots with Imago's configuration.
      await step('shell', async () => {
        await page.waitForFunction(() => document.querySelector('#root') && document.querySelector('#root').childElementCount > 0,
          null, { timeout: 60000 });
        return page.evaluate(() => ({
          booted: document.querySelector('#root').childElementCount > 0,
          configIsImagos: typeof window.config === 'function' && window.config.defaultDataSourceName === 'imago',
          qidoRoot: window.config && window.config.dataSources && window.config.dataSources[0].configuration.qidoRoot,
          routerBasename: window.config && window.config.routerBasename,
          publicUrl: window.PUBLIC_URL,
        }));
      });

      // 4. The first image in a viewport.
      await step('render', async () => {
        const stats = `(${canvasStats.toString()})()`;
        try {
          await (await page.waitForFunction(`${stats}.rendered`, null, { timeout: renderTimeout, polling: 500 })).dispose();
          const afterMs = Date.now() - started;
          await page.waitForTimeout(500); // let OHIF finish its overlays before the screenshot
          return { ...(await page.evaluate(stats)), afterMs };
        } catch (e) {
          return { ...(await page.evaluate(stats)), timeout: String(e.message || e).split('\n')[0] };
        }
      });
      result.steps.studyNotFound = await page.$('[data-cy="study-not-found-message"]') !== null;
      await page.screenshot({ path: path.join(out, 'viewer.png') });

      // 4b. A token near its end is replaced from POST /auth/refresh while the viewer is open.
      if (process.env.SHORT_TOKEN) {
        await step('refreshed', async () => {
          phase = 'refresh';
          await page.evaluate((t) => sessionStorage.setItem('imago.token', t), process.env.SHORT_TOKEN);
          await page.goto(viewerUrl, { waitUntil: 'domcontentloaded' });
          await page.waitForFunction((t) => { const now = sessionStorage.getItem('imago.token'); return now && now !== t; },
            process.env.SHORT_TOKEN, { timeout: 60000, polling: 250 });
          return { token: await page.evaluate(() => sessionStorage.getItem('imago.token')) };
        });
      }

      // 5. A token Imago did not sign: the first 401 from DICOMweb sends the user back to the login page.
      await step('rejectedToken', async () => {
        const parts = token.split('.');
        const forged = parts[0] + '.' + parts[1] + '.' + 'A'.repeat(parts[2].length);
        await page.evaluate((t) => sessionStorage.setItem('imago.token', t), forged);
        phase = 'forged';
        await page.goto(viewerUrl, { waitUntil: 'domcontentloaded' });
        await waitForAddress(page, (u) => u.pathname === '/viewer/login' && u.searchParams.get('reason') === 'unauthorized',
          30000);
        return { next: new URL(page.url()).searchParams.get('next') };
      });
    } catch (e) {
      result.failed = String(e.message || e).split('\n')[0];
      await page.screenshot({ path: path.join(out, 'failed.png') });
    }
  } finally {
    await browser.close();
  }
  fs.writeFileSync(path.join(out, 'requests.json'), JSON.stringify(result.requests, null, 1));
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
