// What the browser scripts share: starting Chromium, reading a viewport canvas, and waiting for an address.
'use strict';
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

module.exports = { launchChromium, canvasStats, waitForAddress };
