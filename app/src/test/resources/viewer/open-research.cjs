// Drives Debian's Chromium through playwright-core: a researcher opens Imago's OHIF on a research
// project's de-identified view (#research=<project>, as the console's Research page links it): the
// study list shows the project's pseudonyms and none of the source names, and a study opened from
// it draws its images from /research/<project>/dicomweb. One JSON object on stdout; ResearchTest decides.
//
// Environment: PLAYWRIGHT_CORE, CHROMIUM, IMAGO_URL, IMAGO_TOKEN (a researcher of the project), PROJECT,
// PSEUDONYM (a patient's in the project), STUDY_UID (the project's UID of that patient's study), OUT_DIR.
'use strict';
const path = require('path');
const { canvasStats, waitForAddress, reportSteps } = require('./viewer-common.cjs');

const base = process.env.IMAGO_URL;
const out = process.env.OUT_DIR;

reportSteps(out, async (page, step) => {
  const research = [];
  const clinical = [];
  page.on('request', (rq) => {
    const p = new URL(rq.url()).pathname;
    if (p.startsWith(`/research/${process.env.PROJECT}/dicomweb/`)) research.push(p);
    else if (p.startsWith('/dicomweb/')) clinical.push(p);
  });
  await step('studyList', async () => {
    await page.goto(`${base}/viewer/login`, { waitUntil: 'domcontentloaded' });
    await page.evaluate((t) => sessionStorage.setItem('imago.token', t), process.env.IMAGO_TOKEN);
    await page.goto(`${base}/viewer/#research=${process.env.PROJECT}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction((p) => document.body.innerText.includes(p), process.env.PSEUDONYM, { timeout: 60000, polling: 500 });
    await page.screenshot({ path: path.join(out, 'research-list.png') });
    return { text: await page.innerText('body'), address: page.url() };
  });
  await step('study', async () => {
    await page.goto(`${base}/viewer/viewer?StudyInstanceUIDs=${process.env.STUDY_UID}`, { waitUntil: 'domcontentloaded' });
    await waitForAddress(page, (u) => u.pathname === '/viewer/viewer', 30000);
    const stats = `(${canvasStats.toString()})()`;
    await (await page.waitForFunction(`${stats}.rendered`, null, { timeout: 90000, polling: 500 })).dispose();
    await page.screenshot({ path: path.join(out, 'research-study.png') });
    return { stats: await page.evaluate(stats), text: await page.innerText('body'), research: research.length,
      clinical: clinical.length, frames: research.filter((p) => p.includes('/frames/')).length };
  });
});
