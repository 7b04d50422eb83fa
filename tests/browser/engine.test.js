/* engine.test.js — the what-if engine (src/report/viewer/engine.js) under node:
 * LQ, Thames h, recovery models and the contour DVH against hand-computed values, and the whole
 * engine against the C engine on every constraint row of a real consult (report.html of the
 * fixture: the engine must reproduce the signed numbers rert wrote). */
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { WORK, SRC, readModel, loadEngine } = require('./lib/report');

const E = loadEngine();
const near = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
const models = JSON.parse(fs.readFileSync(path.join(SRC, 'data/recovery_models.json'), 'utf8')).models.map((m) => {
  const o = Object.assign({}, m);
  o.steps = m.steps || [];
  return o;
});

test('LQ: EQD2 with the local dose per fraction (domain-reference 1.1, docs/accumulate.md)', () => {
  near(E.eqd2(30, 30, 0, 2), 22.5, 1e-12, '30 Gy/30 fx at a/b 2');
  near(E.eqd2(30, 10, 0, 2), 37.5, 1e-12, '30 Gy/10 fx at a/b 2');
  near(E.eqd2(30, 10, 0, 3), 36, 1e-12, '30 Gy/10 fx at a/b 3');
  near(E.eqd2(30, 10, 0, 10), 32.5, 1e-12, '30 Gy/10 fx at a/b 10');
  /* BID: BED = nd(1 + d(1+h)/ab); 60 x 1.2 Gy at a/b 2 with h = 0.5: 72(1 + 0.9) / 2 = 68.4 */
  near(E.eqd2(72, 60, 0.5, 2), 68.4, 1e-12, 'BID with h');
});

test('Thames incomplete repair h_m (domain-reference 1.4)', () => {
  const phi = Math.pow(2, -6 / 4); /* 6 h interval, T1/2 4 h: 0.353553 */
  near(E.thamesH(1, 6, 4), 0, 0, 'h1');
  near(E.thamesH(2, 6, 4), 0.3535533905932738, 1e-12, 'h2 = phi');
  near(E.thamesH(3, 6, 4), 0.554737854124365, 1e-12, 'h3 = (2/3) phi (2 + phi)');
  near(phi, 0.3535533905932738, 1e-15, 'phi');
});

test('recovery models (domain-reference 3.1-3.4, Addendum A)', () => {
  const s4 = E.recoveryResolve(models, 's4_stepwise').model;
  near(E.recoveryFraction(s4, 5.99), 0, 0, 'stepwise < 6 months');
  near(E.recoveryFraction(s4, 6), 0.25, 0, 'stepwise at 6 months (half-open)');
  near(E.recoveryFraction(s4, 11.99), 0.25, 0, 'stepwise below 12');
  near(E.recoveryFraction(s4, 12), 0.5, 0, 'stepwise at 12');
  assert.strictEqual(E.recoveryResolve(models, 'stepwise').model.name, 's4_stepwise', 'alias');
  const fx = E.recoveryResolve(models, 'fixed:fraction_recovered=0.3').model;
  near(E.recoveryFraction(fx, 40), 0.3, 0, 'fixed 30 %');
  assert.ok(E.recoveryResolve(models, 'fixed').error, 'fixed needs its fraction');
  assert.ok(E.recoveryResolve(models, 'fixed:fraction_recovered=1.5').error, 'fraction in [0, 1]');
  assert.ok(E.recoveryResolve(models, 'no_such_model').error, 'unknown model');
  const ex = E.recoveryResolve(models, 'exponential:halftime_years=2').model;
  near(E.recoveryFraction(ex, 24), 0.5, 1e-12, 'exponential at one half-time');
  near(E.recoveryFraction(ex, 48), 0.75, 1e-12, 'exponential at two half-times');
  /* Jones-Grant, conservative: r = 1.5 + e^{1.2(t-1)}, t = 2 y: 4.820117; prior 30 Gy EQD2 at a/b 2
   * = 60 Gy BED, tolerance 100: 100(1 - 0.4^{1/5.820117}) = 14.566775 BED = 7.283387 Gy EQD2 */
  const jg = E.recoverySetup(models, 'jones_grant:bed_tol_gy=100', 24);
  near(E.recover(jg, 30, 24, 2), 7.283387410581038, 1e-9, 'Jones-Grant');
  near(E.recover(jg, 60, 24, 2), 60, 1e-12, 'Jones-Grant above tolerance: no discount');
  const care = E.recoverySetup(models, 'care_uplift', 30);
  assert.ok(care.isLimit, 'CARE is a limit model');
  near(care.limitFactor, 1.2, 0, 'CARE +20 % after 24 months');
  near(E.recoverySetup(models, 'care_uplift', 24).limitFactor, 1.0, 0, 'CARE at exactly 24 months: no uplift');
  const st = E.recoverySetup(models, 's4_stepwise', 13);
  near(E.recover(st, 40, 13, 2), 20, 1e-12, 'stepwise 50 % of 40 Gy');
});

