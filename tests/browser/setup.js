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
/* exit 1 = a hard constraint fails on the phantom (the report is written) */
if (r.status !== 0 && r.status !== 1) { console.error(r.stderr); process.exit(1); }
if (!fs.existsSync(path.join(WORK, 'consult/report.html'))) { console.error('no report.html from ' + BIN); process.exit(1); }
console.log('browser fixture ready in ' + WORK);
