/* viewer_open.js — open a report.html in headless chromium (puppeteer-core from tests/browser)
 * and print, as JSON: file size, time from navigation to the interactive review being ready
 * (planes drawn, what-if panel filled), and the time of one what-if recompute (SpinalCord
 * alpha/beta 3 + s4_stepwise). Usage: node bench/viewer_open.js REPORT.html [runs] */
'use strict';
const fs = require('fs'), os = require('os'), path = require('path');
const puppeteer = require(path.join(__dirname, '../tests/browser/node_modules/puppeteer-core'));
(async () => {
  const file = path.resolve(process.argv[2]), runs = +(process.argv[3] || 3), out = { file, bytes: fs.statSync(file).size, ready_ms: [], whatif_ms: [] };
  for (let r = 0; r < runs; r++) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rert-bench-'));
    const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--user-data-dir=' + profile] });
    const p = await b.newPage();
    await p.setViewport({ width: 1400, height: 1000 });
    await p.goto('file://' + file, { waitUntil: 'domcontentloaded', timeout: 120000 });
    await p.waitForFunction(() => document.getElementById('rert-viewer').getAttribute('data-ready') === '1', { timeout: 120000, polling: 10 });
    out.ready_ms.push(await p.evaluate(() => performance.now()));
    const s = await p.evaluate(() => window.rertViewer.model.structures.findIndex((x) => x.name === 'SpinalCord'));
    const t0 = await p.evaluate((s) => {
      window.__t0 = performance.now();
      const e = document.getElementById('rv-ab-' + s); e.value = '3'; e.dispatchEvent(new Event('change'));
      const r = document.getElementById('rv-rec-' + s); r.value = 's4_stepwise'; r.dispatchEvent(new Event('change'));
      return window.__t0;
    }, s);
    await p.waitForFunction(() => document.getElementById('rert-viewer').getAttribute('data-state') === 'whatif', { timeout: 120000, polling: 10 });
    out.whatif_ms.push(await p.evaluate((t0) => performance.now() - t0, t0));
    await b.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
})();
