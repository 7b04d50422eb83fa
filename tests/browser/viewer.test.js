/* viewer.test.js — report.html's interactive review in a real browser (Debian chromium, headless,
 * driven by puppeteer-core): scrolling planes (keyboard and mouse wheel) and the plane index shown;
 * hover readouts against the RTDOSE values read with pydicom; the what-if panel (cord alpha/beta
 * and recovery, an interval, a fixed recovery percentage) against `rert evaluate` run on the case
 * file with the exported overrides snippet; screenshots of each panel kept as artefacts; no
 * console error and no network request. */
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');
const { WORK, ARTEFACTS, SRC, rert, pydicomValues } = require('./lib/report');

const CHROMIUM = process.env.RERT_CHROMIUM || '/usr/bin/chromium';
const REPORT = path.join(WORK, 'consult/report.html');
const CASE = path.join(WORK, 'patient/case.json');
const PROBE = path.join(__dirname, 'fixtures/organ_probe.json');
const near = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

let browser, page;
const consoleErrors = [], requests = [];

before(async () => {
  assert.ok(fs.existsSync(REPORT), 'fixture report.html (browser_setup)');
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rert-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--user-data-dir=' + profile]
  });
  page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1400, height: 1100 });
  await page.goto('file://' + REPORT, { waitUntil: 'load', timeout: 120000 });
  await page.waitForFunction(() => document.getElementById('rert-viewer').getAttribute('data-ready') === '1', { timeout: 120000 });
  await page.waitForFunction(() => document.getElementById('rert-viewer').getAttribute('data-complete') === '1', { timeout: 120000 });
});
after(async () => { if (browser) await browser.close(); });

const label = (plane) => page.$eval('#rv-label-' + plane, (e) => ({ index: +e.getAttribute('data-index'), text: e.textContent }));
const revision = () => page.$eval('#rert-viewer', (e) => +e.getAttribute('data-revision'));
async function waitRevision(r0) {
  await page.waitForFunction((r) => +document.getElementById('rert-viewer').getAttribute('data-revision') > r, { timeout: 120000 }, r0);
}
async function setField(sel, value) {
  const r0 = await revision();
  await page.$eval(sel, (e, v) => { e.value = v; e.dispatchEvent(new Event('change', { bubbles: true })); }, String(value));
  await waitRevision(r0);
}
async function shot(sel, name) {
  const h = await page.$(sel);
  await h.screenshot({ path: path.join(ARTEFACTS, name) });
}
async function goAxial(k) {
  await page.$eval('#rv-canvas-axial', (e) => e.focus());
  let cur = (await label('axial')).index;
  while (cur !== k) {
    await page.keyboard.press(cur < k ? 'ArrowUp' : 'ArrowDown');
    cur = (await label('axial')).index;
  }
}

test('scrolls planes with the keyboard and the mouse wheel; the label shows the RTDOSE plane index', async () => {
  const M = await page.evaluate(() => window.rertViewer.model.grid.n);
  const a0 = await label('axial');
  assert.match(a0.text, /^Axial k = \d+ \/ (\d+)/);
  assert.strictEqual(+/\/ (\d+)/.exec(a0.text)[1], M[2] - 1, 'axial planes = RTDOSE frames');
  const before = await page.$eval('#rv-canvas-axial', (c) => c.toDataURL());
  await page.$eval('#rv-canvas-axial', (e) => e.focus());
  const start = Math.min(a0.index, M[2] - 5);
  await goAxial(start);
  for (let q = 0; q < 3; q++) await page.keyboard.press('ArrowUp');
  assert.strictEqual((await label('axial')).index, start + 3, 'three planes up');
  await page.keyboard.press('PageDown');
  assert.strictEqual((await label('axial')).index, start - 2, 'PgDn: five planes down');
  await page.keyboard.press('End');
  assert.strictEqual((await label('axial')).index, M[2] - 1, 'End: last plane');
  const after = await page.$eval('#rv-canvas-axial', (c) => c.toDataURL());
  assert.notStrictEqual(after, before, 'the axial picture was redrawn');
  const c0 = await label('coronal');
  const box = await (await page.$('#rv-canvas-coronal')).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const dir = c0.index > 2 ? -1 : 1;
  for (let q = 0; q < 2; q++) { await page.mouse.wheel({ deltaY: dir * 100 }); await new Promise((r) => setTimeout(r, 50)); }
  assert.strictEqual((await label('coronal')).index, c0.index + 2 * dir, 'two wheel steps = two coronal planes');
  const s0 = await label('sagittal');
  assert.match(s0.text, /^Sagittal i = \d+/);
  await shot('.rv-planes', 'viewer_planes.png');
});