/* A 20 mm cube (10 axial contours 2 mm apart, half-slice end caps) in a linear dose
 * d = 10 + 0.5 x Gy: x in [0, 20] mm, so Dmin 10, Dmax 20, Dmean 15, V(>= 17.5 Gy) = 2 cc of 8,
 * D2cc = 17.5, D0.03cc = 20 - 0.5 (30 / 400) / 2 ... = 19.9625. */
test('contour DVH: cube in a linear field (closed forms)', () => {
  const contours = [];
  for (let q = 0; q < 10; q++) {
    const z = 1 + 2 * q;
    contours.push(new Float64Array([0, 0, z, 20, 0, z, 20, 20, z, 0, 20, z]));
  }
  const s = E.shapeBuild(contours, 2);
  assert.ok(!s.error, s.error);
  near(s.info.volume_cc, 8, 1e-12, 'volume');
  const n = [21, 21, 21], data = new Float32Array(n[0] * n[1] * n[2]);
  for (let k = 0; k < n[2]; k++) for (let j = 0; j < n[1]; j++) for (let i = 0; i < n[0]; i++) data[i + n[0] * (j + n[1] * k)] = 10 + 0.5 * (-10 + 2 * i);
  const grid = { n, origin: [-10, -10, -10], spacing: [2, 2, 2], dir: [1, 0, 0, 0, 1, 0, 0, 0, 1], data };
  const d = E.dvhShape(s, grid);
  near(d.total_cc, 8, 1e-9, 'DVH volume');
  near(d.dmin_gy, 10, 1e-6, 'Dmin');
  near(d.dmax_gy, 20, 1e-6, 'Dmax');
  near(d.dmean_gy, 15, 1e-6, 'Dmean');
  near(E.dvhMetric(d, 'd_cc', 2).value, 17.5, 2e-3, 'D2cc');
  near(E.dvhMetric(d, 'd_cc', 0.03).value, 19.9625, 2e-3, 'D0.03cc');
  near(E.dvhMetric(d, 'v_cc', 17.5).value, 2, 2e-3, 'V17.5Gy');
  near(E.dvhMetric(d, 'd_pct', 50).value, 15, 2e-3, 'D50%');
});

test('grid geometry: world <-> index round trip on an oblique grid', () => {
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const g = { origin: [-100, 20, 5], spacing: [2.5, 1.5, 3], dir: [c, s, 0, -s, c, 0, 0, 0, 1] };
  const w = E.indexToWorld(g, [3.25, -1.5, 7]);
  const ijk = E.worldToIndex(g, w);
  near(ijk[0], 3.25, 1e-12, 'i'); near(ijk[1], -1.5, 1e-12, 'j'); near(ijk[2], 7, 1e-12, 'k');
});

/* The engine against the C engine: every constraint row of the fixture's consult, nominal and
 * worst case, recomputed from the embedded voxel data (signed state). */
for (const [dir, what] of [['consult', 'two courses'], ['consult3', 'three courses, recovery per organ']])
test(`engine reproduces every signed constraint row of the consult (C engine) to 1e-6 Gy: ${what}`, () => {
  const html = path.join(WORK, dir, 'report.html');
  assert.ok(fs.existsSync(html), 'fixture report.html (run the browser_setup test first)');
  const M = readModel(html);
  const eng = new E.Engine(M), P = E.prepare(M, E.emptyState());
  let n = 0;
  M.protocols.forEach((p) => p.rows.forEach((r) => {
    const o = eng.evalRow(P, r);
    assert.strictEqual(o.verdict, r.c_verdict, `${p.name} ${r.structure} ${r.metric.text} verdict`);
    if (r.c_value !== null) { near(o.value, r.c_value, 1e-6, `${p.name} ${r.structure} ${r.metric.text}`); n++; }
    if (r.c_worst_value !== null) near(o.worst_value, r.c_worst_value, 1e-6, `${p.name} ${r.structure} ${r.metric.text} worst`);
    if (r.c_limit !== null && r.has_limit) near(o.limit, r.c_limit, 1e-12, `${r.structure} limit`);
  }));
  assert.ok(n >= 10, 'rows compared: ' + n);
});
