// Drives Debian's Chromium through playwright-core over the console's research side: a hospital's
// admin consents to a project and keeps an opt-out; a researcher exports a cohort and reads an
// evaluation (figures beside the primary's, the ROC plot); the region meets the promotion gate and
// overrides it with a reason. One JSON object on stdout; EvaluationTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, OUT_DIR, ADMIN_TOKEN, RESEARCHER_TOKEN, REGION_TOKEN,
// PROJECT (consented), INVITED (a project waiting for the admin), MODEL, WORSE (a version worse than the primary).
'use strict';
const path = require('path');
const fs = require('fs');
const { launchChromium, recorder } = require('../viewer/viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;

async function signIn(browser, token, hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#sign-in-form', { timeout: 30000 });
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForSelector('nav a', { timeout: 30000 });
  await page.evaluate((h) => { window.location.hash = h; }, hash);
  return page;
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const result = { steps: {}, pageErrors: [] };
  const step = recorder(result);
  const browser = await launchChromium();
  let page;
  const project = process.env.PROJECT;
  const invited = process.env.INVITED;
  try {
    await step('admin', async () => {
      page = await signIn(browser, process.env.ADMIN_TOKEN, '#/research');
      page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
      await page.waitForSelector(`tr[data-project="${invited}"] button`, { timeout: 30000 });
      const nav = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('data-page')));
      const before = await page.innerText(`tr[data-project="${invited}"]`);
      await page.click(`tr[data-project="${invited}"] button:text("Consent")`);
      await page.waitForFunction((p) => document.querySelector(`tr[data-project="${p}"]`).innerText.includes('consented'), invited,
        { timeout: 30000 });
      const after = await page.innerText(`tr[data-project="${invited}"]`);
      await page.fill('#opt-out-add input[name=patientId]', 'EVAL-OBJECTS');
      await page.fill('#opt-out-add input[name=project]', project);
      await page.click('#opt-out-add button[type=submit]');
      await page.waitForSelector('tr[data-opt-out="EVAL-OBJECTS"]', { timeout: 30000 });
      const optOut = await page.innerText('tr[data-opt-out="EVAL-OBJECTS"]');
      await page.screenshot({ path: path.join(out, 'research-admin.png'), fullPage: true });
      await page.click('tr[data-opt-out="EVAL-OBJECTS"] button');
      await page.waitForFunction(() => !document.querySelector('tr[data-opt-out="EVAL-OBJECTS"]'), null, { timeout: 30000 });
      return { nav, before, after, optOut };
    });
    await step('researcher', async () => {
      page = await signIn(browser, process.env.RESEARCHER_TOKEN, '#/research');
      page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
      await page.waitForSelector(`tr[data-project="${project}"] button`, { timeout: 30000 });
      await page.click(`tr[data-project="${project}"] button:text("Export")`);
      await page.waitForSelector(`tr[data-project="${project}"] a.export-link`, { timeout: 60000 });
      const exported = await page.innerText(`tr[data-project="${project}"] a.export-link`);
      const form = !!(await page.$('#project-create'));
      await page.evaluate(() => { window.location.hash = '#/models'; });
      const row = `tr[data-model="${process.env.MODEL} ${process.env.WORSE}"]`;
      await page.waitForSelector(row, { timeout: 30000 });
      await page.click(`${row} button.secondary`);
      await page.waitForSelector('.evaluation[data-evaluation] table', { timeout: 30000 });
      await page.waitForFunction(() => Array.from(document.querySelectorAll('img.eval-plot')).some((i) => i.complete && i.naturalWidth > 0),
        null, { timeout: 30000 });
      await page.screenshot({ path: path.join(out, 'research-evaluation.png'), fullPage: true });
      return { exported, form, evaluation: await page.innerText('.evaluation[data-evaluation]'),
        verdict: await page.getAttribute('.evaluation [data-verdict]', 'data-verdict'),
        plotWidth: await page.$eval('img.eval-plot', (i) => i.naturalWidth),
        evaluateForm: !!(await page.$('#evaluate')) };
    });
    await step('region', async () => {
      page = await signIn(browser, process.env.REGION_TOKEN, '#/models');
      page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
      const row = `tr[data-model="${process.env.MODEL} ${process.env.WORSE}"]`;
      await page.waitForSelector(row, { timeout: 30000 });
      await page.click(`${row} button:text("Activate primary")`);
      await page.waitForSelector('#gate-refused', { timeout: 30000 });
      const refused = await page.innerText('#gate-refused');
      await page.fill('#gate-override input[name=reason]', 'trial on the new scanner fleet, approved by the board');
      await page.click('#gate-override button[type=submit]');
      await page.waitForFunction((r) => { const e = document.querySelector(r); return e && e.innerText.includes('primary'); }, row,
        { timeout: 30000 });
      return { refused, after: await page.innerText(row) };
    });
  } catch (e) {
    result.failed = String(e.message || e).split('\n')[0];
    if (page) {
      await page.screenshot({ path: path.join(out, 'failed.png'), fullPage: true }).catch(() => {});
      result.mainText = await page.innerText('main').catch(() => '');
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
