/* setup.js — CTest fixture of the browser tests: the small synthetic patient (rert phantom) and
 * its consult (report.html with the interactive review) in RERT_BROWSER_WORK. */
'use strict';
const fs = require('fs');
const path = require('path');
const { BIN, WORK, ARTEFACTS, rert } = require('./lib/report');

fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(ARTEFACTS, { recursive: true });
let r = rert(['phantom', '--size', 'small', '--out', path.join(WORK, 'patient')]);
if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
r = rert(['consult', path.join(WORK, 'patient/case.json'), '--out', path.join(WORK, 'consult'), '--protocol', 'care_s0',
  '--protocol', 's4_textbook', '--created', '2026-01-01T00:00:00Z']);
/* exit 1 = a hard constraint fails on the phantom, 4 = a mandatory row could not be evaluated
 * (the report is written in both cases) */
if (r.status !== 0 && r.status !== 1 && r.status !== 4) { console.error(r.stderr); process.exit(1); }
if (!fs.existsSync(path.join(WORK, 'consult/report.html'))) { console.error('no report.html from ' + BIN); process.exit(1); }
/* three courses (two priors, the second an SBRT re-irradiation) for the engine test */
r = rert(['phantom', '--size', 'small', '--courses', '3', '--out', path.join(WORK, 'patient3')]);
if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
/* exercise every recovery kind and a BID prior course (Thames h) */
const c3 = JSON.parse(fs.readFileSync(path.join(WORK, 'patient3/case.json'), 'utf8'));
c3.recovery = { default: 'fixed:fraction_recovered=0.1',
  per_organ: { SpinalCord: 's4_stepwise', Brainstem: 'exponential:halftime_years=2', Bone_Mandible: 'jones_grant:bed_tol_gy=130',
    A_Carotid_R: 'care_uplift' } };
c3.courses[1].fractions_per_day = 2;
c3.courses[1].interfraction_interval_h = 6;
fs.writeFileSync(path.join(WORK, 'patient3/case.json'), JSON.stringify(c3, null, 1));
const protocols3 = ['care_s0', 's4_textbook', 'ng2021_npc', 'heidelberg_held2019', 'chen2011', 'carotid_mandible_data', 'rtog9911',
  'sphic_emami', 's1_composite', 'msk_proton_phase2', path.join(__dirname, 'fixtures/organ_probe.json')];
r = rert(['consult', path.join(WORK, 'patient3/case.json'), '--out', path.join(WORK, 'consult3'),
  ...protocols3.flatMap((p) => ['--protocol', p]), '--created', '2026-01-01T00:00:00Z']);
if (r.status !== 0 && r.status !== 1 && r.status !== 4) { console.error(r.stderr); process.exit(1); }
console.log('browser fixture ready in ' + WORK);
