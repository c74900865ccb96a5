// Drives Debian's Chromium through playwright-core over Imago's console: signs in as the hospital's
// admin and opens every page (overview, studies, models, links, audit) at 1280 px, the overview on a
// tablet (768 px), then signs in as a radiologist. Screenshots go to OUT_DIR; one JSON object on
// stdout says what each page showed; ConsoleTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, OUT_DIR, ADMIN_TOKEN, RADIOLOGIST_TOKEN, STUDY_UID (the CT).
'use strict';
const path = require('path');
const fs = require('fs');
const { launchChromium, recorder } = require('../viewer/viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;

// Per plot: its axis labels and how many of its canvas pixels are drawn in a series' colour.
function plotFacts() {
  const colours = [[0x5a, 0xcc, 0xe6], [0xff, 0xb8, 0x6c], [0x7e, 0xe7, 0x87], [0xff, 0x8a, 0x80]];
  return Array.from(document.querySelectorAll('.plot')).map((box) => {
    const canvas = box.querySelector('canvas');
    let drawn = 0;
    if (canvas && canvas.width) {
      const d = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (colours.some((c) => Math.abs(d[i] - c[0]) < 24 && Math.abs(d[i + 1] - c[1]) < 24 && Math.abs(d[i + 2] - c[2]) < 24)) drawn++;
      }
    }
    return { id: box.getAttribute('data-plot'), xLabel: box.getAttribute('data-x-label'), yLabel: box.getAttribute('data-y-label'),
      series: Number(box.getAttribute('data-series')), canvas: !!canvas, drawnPixels: drawn,
      legend: Array.from(box.querySelectorAll('.u-legend .u-series .u-label')).map((e) => e.textContent) };
  });
}

function numbers() {
  return Array.from(document.querySelectorAll('a.num')).map((a) => ({ api: a.getAttribute('data-api'),
    field: a.getAttribute('data-field'), value: a.getAttribute('data-value'), text: a.textContent }));
}

