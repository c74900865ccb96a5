// Drives Debian's Chromium through playwright-core: opens a study in Imago's OHIF viewer signed in,
// waits for the first image, then opens the AI result series (double-click on its thumbnail) and
// reports what the page shows: its text, the annotation shapes drawn over the viewport (SVG), and
// screenshots. One JSON object on stdout; the Java test decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, OUT_DIR, SERIES_TEXT (the result series'
// description, e.g. "AI lesion-det 1.0.0"), RENDER_TIMEOUT_MS; and either IMAGO_TOKEN and STUDY_UID
// (the signed-in viewer) or LINK_URL (an FSE link, no sign-in).
'use strict';
const path = require('path');
const { reportSteps, openStudy, dismissNotices } = require('./viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;
const seriesText = process.env.SERIES_TEXT;
const renderTimeout = Number(process.env.RENDER_TIMEOUT_MS || 60000);

// What is drawn over the viewports: cornerstone3D's annotation tools draw into an SVG layer.
function overlays() {
  const shapes = [];
  for (const svg of document.querySelectorAll('svg.svg-layer, [data-viewport-uid] svg')) {
    for (const el of svg.querySelectorAll('path, polyline, polygon, rect, circle, ellipse, line, text')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      shapes.push({ tag: el.tagName, stroke: el.getAttribute('stroke'), x: r.x, y: r.y, width: r.width, height: r.height,
        text: el.tagName === 'text' ? el.textContent : undefined });
    }
  }
  const canvas = Array.from(document.querySelectorAll('canvas.cornerstone-canvas'))
    .map((c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
  return { shapes, canvas };
}

reportSteps(out, async (page, step) => {
  await openStudy(page, step, { base, out, seriesText, renderTimeout });
  await dismissNotices(page, step);
  await step('openResult', async () => {
    const thumb = page.getByText(seriesText, { exact: false }).first();
    await thumb.dblclick();
    try {
      await page.waitForFunction(`(${overlays.toString()})().shapes.some((s) => s.tag === 'text')`, null,
        { timeout: 30000, polling: 250 });
    } catch (e) {
      // reported: the overlays found say what was drawn instead
    }
    await page.waitForTimeout(500); // the label joins its shape
    await page.screenshot({ path: path.join(out, 'result-opened.png') });
    return { text: (await page.evaluate(() => document.body.innerText)).slice(0, 3000), overlays: await page.evaluate(overlays) };
  });
  await step('measurementPanel', async () => {
    // OHIF asks whether to track the report's measurements; tracked, they are listed in its measurement panel
    const yes = page.getByText('Yes', { exact: true }).first();
    const tracked = (await yes.count()) > 0;
    if (tracked) await yes.click();
    await page.click('[data-cy="trackedMeasurements-btn"]');
    try {
      await page.waitForFunction((t) => document.body.innerText.split(t).length > 2, 'Certainty of Finding',
        { timeout: 15000, polling: 250 });
    } catch (e) {
      // reported: the text says what the panel shows instead
    }
    await page.screenshot({ path: path.join(out, 'measurements.png') });
    return { tracked, text: (await page.evaluate(() => document.body.innerText)).slice(0, 4000) };
  });
}).catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