test('hover readout equals the RTDOSE voxel values read with pydicom', async () => {
  const info = await page.evaluate(() => {
    const M = window.rertViewer.model, n = M.grid.n, ref = M.courses.findIndex((c) => c.is_reference);
    const d = M.courses[ref].dose;
    let best = 0;
    for (let v = 0; v < d.length; v++) if (d[v] > d[best]) best = v;
    const vox = [[best % n[0], Math.floor(best / n[0]) % n[1], Math.floor(best / (n[0] * n[1]))]];
    /* a few more voxels with dose, spread over the grid (deterministic) */
    for (let q = 1; q <= 5; q++) {
      let v = Math.floor(d.length * q / 6);
      while (v < d.length && !(d[v] > 1)) v += 97;
      if (v < d.length) vox.push([v % n[0], Math.floor(v / n[0]) % n[1], Math.floor(v / (n[0] * n[1]))]);
    }
    return { vox, ref, ids: M.courses.map((c) => c.id) };
  });
  const refId = info.ids[info.ref];
  const files = [path.join(WORK, `patient/${refId}/RD_${refId}.dcm`), path.join(WORK, 'consult/cumulative_eqd2.dcm'), path.join(WORK, 'consult/worst_case_eqd2.dcm')];
  const truth = pydicomValues(files, info.vox);
  for (let q = 0; q < info.vox.length; q++) {
    const [i, j, k] = info.vox[q];
    await goAxial(k);
    const xy = await page.evaluate((v) => window.rertViewer.voxelToClient(0, v), info.vox[q]);
    await page.mouse.move(xy[0], xy[1]);
    await page.waitForFunction((s) => document.getElementById('rv-readout').getAttribute('data-voxel') === s, { timeout: 10000 }, `${i},${j},${k}`);
    const ro = await page.evaluate((refIdx) => {
      const num = (sel) => parseFloat(document.querySelector(sel).textContent);
      return { dose: num(`#rv-ro-course${refIdx} .rv-dose`), cum: num('#rv-ro-cumulative .rv-cum'), worst: num('#rv-ro-worst .rv-worst') };
    }, info.ref);
    near(ro.dose, truth[files[0]][q], 6e-4, `physical dose ${refId} at ${i},${j},${k}`);
    near(ro.cum, truth[files[1]][q], 6e-4, `cumulative EQD2 at ${i},${j},${k}`);
    near(ro.worst, truth[files[2]][q], 6e-4, `worst-case EQD2 at ${i},${j},${k}`);
  }
  await shot('#rv-readout', 'hover_readout.png');
});

/* The case file with the page's exported snippet applied (overrides appended, course fields set). */
function applySnippet(snip, name) {
  const cs = JSON.parse(fs.readFileSync(CASE, 'utf8'));
  cs.overrides = snip.overrides; /* the snippet carries the complete array */
  (snip.courses || []).forEach((p) => {
    const co = cs.courses.find((c) => c.id === p.id);
    Object.keys(p).forEach((k) => { if (k !== 'id') co[k] = p[k]; });
  });
  const out = path.join(WORK, 'patient', name);
  fs.writeFileSync(out, JSON.stringify(cs, null, 1));
  return out;
}
/* rert evaluate with the same protocols and radius as the consult, plus the organ probe. */
function evaluate(casePath, env) {
  const r = rert(['evaluate', casePath, '--protocol', 'care_s0', '--protocol', 's4_textbook', '--protocol', PROBE,
    '--uncertainty-mm', '3', '--json'], { env: Object.assign({}, process.env, env || {}) });
  assert.ok(r.status === 0 || r.status === 1 || r.status === 4, 'rert evaluate: ' + r.stderr);
  return JSON.parse(r.stdout);
}
function evalRows(ev) {
  const rows = {};
  ev.evaluations.forEach((p) => p.constraints.forEach((c) => { rows[`${p.protocol}|${c.id}|${c.structure}`] = c; }));
  return rows;
}
/* Does this build apply case-file structure overrides? (consult15's work; otherwise the same
 * assumptions are given through a data directory and recovery.per_organ.) */
