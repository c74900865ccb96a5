// Drives Debian's Chromium through playwright-core: a signed-in user follows an IHE IID link
// (RAD-106, requestType=PATIENT) and OHIF's study list must ask Imago for that patient's studies.
// Reports one JSON object on stdout; FseViewerTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, IMAGO_TOKEN, IID_PATH.
'use strict';
const { launchChromium, waitForAddress } = require('./viewer-common.cjs');

const base = process.env.IMAGO_URL;

async function main() {
  const result = { qido: [], text: '' };
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('request', (rq) => {
      const url = new URL(rq.url());
      if (url.pathname.startsWith('/dicomweb/studies')) result.qido.push(url.pathname + url.search);
    });
    await page.goto(`${base}/viewer/login`, { waitUntil: 'domcontentloaded' });
    await page.evaluate((t) => sessionStorage.setItem('imago.token', t), process.env.IMAGO_TOKEN);
    await page.goto(base + process.env.IID_PATH, { waitUntil: 'domcontentloaded' });
    await waitForAddress(page, (u) => u.pathname === '/viewer/' || u.pathname === '/viewer', 30000);
    result.address = new URL(page.url()).pathname + new URL(page.url()).search;
    try {
      await page.waitForFunction(() => document.body.innerText.includes('PH-I'), null, { timeout: 30000, polling: 500 });
    } catch (e) {
      result.timeout = true;
    }
    result.text = (await page.evaluate(() => document.body.innerText)).slice(0, 1500);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
