// Drives Debian's Chromium through playwright-core: /api-docs/ must render Imago's OpenAPI document
// (Swagger UI), with the operations of every REST family listed. Reports one JSON object on stdout;
// ApiDocsTest decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL.
'use strict';
const { launchChromium } = require('../viewer/viewer-common.cjs');

async function main() {
  const result = { errors: [] };
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => result.errors.push(String(e)));
    await page.goto(`${process.env.IMAGO_URL}/api-docs/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.opblock-summary-path', { timeout: 30000 });
    result.title = await page.evaluate(() => (document.querySelector('.info .title') || {}).innerText || '');
    result.paths = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.opblock-summary-path')).map((e) => e.getAttribute('data-path') || e.innerText));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
