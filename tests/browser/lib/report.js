/* report.js — helpers for the browser tests: read the interactive review's data out of a
 * report.html exactly as the page does (JSON + base64 zlib byte-shuffled blobs), run rert and
 * pydicom (Debian's /usr/bin/python3), and the paths CTest passes in the environment. */
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync, spawnSync } = require('child_process');

const SRC = process.env.RERT_SOURCE_DIR || path.resolve(__dirname, '../../..');
const BIN = process.env.RERT_BIN || path.join(SRC, 'build/rert');
const WORK = process.env.RERT_BROWSER_WORK || path.join(require('os').tmpdir(), 'rert-browser-work');
const ARTEFACTS = process.env.RERT_BROWSER_ARTEFACTS || path.join(WORK, 'artefacts');
const ENGINE = path.join(SRC, 'src/report/viewer/engine.js');

function unshuffle(sh, elem) {
  if (elem === 1) return sh;
  const n = sh.length / elem, out = new Uint8Array(sh.length);
  for (let b = 0; b < elem; b++) for (let i = 0; i < n; i++) out[i * elem + b] = sh[b * n + i];
  return out;
}

/* The decoded model (meta + typed arrays) of a report.html, as viewer.js builds it. */
function readModel(htmlPath) {
  const html = fs.readFileSync(htmlPath, 'latin1');
  const m = /<script type="application\/json" id="rert-viewer-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error(htmlPath + ': no viewer data');
  const meta = JSON.parse(Buffer.from(m[1], 'latin1').toString('utf8'));
  const blobs = {};
  const re = /<script type="application\/octet-stream" class="rert-blob" data-id="([^"]+)" data-bytes="(\d+)" data-elem="(\d)">([^<]*)<\/script>/g;
  let b;
  while ((b = re.exec(html))) {
    const raw = zlib.inflateSync(Buffer.from(b[4], 'base64'));
    if (raw.length !== +b[2]) throw new Error('blob ' + b[1] + ' has ' + raw.length + ' bytes, expected ' + b[2]);
    const u = unshuffle(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), +b[3]);
    blobs[b[1]] = new Uint8Array(u);
  }
  const f32 = (id) => new Float32Array(blobs[id].buffer, 0, blobs[id].length / 4);
  meta.courses.forEach((c) => { c.dose = f32(c.dose); c.upper = c.upper ? f32(c.upper) : null; });
  meta.structures.forEach((s) => {
    if (s.mask) s.mask.bits = blobs[s.mask.blob];
    const list = [];
    if (s.contours) {
      const all = new Float64Array(blobs[s.contours.blob].buffer, 0, blobs[s.contours.blob].length / 8);
      let off = 0;
      s.contours.counts.forEach((n) => { list.push(all.subarray(off, off + 3 * n)); off += 3 * n; });
    }
    s.contours = list;
  });
  meta.html_bytes = fs.statSync(htmlPath).size;
  return meta;
}

function rert(args, opts) {
  const r = spawnSync(BIN, args, Object.assign({ encoding: 'utf8', maxBuffer: 1 << 28 }, opts || {}));
  return r;
}

/* Voxel values of RTDOSE files at (i, j, k) read with pydicom (independent reader). */
function pydicomValues(files, voxels) {
  const script = [
    'import sys, json, pydicom',
    'req = json.loads(sys.argv[1]); out = {}',
    'for f in req["files"]:',
    '    d = pydicom.dcmread(f); a = d.pixel_array; s = float(d.DoseGridScaling)',
    '    out[f] = [float(a[k, j, i]) * s for (i, j, k) in req["voxels"]]',
    'print(json.dumps(out))'].join('\n');
  const o = execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify({ files, voxels })], { encoding: 'utf8' });
  return JSON.parse(o);
}

function loadEngine() {
  delete require.cache[require.resolve(ENGINE)];
  return require(ENGINE);
}

module.exports = { SRC, BIN, WORK, ARTEFACTS, ENGINE, readModel, rert, pydicomValues, loadEngine };