async function signIn(context, token, hash) {
  const page = await context.newPage();
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#sign-in-form', { timeout: 30000 });
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForSelector('nav a', { timeout: 30000 });
  if (hash) await page.evaluate((h) => { window.location.hash = h; }, hash);
  return page;
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const result = { steps: {}, pageErrors: [] };
  const step = recorder(result);
  const browser = await launchChromium();
  let page;
  try {
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await step('signInPage', async () => {
      const p = await admin.newPage();
      const response = await p.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      await p.waitForSelector('#sign-in-form', { timeout: 30000 });
      await p.screenshot({ path: path.join(out, 'sign-in.png') });
      const r = { url: p.url(), status: response.status(), text: await p.innerText('main') };
      await p.close();
      return r;
    });
    page = await signIn(admin, process.env.ADMIN_TOKEN);
    page.on('pageerror', (e) => result.pageErrors.push(String(e).slice(0, 300)));
    await step('overview', async () => {
      await page.waitForSelector('#nodes tbody tr', { timeout: 30000 });
      await page.waitForFunction(() => document.querySelectorAll('.plot canvas').length >= 4, null, { timeout: 30000 });
      await page.waitForTimeout(300); // uPlot draws on the next animation frame
      const api = await page.evaluate(async (t) => {
        const r = await fetch('/admin/overview?range=1h', { headers: { Authorization: 'Bearer ' + t } });
        return r.json();
      }, process.env.ADMIN_TOKEN);
      await page.screenshot({ path: path.join(out, 'overview.png'), fullPage: true });
      return { nav: await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('data-page'))), plots: await page.evaluate(plotFacts),
        numbers: await page.evaluate(numbers), api: api,
        nodes: await page.$$eval('#nodes tbody tr', (rows) => rows.map((r) => r.innerText)) };
    });
    await step('apiCall', async () => {
      await page.click('a.num[data-field="figures.studies"]');
      await page.waitForFunction(() => document.getElementById('api-response').textContent.startsWith('{'), null, { timeout: 15000 });
      const shown = { request: await page.innerText('#api-request'), response: await page.innerText('#api-response') };
      await page.click('#api-dialog button');
      return shown;
    });
    await step('studies', async () => {
      await page.evaluate(() => { window.location.hash = '#/studies'; });
      await page.waitForSelector('tr[data-study]', { timeout: 30000 });
      const row = `tr[data-study="${process.env.STUDY_UID}"]`;
      await page.click(`${row} button`);
      await page.waitForSelector('[data-section="AI results"] table', { timeout: 30000 });
      await page.waitForSelector('[data-section="Audit"] table', { timeout: 30000 });
      const viewerHref = await page.getAttribute(`${row} a.button`, 'href');
      await page.screenshot({ path: path.join(out, 'studies.png'), fullPage: true });
      return { rows: await page.$$eval('tr[data-study]', (rs) => rs.map((r) => r.getAttribute('data-study'))), viewerHref,
        aiResults: await page.innerText('[data-section="AI results"]'), jobs: await page.innerText('[data-section="Jobs"]'),
        audit: await page.innerText('[data-section="Audit"]') };
    });
    await step('models', async () => {
      await page.evaluate(() => { window.location.hash = '#/models'; });
      await page.waitForSelector('tr[data-model]', { timeout: 30000 });
      await page.click('tr[data-model="demo-nodule-seg 1.0.0"] button.secondary');
      await page.waitForSelector('tr.detail:not([hidden]) .plot canvas', { timeout: 30000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(out, 'models.png'), fullPage: true });
      return { rows: await page.$$eval('tr[data-model]', (rs) => rs.map((r) => r.innerText)),
        buttons: await page.$$eval('tr[data-model] button', (bs) => bs.map((b) => b.textContent)),
        latencyPlot: (await page.evaluate(plotFacts)).filter((p) => p.id.startsWith('latency-')),
        upload: !!(await page.$('#model-upload')) };
    });
    await step('links', async () => {
      await page.evaluate(() => { window.location.hash = '#/links'; });
      await page.waitForSelector('#link-create', { timeout: 30000 });
      await page.fill('#link-create input[name=studyUID]', process.env.STUDY_UID);
      await page.click('#link-create button[type=submit]');
      await page.waitForSelector('#new-link', { timeout: 30000 });
      const created = await page.getAttribute('#new-link', 'href');
      await page.waitForSelector('#link-list tr[data-link] button.danger', { timeout: 30000 });
      const before = await page.$$eval('#link-list tr[data-link]', (rs) => rs.map((r) => r.innerText));
      await page.click('#link-list tr[data-link] button.danger');
      await page.waitForFunction(() => document.querySelector('#link-list tr[data-link] .badge').textContent === 'revoked',
        null, { timeout: 30000 });
      await page.fill('#share-create input[name=studyUID]', process.env.STUDY_UID);
      await page.fill('#share-create input[name=grantee]', 'dr.verdi@other');
      await page.click('#share-create button[type=submit]');
      await page.waitForSelector('#share-list tr[data-share] button.danger', { timeout: 30000 });
      const shared = await page.$$eval('#share-list tr[data-share]', (rs) => rs.map((r) => r.innerText));
      await page.screenshot({ path: path.join(out, 'links.png'), fullPage: true });
      await page.click('#share-list tr[data-share] button.danger');
      await page.waitForFunction(() => document.querySelector('#share-list tr[data-share] .badge').textContent === 'expired',
        null, { timeout: 30000 });
      return { created, before, after: await page.$$eval('#link-list tr[data-link]', (rs) => rs.map((r) => r.innerText)),
        shared, sharesAfter: await page.$$eval('#share-list tr[data-share]', (rs) => rs.map((r) => r.innerText)) };
    });
    await step('audit', async () => {
      await page.evaluate(() => { window.location.hash = '#/audit?action=link.create'; });
      await page.waitForSelector('#audit-list table, #audit-list p', { timeout: 30000 });
      await page.waitForFunction(() => !document.querySelector('#audit-list').innerText.includes('loading'), null, { timeout: 30000 });
      await page.screenshot({ path: path.join(out, 'audit.png'), fullPage: true });
      return { text: await page.innerText('#audit-list'), numbers: await page.evaluate(numbers) };
    });
    await step('tablet', async () => {
      const tablet = await browser.newContext({ viewport: { width: 768, height: 1024 }, isMobile: true, hasTouch: true });
      const p = await signIn(tablet, process.env.ADMIN_TOKEN, '#/overview');
      await p.waitForFunction(() => document.querySelectorAll('.plot canvas').length >= 4, null, { timeout: 30000 });
      await p.waitForTimeout(300);
      await p.screenshot({ path: path.join(out, 'overview-tablet.png'), fullPage: true });
      const r = { scrollWidth: await p.evaluate(() => document.documentElement.scrollWidth), plots: await p.evaluate(plotFacts) };
      await tablet.close();
      return r;
    });
    await step('radiologist', async () => {
      const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await signIn(other, process.env.RADIOLOGIST_TOKEN);
      await p.waitForSelector('tr[data-study]', { timeout: 30000 });
      const nav = await p.$$eval('nav a', (as) => as.map((a) => a.getAttribute('data-page')));
      const buttons = await p.$$eval('button', (bs) => bs.map((b) => b.textContent));
      await p.evaluate(() => { window.location.hash = '#/overview'; });
      await p.waitForSelector('#forbidden', { timeout: 15000 });
      const forbidden = await p.innerText('#forbidden');
      await p.evaluate(() => { window.location.hash = '#/links'; });
      await p.waitForSelector('#forbidden', { timeout: 15000 });
      const linksForbidden = await p.innerText('#forbidden');
      const api = await p.evaluate(async (t) => {
        const answers = {};
        for (const [name, url] of [['overview', '/admin/overview'], ['links', '/fse/links'], ['audit', '/admin/audit'],
          ['shares', '/admin/shares']]) {
          answers[name] = (await fetch(url, { headers: { Authorization: 'Bearer ' + t } })).status;
        }
        return answers;
      }, process.env.RADIOLOGIST_TOKEN);
      await other.close();
      return { nav, buttons, forbidden, linksForbidden, api };
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