function overridesApplied(rows, structure, ab) {
  const r = rows[`organ_probe|probe_${structure.toLowerCase()}_dmax|${structure}`];
  return r && Math.abs(r.alpha_beta_gy - ab) < 1e-9;
}
function fallbackCase(snip, name) {
  const cs = JSON.parse(fs.readFileSync(CASE, 'utf8'));
  const data = path.join(WORK, 'data-' + name);
  fs.cpSync(path.join(SRC, 'data'), data, { recursive: true });
  const tissues = JSON.parse(fs.readFileSync(path.join(data, 'tissues.json'), 'utf8'));
  cs.recovery = cs.recovery || { default: 'none', per_organ: {} };
  cs.recovery.per_organ = cs.recovery.per_organ || {};
  (snip.overrides || []).forEach((o) => {
    if (o.recovery) cs.recovery.per_organ[o.structure] = o.recovery;
    if (o.alpha_beta_gy !== undefined) {
      const list = Array.isArray(tissues.tissues) ? tissues.tissues : tissues.entries;
      list.filter((t) => t.organ === o.structure || t.id === o.structure).forEach((t) => { t.alpha_beta_gy = o.alpha_beta_gy; });
    }
  });
  fs.writeFileSync(path.join(data, 'tissues.json'), JSON.stringify(tissues, null, 1));
  (snip.courses || []).forEach((p) => {
    const co = cs.courses.find((c) => c.id === p.id);
    Object.keys(p).forEach((k) => { if (k !== 'id') co[k] = p[k]; });
  });
  const out = path.join(WORK, 'patient', name);
  fs.writeFileSync(out, JSON.stringify(cs, null, 1));
  return { casePath: out, env: { RERT_DATA_DIR: data } };
}
async function pageRows() {
  return page.$$eval('#rv-rows-table tr[data-protocol]', (trs) => trs.map((tr) => ({
    protocol: tr.getAttribute('data-protocol'), id: tr.getAttribute('data-constraint'), structure: tr.getAttribute('data-structure'),
    value: parseFloat(tr.querySelector('.rv-val').textContent), worst: parseFloat(tr.querySelector('.rv-worst-val').textContent),
    verdict: tr.querySelector('.rv-verdict').textContent })));
}
async function organDmax() {
  return page.$eval('#rv-organ-table tr[data-metric="Dmax"] .rv-cur-val', (e) => parseFloat(e.textContent));
}
/* rert consult with the same protocols (and the organ probe) on a case file: its report.json rows. */
function consultRows(casePath, name, env) {
  const out = path.join(WORK, 'consult-' + name);
  fs.rmSync(out, { recursive: true, force: true });
  const r = rert(['consult', casePath, '--out', out, '--protocol', 'care_s0', '--protocol', 's4_textbook', '--protocol', PROBE,
    '--created', '2026-01-01T00:00:00Z'], { env: Object.assign({}, process.env, env || {}) });
  assert.ok(r.status === 0 || r.status === 1 || r.status === 4, 'rert consult: ' + r.stderr);
  const rep = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')), rows = {};
  rep.sections.filter((x) => x.id === 'constraints').forEach((sec) => sec.blocks.filter((b) => b.type === 'table').forEach((t) =>
    t.rows.forEach((row) => { rows[`${t.id}|${row.constraint_id}|${row.structure}`] = row; })));
  return rows;
}
/* The page's what-if rows against rert evaluate (nominal values and verdicts) and rert consult
 * (nominal and worst case: the consult's worst case bounds every course, rert evaluate's only the
 * mapped prior courses) run on the case file with the exported snippet. */
async function checkAgainstEngines(snip, name, organ, organAb) {
  let casePath = applySnippet(snip, name + '.json'), env = {};
  /* the page's "download the what-if case file" is the same document */
  const whole = await page.evaluate(() => window.rertViewer.whatIfCase());
  assert.deepStrictEqual(whole, JSON.parse(fs.readFileSync(casePath, 'utf8')), 'downloaded what-if case = case + snippet');
  let rows = evalRows(evaluate(casePath));
  if (organAb !== undefined && !overridesApplied(rows, organ, organAb)) {
    const fb = fallbackCase(snip, name);
    casePath = fb.casePath; env = fb.env;
    rows = evalRows(evaluate(casePath, env));
    assert.ok(overridesApplied(rows, organ, organAb), 'alpha/beta reached rert evaluate');
  }
  const crows = consultRows(casePath, name, env);
  const pr = await pageRows();
  let compared = 0;
  for (const r of pr) {
    const key = `${r.protocol}|${r.id}|${r.structure}`, c = rows[key], k = crows[key];
    assert.ok(c && k, `row ${key} in rert evaluate and rert consult`);
    const cv = c.verdict.toLowerCase();
    assert.strictEqual(r.verdict.split(' ')[0], cv === 'not applicable' ? 'n/a' : cv, `verdict ${key} (rert evaluate)`);
    assert.strictEqual(r.verdict.split(' ')[0], k.verdict, `verdict ${key} (rert consult)`);
    if (typeof c.value === 'number') { near(r.value, c.value, 0.01, `${key} vs rert evaluate`); compared++; }
    if (typeof k.value === 'number') near(r.value, k.value, 0.01, `${key} vs rert consult`);
    if (typeof k.worst_value === 'number') near(r.worst, k.worst_value, 0.01, `${key} worst case vs rert consult`);
  }
  assert.ok(compared >= 8, 'rows compared: ' + compared);
  return { evaluate: rows, consult: crows };
}

