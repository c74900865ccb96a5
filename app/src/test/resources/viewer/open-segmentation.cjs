// Drives Debian's Chromium through playwright-core: opens a CT study in Imago's OHIF viewer (signed
// in, or through an FSE link), waits for the first image, opens the AI segmentation (double-click on
// the SEG thumbnail of the result series, then "Yes" when OHIF asks whether to open it) and reports
// what the viewport shows: where pixels of the segment's colour lie on the canvas, the page's text,
// and screenshots. One JSON object on stdout; the Java test decides what passes.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, OUT_DIR, SERIES_TEXT (the result series'
// description, e.g. "AI nodule-seg 1.0.0"), SEGMENT_RGB (e.g. "255,64,64"), RENDER_TIMEOUT_MS; and
// either IMAGO_TOKEN and STUDY_UID (the signed-in viewer) or LINK_URL (an FSE link, no sign-in).
'use strict';
const path = require('path');
const { reportSteps, openStudy, dismissNotices } = require('./viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;
const seriesText = process.env.SERIES_TEXT;
const segmentRgb = (process.env.SEGMENT_RGB || '255,64,64').split(',').map(Number);
const renderTimeout = Number(process.env.RENDER_TIMEOUT_MS || 60000);

// Pixels of the viewport canvases tinted towards the segment's colour (the labelmap is blended over
// the grey CT): their number and centroid, in page coordinates, with each canvas's place.
function tinted(rgb) {
  const result = { pixels: 0, x: 0, y: 0, canvas: [] };
  let sx = 0;
  let sy = 0;
  for (const c of document.querySelectorAll('canvas.cornerstone-canvas')) {
    const r = c.getBoundingClientRect();
    result.canvas.push({ x: r.x, y: r.y, width: r.width, height: r.height });
    if (!c.width || !c.height) continue;
    let data;
    try {
      data = c.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, c.width, c.height).data;
    } catch (e) {
      continue;
    }
    // the colour's direction away from grey: a pixel counts when it leans that way clearly
    const mean = (rgb[0] + rgb[1] + rgb[2]) / 3;
    const dir = rgb.map((v) => v - mean);
    const norm = Math.hypot(dir[0], dir[1], dir[2]) || 1;
    for (let i = 0; i < data.length; i += 4) {
      const m = (data[i] + data[i + 1] + data[i + 2]) / 3;
      const lean = ((data[i] - m) * dir[0] + (data[i + 1] - m) * dir[1] + (data[i + 2] - m) * dir[2]) / norm;
      if (lean > 40) {
        const p = i / 4;
        sx += r.x + ((p % c.width) + 0.5) * (r.width / c.width);
        sy += r.y + (Math.floor(p / c.width) + 0.5) * (r.height / c.height);
        result.pixels++;
      }
    }
  }
  if (result.pixels) {
    result.x = sx / result.pixels;
    result.y = sy / result.pixels;
  }
  return result;
}

reportSteps(out, async (page, step) => {
  const tint = `(${tinted.toString()})(${JSON.stringify(segmentRgb)})`;
  await openStudy(page, step, { base, out, seriesText, renderTimeout });
  await step('before', async () => page.evaluate(tint));
  await dismissNotices(page, step);
  await step('openSegmentation', async () => {
    const thumbs = page.locator('[data-cy^="study-browser-thumbnail"]').filter({ hasText: seriesText });
    const listed = await thumbs.allInnerTexts();
    const seg = thumbs.filter({ hasText: /\bSEG\b/ }).first();
    await (await seg.count() ? seg : page.getByText(seriesText, { exact: false }).first()).dblclick();
    // OHIF asks before it loads a segmentation into the viewport
    let asked = false;
    try {
      await page.getByText('Do you want to open this Segmentation?').first().waitFor({ timeout: 15000 });
      asked = true;
      await page.getByText('Yes', { exact: true }).first().click();
    } catch (e) {
      // not asked: loaded as is
    }
    let drawn = true;
    try {
      await page.waitForFunction(`${tint}.pixels > 20`, null, { timeout: 45000, polling: 500 });
    } catch (e) {
      drawn = false; // reported: the tint found says what was drawn instead
    }
    await page.waitForTimeout(300); // a last frame after the labelmap's
    await page.screenshot({ path: path.join(out, 'segmentation.png') });
    return { listed, asked, drawn, tint: await page.evaluate(tint),
      text: (await page.evaluate(() => document.body.innerText)).slice(0, 3000) };
  });
}).catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