test('what-if: cord alpha/beta 3 and stepwise recovery match rert evaluate with the exported overrides', async () => {
  const s = await page.evaluate(() => window.rertViewer.model.structures.findIndex((x) => x.name === 'SpinalCord'));
  assert.ok(s >= 0, 'SpinalCord in the structure set');
  const signedDmax = await organDmax();
  await setField('#rv-ab-' + s, 3);
  await setField('#rv-rec-' + s, 's4_stepwise');
  const banner = await page.$eval('#rv-state', (e) => e.textContent);
  assert.match(banner, /WHAT-IF — NOT THE SIGNED CONSULT/);
  assert.strictEqual(await page.$eval('#rert-viewer', (e) => e.getAttribute('data-state')), 'whatif');
  assert.match(await page.$eval('#rv-verdict', (e) => e.textContent), /NOT the signed consult/);
  const snip = JSON.parse(await page.$eval('#rv-export', (e) => e.textContent));
  assert.deepStrictEqual(snip.overrides.map((o) => [o.structure, o.alpha_beta_gy, o.recovery]), [['SpinalCord', 3, 's4_stepwise']]);
  assert.ok(snip.overrides[0].reason, 'every override carries a reason');
  const dmax = await organDmax();
  assert.ok(Math.abs(dmax - signedDmax) > 0.05, `the what-if changed the cord Dmax (${signedDmax} -> ${dmax})`);
  const r = await checkAgainstEngines(snip, 'whatif_cord', 'SpinalCord', 3);
  near(dmax, r.evaluate['organ_probe|probe_spinalcord_dmax|SpinalCord'].value, 0.01, 'displayed cord Dmax vs rert evaluate');
  near(dmax, r.consult['organ_probe|probe_spinalcord_dmax|SpinalCord'].value, 0.01, 'displayed cord Dmax vs rert consult');
  const worst = await page.$eval('#rv-organ-table tr[data-metric="worst case Dmax"] .rv-cur-val', (e) => parseFloat(e.textContent));
  near(worst, r.consult['organ_probe|probe_spinalcord_dmax|SpinalCord'].worst_value, 0.01, 'displayed worst-case cord Dmax vs rert consult');
  const d003 = await page.$eval('#rv-organ-table tr[data-metric="D0.03cc"] .rv-cur-val', (e) => parseFloat(e.textContent));
  near(d003, r.evaluate['organ_probe|probe_spinalcord_d003cc|SpinalCord'].value, 0.01, 'displayed cord D0.03cc vs rert evaluate');
  await shot('.rv-whatif-panel', 'whatif_panel.png');
  await shot('.rv-planes', 'viewer_planes_whatif.png');
});

test('what-if: interval, a fixed recovery percentage and a course scale match rert evaluate and rert consult (course fields from the snippet)', async () => {
  await page.click('#rv-reset');
  await page.waitForFunction(() => document.getElementById('rert-viewer').getAttribute('data-state') === 'signed');
  assert.match(await page.$eval('#rv-state', (e) => e.textContent), /Signed consult/);
  const prior = await page.evaluate(() => window.rertViewer.model.courses.findIndex((c) => !c.is_new));
  const s = await page.evaluate(() => window.rertViewer.model.structures.findIndex((x) => x.name === 'Brainstem'));
  await setField('#rv-interval-' + prior, 200);
  await setField('#rv-rec-' + s, '__fixed');
  await setField('#rv-pct-' + s, 30);
  const planned = await page.evaluate(() => window.rertViewer.model.courses.findIndex((c) => c.is_new));
  await setField('#rv-scale-' + planned, 80);
  const snip = JSON.parse(await page.$eval('#rv-export', (e) => e.textContent));
  assert.strictEqual(snip.courses.length, 2, 'a course date and a course scale changed');
  assert.ok(snip.courses.some((c) => c.x_dose_scale === 0.8), 'planned course scaled to 80 %');
  assert.deepStrictEqual(snip.overrides.map((o) => [o.structure, o.recovery]), [['Brainstem', 'fixed:fraction_recovered=0.3']]);
  await checkAgainstEngines(snip, 'whatif_interval', 'Brainstem', undefined);
  await shot('.rv-dvh', 'dvh_panel.png');
});

test('no console error and no network request', async () => {
  assert.deepStrictEqual(consoleErrors, []);
  const other = requests.filter((u) => !(u === 'file://' + REPORT || u.startsWith('data:')));
  assert.deepStrictEqual(other, [], 'requests other than the report itself and its inline data: URLs');
});
