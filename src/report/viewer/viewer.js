/* viewer.js — report.html's interactive review: slice viewer (axial, coronal, sagittal planes of
 * the reference CT with dose wash or isodose lines and structure outlines), DVH panel and
 * what-if panel. Reads the JSON description and the compressed voxel arrays embedded in the page
 * (src/consult/consult_viewer.c), recomputes with engine.js, and never touches the network.
 *
 * Navigation is on the reference dose grid: the plane index shown is the RTDOSE's (k = frame,
 * j = row, i = column); hover reads the nearest dose-grid voxel. Keyboard: ↑/↓ or j/k one plane,
 * PgUp/PgDn five, Home/End first/last, in the panel under the mouse or last clicked; the mouse
 * wheel scrolls planes; a click moves the other two planes through that point.
 * Every state other than the signed one is marked "what-if — not the signed consult".
 */
(function () {
  'use strict';
  var E = window.RertEngine;
  var root = document.getElementById('rert-viewer');
  var api = { ready: null, errors: [] };
  window.rertViewer = api;
  if (!root || !E) return;

  /* ---------------- payload ---------------- */
  var B64 = new Uint8Array(128);
  (function () { var a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'; for (var i = 0; i < 64; i++) B64[a.charCodeAt(i)] = i; })();
  function b64bytes(s) {
    s = s.trim();
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(s);
    var n = s.length, pad = s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
    var out = new Uint8Array(n / 4 * 3 - pad), o = 0;
    for (var i = 0; i < n; i += 4) {
      var v = B64[s.charCodeAt(i)] << 18 | B64[s.charCodeAt(i + 1)] << 12 | B64[s.charCodeAt(i + 2)] << 6 | B64[s.charCodeAt(i + 3)];
      out[o++] = v >> 16;
      if (o < out.length) out[o++] = (v >> 8) & 255;
      if (o < out.length) out[o++] = v & 255;
    }
    return out;
  }
  function inflate(bytes) {
    var ds = new DecompressionStream('deflate');
    var stream = new Blob([bytes]).stream().pipeThrough(ds);
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }
  function unshuffle(sh, elem) {
    if (elem === 1) return sh;
    var n = sh.length / elem, out = new Uint8Array(sh.length);
    for (var b = 0; b < elem; b++) {
      var off = b * n;
      for (var i = 0; i < n; i++) out[i * elem + b] = sh[off + i];
    }
    return out;
  }
  function loadBlobs() {
    var els = document.querySelectorAll('script.rert-blob'), jobs = [];
    var blobs = {};
    Array.prototype.forEach.call(els, function (el) {
      var elem = +el.getAttribute('data-elem');
      jobs.push(inflate(b64bytes(el.textContent)).then(function (raw) {
        if (raw.length !== +el.getAttribute('data-bytes')) throw new Error('blob ' + el.getAttribute('data-id') + ': wrong size');
        blobs[el.getAttribute('data-id')] = { bytes: unshuffle(raw, elem), elem: elem };
      }));
    });
    return Promise.all(jobs).then(function () { return blobs; });
  }
  function f32(b) { return new Float32Array(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length / 4); }

  function buildModel(meta, blobs) {
    var M = meta;
    M.courses.forEach(function (c) {
      c.dose = f32(blobs[c.dose]);
      c.upper = c.upper ? f32(blobs[c.upper]) : null;
      c.dose_id = c.dose_id || c.id;
    });
    M.structures.forEach(function (s) {
      if (s.mask) s.mask.bits = blobs[s.mask.blob].bytes;
      if (s.contours) {
        var b = blobs[s.contours.blob], all = new Float64Array(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length / 8);
        var list = [], off = 0;
        s.contours.counts.forEach(function (n) { list.push(all.subarray(off, off + 3 * n)); off += 3 * n; });
        s.contourList = list;
      }
      s.contours = s.contourList || [];
      s.visible = !s.is_target || s.is_recurrence;
    });
    if (M.ct) {
      var cb = blobs[M.ct.blob];
      M.ct.data = new Uint16Array(cb.bytes.buffer, cb.bytes.byteOffset, cb.bytes.length / 2);
    }
    M.protocols.forEach(function (p) { p.rows.forEach(function (r) { r.protocol = p.name; }); });
    return M;
  }

  /* ---------------- small DOM helpers ---------------- */
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(v, d) { return v === null || v === undefined || isNaN(v) ? '–' : (+v).toFixed(d === undefined ? 2 : d); }

  /* ---------------- state ---------------- */
  var M, eng, st = E.emptyState(), P, gov, acc, accWorst, signedAcc;
  var view = { mapSel: 'cumulative', mode: 'wash', wl: [40, 400], opacity: 0.45, cross: [0, 0, 0], active: 0, level: 0 };
  var PLANES = ['axial', 'coronal', 'sagittal'];
  var panels = [];

  function recomputeMaps() {
    P = E.prepare(M, st);
    gov = E.governing(M, P);
    acc = E.accumulate(M, P, gov, false);
    accWorst = null;
  }
  function worstAcc() {
    if (!accWorst && M.courses.some(function (c) { return c.upper; })) accWorst = E.accumulate(M, P, gov, true);
    return accWorst;
  }
  function currentMap() {
    var s = view.mapSel;
    if (s === 'cumulative') return acc.cumulative;
    if (s === 'worst') { var w = worstAcc(); return w ? w.cumulative : acc.cumulative; }
    if (s === 'prior') return acc.recovered_prior;
    var m = /^(eqd2|dose)(\d+)$/.exec(s);
    if (m) return m[1] === 'eqd2' ? acc.course[+m[2]] : M.courses[+m[2]].dose;
    return acc.cumulative;
  }

  /* ---------------- slice geometry ---------------- */
  var G; /* dose grid */
  /* view axes per plane: [horizontal axis, vertical axis, normal axis] and vertical flip */
  var AX = [[0, 1, 2, false], [0, 2, 1, true], [1, 2, 0, true]];
  function sub(a) { var ps = M.ct ? Math.min(M.ct.spacing[0], M.ct.spacing[1]) : G.spacing[0]; return Math.max(1, Math.round(G.spacing[a] / ps)); }

  /* CT number (HU, nearest CT voxel) at a continuous dose-grid index: dose index -> CT index is
   * affine, so it is precomputed once (origin and one column per dose axis) */
  var ctAffine = null;
  function ctSampler() {
    if (!M.ct) return null;
    var ct = M.ct, n = ct.n, d = ct.data;
    if (!ctAffine) {
      var o = E.worldToIndex(ct, E.indexToWorld(G, [0, 0, 0])), cols = [];
      for (var a = 0; a < 3; a++) {
        var u = [0, 0, 0];
        u[a] = 1;
        var c = E.worldToIndex(ct, E.indexToWorld(G, u));
        cols.push([c[0] - o[0], c[1] - o[1], c[2] - o[2]]);
      }
      ctAffine = { o: o, c: cols };
    }
    var O = ctAffine.o, C0 = ctAffine.c[0], C1 = ctAffine.c[1], C2 = ctAffine.c[2];
    return function (p) {
      var i = Math.round(O[0] + p[0] * C0[0] + p[1] * C1[0] + p[2] * C2[0]);
      var j = Math.round(O[1] + p[0] * C0[1] + p[1] * C1[1] + p[2] * C2[1]);
      var k = Math.round(O[2] + p[0] * C0[2] + p[1] * C1[2] + p[2] * C2[2]);
      if (i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2]) return -1024;
      return d[i + n[0] * (j + n[1] * k)] - 1024;
    };
  }

  function jet(t) {
    var r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3))), g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2))),
        b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1)));
    return [r * 255, g * 255, b * 255];
  }
  function isoLevels(mx) {
    var step = mx > 120 ? 20 : (mx > 40 ? 10 : (mx > 10 ? 5 : 1)), out = [];
    for (var l = step; l < mx && out.length < 8; l += step) out.push(l);
    return out;
  }
  function mapMax(m) { var x = 0; for (var i = 0; i < m.length; i++) if (m[i] > x) x = m[i]; return x; }

  function Panel(pi) {
    this.pi = pi;
    this.ax = AX[pi];
    var a = this.ax;
    this.fh = sub(a[0]); this.fv = sub(a[1]);
    this.nh = G.n[a[0]]; this.nv = G.n[a[1]]; this.nn = G.n[a[2]];
    this.wmm = this.nh * G.spacing[a[0]]; this.hmm = this.nv * G.spacing[a[1]];
    this.label = el('div', { class: 'rv-plane-label', id: 'rv-label-' + PLANES[pi] });
    this.canvas = el('canvas', { class: 'rv-canvas', id: 'rv-canvas-' + PLANES[pi], tabindex: '0' });
    this.base = document.createElement('canvas');
    this.base.width = this.nh * this.fh; this.base.height = this.nv * this.fv;
    this.box = el('div', { class: 'rv-panel', 'data-plane': PLANES[pi] }, [this.label, this.canvas]);
    var self = this;
    this.canvas.addEventListener('wheel', function (ev) { ev.preventDefault(); view.active = pi; self.step(ev.deltaY > 0 ? 1 : -1); }, { passive: false });
    this.canvas.addEventListener('mousemove', function (ev) { view.active = pi; self.hover(ev); });
    this.canvas.addEventListener('mouseleave', function () { });
    this.canvas.addEventListener('click', function (ev) { view.active = pi; self.canvas.focus(); var v = self.voxelAt(ev); if (v) { view.cross = v; redrawAll(); } });
    this.canvas.addEventListener('keydown', function (ev) { onKey(ev, pi); });
  }
  Panel.prototype.index = function () { return view.cross[this.ax[2]]; };
  Panel.prototype.step = function (d) {
    var a = this.ax[2], k = Math.min(this.nn - 1, Math.max(0, view.cross[a] + d));
    if (k !== view.cross[a]) { view.cross[a] = k; redrawAll(); }
  };
  Panel.prototype.size = function () {
    var avail = Math.max(220, Math.floor((root.clientWidth - 24) / 3));
    var scale = Math.min(avail / this.wmm, 380 / this.hmm);
    return [Math.round(this.wmm * scale), Math.round(this.hmm * scale), scale];
  };
  /* continuous dose index of canvas pixel (x, y) */
  Panel.prototype.toIndex = function (x, y) {
    var a = this.ax, s = this.scaleNow, ijk = [0, 0, 0];
    var h = x / s / G.spacing[a[0]] - 0.5, v = y / s / G.spacing[a[1]] - 0.5;
    if (a[3]) v = this.nv - 1 - v;
    ijk[a[0]] = h; ijk[a[1]] = v; ijk[a[2]] = view.cross[a[2]];
    return ijk;
  };
  Panel.prototype.toCanvas = function (h, v) {
    var a = this.ax, s = this.scaleNow;
    if (a[3]) v = this.nv - 1 - v;
    return [(h + 0.5) * G.spacing[a[0]] * s, (v + 0.5) * G.spacing[a[1]] * s];
  };
  Panel.prototype.voxelAt = function (ev) {
    var r = this.canvas.getBoundingClientRect();
    var x = (ev.clientX - r.left) * this.canvas.width / r.width, y = (ev.clientY - r.top) * this.canvas.height / r.height;
    var ijk = this.toIndex(x, y).map(Math.round);
    for (var a = 0; a < 3; a++) if (ijk[a] < 0 || ijk[a] >= G.n[a]) return null;
    return ijk;
  };
  Panel.prototype.hover = function (ev) { var v = this.voxelAt(ev); if (v) showReadout(v); };
  Panel.prototype.draw = function () {
    var a = this.ax, k = view.cross[a[2]], sz = this.size(), cv = this.canvas;
    this.scaleNow = sz[2];
    cv.width = sz[0]; cv.height = sz[1];
    cv.style.width = sz[0] + 'px'; cv.style.height = sz[1] + 'px';
    var posW = E.indexToWorld(G, [a[2] === 0 ? k : 0, a[2] === 1 ? k : 0, a[2] === 2 ? k : 0])[a[2]];
    this.label.textContent = ['Axial', 'Coronal', 'Sagittal'][this.pi] + ' ' + 'kji'[2 - a[2]] + ' = ' + k + ' / ' + (this.nn - 1) +
      '  (' + 'xyz'[a[2]] + ' = ' + posW.toFixed(1) + ' mm)';
    this.label.setAttribute('data-index', k);
    /* base image: CT window + dose wash on the sub-sampled pixel grid */
    var bw = this.base.width, bh = this.base.height, ctx = this.base.getContext('2d'), img = ctx.createImageData(bw, bh);
    var px = img.data, ctAt = ctSampler(), lo = view.wl[0] - view.wl[1] / 2, wd = view.wl[1];
    var map = currentMap(), mx = this.mapMax, wash = view.mode === 'wash', op = view.opacity;
    var nx = G.n[0], nxy = G.n[0] * G.n[1], ijk = [0, 0, 0];
    for (var y = 0; y < bh; y++) {
      var vv = (y + 0.5) / this.fv - 0.5;
      if (a[3]) vv = this.nv - 1 - vv;
      for (var x = 0; x < bw; x++) {
        var hh = (x + 0.5) / this.fh - 0.5;
        ijk[a[0]] = hh; ijk[a[1]] = vv; ijk[a[2]] = k;
        var g = ctAt ? Math.min(255, Math.max(0, (ctAt(ijk) - lo) / wd * 255)) : 0, r = g, gg = g, b = g;
        if (wash) {
          var vi = Math.round(ijk[0]) + nx * Math.round(ijk[1]) + nxy * Math.round(ijk[2]), d = map[vi];
          if (d > 0.02 * mx) {
            var c = jet(Math.min(1, d / mx));
            r = r * (1 - op) + c[0] * op; gg = gg * (1 - op) + c[1] * op; b = b * (1 - op) + c[2] * op;
          }
        }
        var o = 4 * (x + bw * y);
        px[o] = r; px[o + 1] = gg; px[o + 2] = b; px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    var c2 = cv.getContext('2d');
    c2.imageSmoothingEnabled = true;
    c2.drawImage(this.base, 0, 0, cv.width, cv.height);
    if (view.mode === 'iso') this.drawIso(c2, map, k, mx);
    if (view.level > 0) this.drawIso(c2, map, k, mx, [view.level]);
    this.drawOutlines(c2, k);
    /* crosshair */
    var ch = this.toCanvas(view.cross[a[0]], view.cross[a[1]]);
    c2.strokeStyle = 'rgba(255,255,0,0.5)'; c2.lineWidth = 1; c2.setLineDash([4, 4]);
    c2.beginPath(); c2.moveTo(ch[0], 0); c2.lineTo(ch[0], cv.height); c2.moveTo(0, ch[1]); c2.lineTo(cv.width, ch[1]); c2.stroke();
    c2.setLineDash([]);
  };
  /* isodose lines: marching squares on the dose plane, at voxel centres */
  Panel.prototype.drawIso = function (c2, map, k, mx, only) {
    var a = this.ax, nh = this.nh, nv = this.nv, vals = new Float32Array(nh * nv), ijk = [0, 0, 0], nx = G.n[0], nxy = nx * G.n[1];
    for (var v = 0; v < nv; v++) for (var h = 0; h < nh; h++) {
      ijk[a[0]] = h; ijk[a[1]] = v; ijk[a[2]] = k;
      vals[h + nh * v] = map[ijk[0] + nx * ijk[1] + nxy * ijk[2]];
    }
    var levels = only || isoLevels(mx), self = this;
    levels.forEach(function (L, li) {
      var c = only ? [255, 255, 255] : jet(levels.length > 1 ? li / (levels.length - 1) : 1);
      c2.strokeStyle = 'rgb(' + (c[0] | 0) + ',' + (c[1] | 0) + ',' + (c[2] | 0) + ')';
      c2.lineWidth = only ? 2.2 : 1.6;
      c2.beginPath();
      for (var v = 0; v + 1 < nv; v++) for (var h = 0; h + 1 < nh; h++) {
        var q = [vals[h + nh * v], vals[h + 1 + nh * v], vals[h + 1 + nh * (v + 1)], vals[h + nh * (v + 1)]];
        var pts = [], cs = [[h, v], [h + 1, v], [h + 1, v + 1], [h, v + 1]];
        for (var e = 0; e < 4; e++) {
          var q0 = q[e], q1 = q[(e + 1) % 4];
          if ((q0 >= L) !== (q1 >= L)) {
            var t = (L - q0) / (q1 - q0), p0 = cs[e], p1 = cs[(e + 1) % 4];
            pts.push([p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1])]);
          }
        }
        for (var s = 0; s + 1 < pts.length; s += 2) {
          var A = self.toCanvas(pts[s][0], pts[s][1]), B = self.toCanvas(pts[s + 1][0], pts[s + 1][1]);
          c2.moveTo(A[0], A[1]); c2.lineTo(B[0], B[1]);
        }
      }
      c2.stroke();
    });
  };
  /* structure outlines from the contours: the polygons on axial planes; on the other planes the
   * boundary of the slab stack (each contour plane covers half-way to its neighbours) */
  Panel.prototype.drawOutlines = function (c2, k) {
    var a = this.ax, self = this, posIdx = [0, 0, 0];
    posIdx[a[2]] = k;
    var wpos = E.indexToWorld(G, posIdx);
    M.structures.forEach(function (stc, s) {
      if (!stc.visible) return;
      var sh = eng.shape(s);
      if (sh.error) return;
      c2.strokeStyle = 'rgb(' + stc.rgb.join(',') + ')';
      c2.lineWidth = stc.is_recurrence ? 2.4 : 1.4;
      c2.beginPath();
      var axialShape = Math.abs(sh.n[2]) > 0.999;
      if (!axialShape) return;
      if (a[2] === 2) {
        var z = wpos[2] * (sh.n[2] > 0 ? 1 : -1);
        sh.planes.forEach(function (P) {
          if (!(z >= P.c_lo && z < P.c_hi)) return;
          P.runs.forEach(function (run) {
            for (var i = run[0]; i < run[0] + run[1]; i++) {
              var w = [0, 0, 0];
              for (var q = 0; q < 3; q++) w[q] = sh.verts[2 * i] * sh.e1[q] + sh.verts[2 * i + 1] * sh.e2[q] + P.c * sh.n[q];
              var ij = E.worldToIndex(G, w), cpt = self.toCanvas(ij[a[0]], ij[a[1]]);
              if (i === run[0]) c2.moveTo(cpt[0], cpt[1]); else c2.lineTo(cpt[0], cpt[1]);
            }
            c2.closePath();
          });
        });
      } else {
        /* line through the plane: fixed world coordinate along axis a[2] (x or y) */
        var fixedAx = a[2], fixedV = wpos[fixedAx], lines = [];
        sh.planes.forEach(function (P) { lines.push({ P: P, iv: intervals(sh, P, fixedAx, fixedV, a[0]) }); });
        var zsign = sh.n[2] > 0 ? 1 : -1;
        function seg(hw0, hw1, zw) {
          var p0 = [0, 0, 0], p1 = [0, 0, 0];
          p0[a[0]] = hw0; p1[a[0]] = hw1; p0[fixedAx] = p1[fixedAx] = fixedV; p0[2] = p1[2] = zw * zsign;
          var i0 = E.worldToIndex(G, p0), i1 = E.worldToIndex(G, p1);
          var A = self.toCanvas(i0[a[0]], i0[a[1]]), B = self.toCanvas(i1[a[0]], i1[a[1]]);
          c2.moveTo(A[0], A[1]); c2.lineTo(B[0], B[1]);
        }
        lines.forEach(function (L, q) {
          /* vertical sides */
          L.iv.forEach(function (iv) {
            [iv[0], iv[1]].forEach(function (hx) {
              var p0 = [0, 0, 0], p1 = [0, 0, 0];
              p0[a[0]] = p1[a[0]] = hx; p0[fixedAx] = p1[fixedAx] = fixedV; p0[2] = L.P.c_lo * zsign; p1[2] = L.P.c_hi * zsign;
              var i0 = E.worldToIndex(G, p0), i1 = E.worldToIndex(G, p1);
              var A = self.toCanvas(i0[a[0]], i0[a[1]]), B = self.toCanvas(i1[a[0]], i1[a[1]]);
              c2.moveTo(A[0], A[1]); c2.lineTo(B[0], B[1]);
            });
          });
          var next = lines[q + 1], touching = next && Math.abs(next.P.c_lo - L.P.c_hi) < 1e-6;
          var top = touching ? xorIntervals(L.iv, next.iv) : L.iv;
          top.forEach(function (iv) { seg(iv[0], iv[1], L.P.c_hi); });
          var prev = lines[q - 1], ptouch = prev && Math.abs(prev.P.c_hi - L.P.c_lo) < 1e-6;
          if (!ptouch) L.iv.forEach(function (iv) { seg(iv[0], iv[1], L.P.c_lo); });
        });
      }
      c2.stroke();
    });
  };
  /* inside intervals of plane P along world axis hAx on the line where world axis fAx = v */
  function intervals(sh, P, fAx, v, hAx) {
    var xs = [];
    for (var e = 0; e < P.ne; e++) {
      var o = 4 * (P.e0 + e), a0 = sh.edges[o], b0 = sh.edges[o + 1], a1 = sh.edges[o + 2], b1 = sh.edges[o + 3];
      /* edge end points in world, projected to the two in-plane axes */
      var w0 = [a0 * sh.e1[0] + b0 * sh.e2[0], a0 * sh.e1[1] + b0 * sh.e2[1]];
      var w1 = [a1 * sh.e1[0] + b1 * sh.e2[0], a1 * sh.e1[1] + b1 * sh.e2[1]];
      var f0 = w0[fAx], f1 = w1[fAx];
      if ((f0 <= v && v < f1) || (f1 <= v && v < f0)) xs.push(w0[hAx] + (v - f0) * (w1[hAx] - w0[hAx]) / (f1 - f0));
    }
    xs.sort(function (p, q) { return p - q; });
    var out = [];
    for (var i = 0; i + 1 < xs.length; i += 2) if (xs[i + 1] > xs[i]) out.push([xs[i], xs[i + 1]]);
    return out;
  }
  function xorIntervals(A, B) {
    var ev = [];
    A.forEach(function (iv) { ev.push([iv[0], 1], [iv[1], 1]); });
    B.forEach(function (iv) { ev.push([iv[0], 1], [iv[1], 1]); });
    ev.sort(function (p, q) { return p[0] - q[0]; });
    var out = [], par = 0, startX = 0;
    ev.forEach(function (e) {
      var np = par ^ 1;
      if (!par && np) startX = e[0];
      if (par && !np && e[0] > startX) out.push([startX, e[0]]);
      par = np;
    });
    return out;
  }

  function onKey(ev, pi) {
    var p = panels[pi], d = 0;
    switch (ev.key) {
      case 'ArrowUp': case 'k': d = 1; break;
      case 'ArrowDown': case 'j': d = -1; break;
      case 'PageUp': d = 5; break;
      case 'PageDown': d = -5; break;
      case 'Home': d = -1e6; break;
      case 'End': d = 1e6; break;
      default: return;
    }
    ev.preventDefault();
    p.step(d);
  }

  function redrawAll() {
    var map = currentMap(), mx = mapMax(map);
    panels.forEach(function (p) { p.mapMax = mx; p.draw(); });
    document.getElementById('rv-map-max').textContent = 'map maximum ' + fmt(mx) + ' Gy' + (view.mode === 'iso' ? '; isodose lines ' + isoLevels(mx).join(', ') + ' Gy' : '') +
      (view.level > 0 ? '; white line ' + view.level + ' Gy (from the DVH)' : '');
  }

  /* ---------------- hover readout ---------------- */
  function showReadout(v) {
    var i = v[0], j = v[1], k = v[2], idx = i + G.n[0] * (j + G.n[1] * k), g = gov[idx];
    var w = E.indexToWorld(G, v), S = M.structures.length;
    var ab = g < 0 ? M.defaults.unlisted_alpha_beta_gy : P.ab[g];
    var rows = [['voxel (i, j, k)', i + ', ' + j + ', ' + k], ['position (LPS mm)', w.map(function (x) { return x.toFixed(1); }).join(', ')],
      ['α/β applied', fmt(ab, 2) + ' Gy (' + (g < 0 ? 'no listed structure' : M.structures[g].name) + ')'],
      ['inside (mask ≥ ' + M.defaults.mask_threshold + ')', M.structures.filter(function (stc) {
        var mk = stc.mask;
        if (!mk) return false;
        var a = i - mk.lo[0], b = j - mk.lo[1], c = k - mk.lo[2];
        return a >= 0 && b >= 0 && c >= 0 && a < mk.n[0] && b < mk.n[1] && c < mk.n[2] && mk.bits[a + mk.n[0] * (b + mk.n[1] * c)];
      }).map(function (stc) { return stc.name; }).join(', ') || '—']];
    var out = el('table', { class: 'rv-readout-table' });
    var cells = [];
    M.courses.forEach(function (co, c) {
      var D = co.dose[idx], e = acc.course[c][idx], recTxt = '';
      if (!co.is_new) {
        var r = acc.rec[c][g < 0 ? S : g];
        var spec = g >= 0 && P.rec[g][c] ? P.rec[g][c] : M.defaults.default_recovery;
        recTxt = r && !r.error ? (r.isLimit ? spec + ' (limit model: no discount)' : spec + ', ' + (r.nonlinear ? 'dose-dependent' : fmt(100 * (1 - r.keep), 1) + ' % recovered') + ' after ' + fmt(P.t[c], 1) + ' mo') : spec;
      }
      cells.push([co.id + (co.is_new ? ' (planned)' : ' (prior)'), fmt(D * P.scale[c], 3) + ' Gy', fmt(e, 3) + ' Gy', recTxt, 'rv-ro-course' + c]);
    });
    rows.forEach(function (r) { out.appendChild(el('tr', null, [el('th', { text: r[0] }), el('td', { colspan: '3', text: r[1] })])); });
    out.appendChild(el('tr', null, [el('th', { text: 'course' }), el('th', { text: 'physical dose' }), el('th', { text: 'EQD2 (unrecovered)' }), el('th', { text: 'recovery applied' })]));
    cells.forEach(function (c) {
      out.appendChild(el('tr', { id: c[4] }, [el('th', { text: c[0] }), el('td', { class: 'rv-dose', text: c[1] }), el('td', { class: 'rv-eqd2', text: c[2] }), el('td', { text: c[3] })]));
    });
    var wa = worstAcc();
    out.appendChild(el('tr', { id: 'rv-ro-cumulative' }, [el('th', { text: 'cumulative EQD2' }), el('td', { class: 'rv-cum', colspan: '3', text: fmt(acc.cumulative[idx], 3) + ' Gy' + (E.stateIsSigned(st) ? '' : '  (signed: ' + fmt(signedAcc.cumulative[idx], 3) + ' Gy)') })]));
    if (wa) out.appendChild(el('tr', { id: 'rv-ro-worst' }, [el('th', { text: 'worst case' }), el('td', { class: 'rv-worst', colspan: '3', text: fmt(wa.cumulative[idx], 3) + ' Gy' })]));
    var box = document.getElementById('rv-readout');
    box.innerHTML = '';
    box.setAttribute('data-voxel', i + ',' + j + ',' + k);
    box.appendChild(out);
  }

  /* ---------------- DVH panel ---------------- */
  var dvhSel = {}, dvhMaps = { cumulative: true, prior: false, worst: false };
  function drawDvh() {
    var cv = document.getElementById('rv-dvh-canvas'), c2 = cv.getContext('2d'), W = cv.width, H = cv.height;
    c2.fillStyle = '#fff'; c2.fillRect(0, 0, W, H);
    var curves = [];
    Object.keys(dvhSel).forEach(function (s) {
      if (!dvhSel[s]) return;
      eng.curves(P, +s, dvhMaps).forEach(function (cv2) { cv2.s = +s; curves.push(cv2); });
    });
    var xmax = 10;
    curves.forEach(function (c) { for (var i = 0; i < c.volume_pct.length; i++) if (c.volume_pct[i] > 0.05) xmax = Math.max(xmax, c.dose_gy[i]); });
    xmax = Math.ceil(xmax / 10) * 10;
    var L = 46, B = 30, pw = W - L - 10, ph = H - B - 10;
    c2.strokeStyle = '#999'; c2.lineWidth = 1; c2.font = '11px sans-serif'; c2.fillStyle = '#333';
    c2.strokeRect(L, 10, pw, ph);
    for (var t = 0; t <= 5; t++) {
      var x = L + pw * t / 5, y = 10 + ph * t / 5;
      c2.fillText((xmax * t / 5).toFixed(0), x - 8, H - 12);
      c2.fillText((100 - 20 * t) + '', 12, y + 4);
    }
    c2.fillText('EQD2 (Gy)', L + pw / 2 - 20, H - 1);
    c2.save(); c2.translate(10, 10 + ph / 2 + 30); c2.rotate(-Math.PI / 2); c2.fillText('volume (%)', 0, 0); c2.restore();
    var dash = { course: [6, 3], recovered_prior: [2, 3], cumulative: [], worst_case: [8, 3, 2, 3] };
    curves.forEach(function (c) {
      c2.strokeStyle = 'rgb(' + M.structures[c.s].rgb.join(',') + ')';
      c2.lineWidth = c.kind === 'cumulative' ? 2 : 1.3;
      c2.setLineDash(dash[c.kind] || []);
      c2.beginPath();
      for (var i = 0; i < c.dose_gy.length; i++) {
        var X = L + pw * Math.min(1, c.dose_gy[i] / xmax), Y = 10 + ph * (1 - c.volume_pct[i] / 100);
        if (i) c2.lineTo(X, Y); else c2.moveTo(X, Y);
      }
      c2.stroke();
    });
    c2.setLineDash([]);
    if (view.level > 0 && view.level < xmax) {
      var XL = L + pw * view.level / xmax;
      c2.strokeStyle = '#000'; c2.lineWidth = 1; c2.setLineDash([3, 3]);
      c2.beginPath(); c2.moveTo(XL, 10); c2.lineTo(XL, 10 + ph); c2.stroke(); c2.setLineDash([]);
      c2.fillStyle = '#000'; c2.fillText(view.level.toFixed(1) + ' Gy', XL + 3, 22);
    }
    cv.setAttribute('data-curves', curves.length);
    cv._xmap = { L: L, pw: pw, xmax: xmax };
  }
  function buildDvhPanel() {
    var list = el('div', { class: 'rv-dvh-structs' });
    M.structures.forEach(function (stc, s) {
      var constrained = M.protocols.some(function (p) { return p.rows.some(function (r) { return r.s === s; }); });
      if (stc.name === 'SpinalCord' || stc.is_recurrence) dvhSel[s] = true;
      var cb = el('input', { type: 'checkbox', id: 'rv-dvh-s' + s });
      cb.checked = !!dvhSel[s];
      cb.addEventListener('change', function () {
        dvhSel[s] = cb.checked;
        if (cb.checked && !stc.visible) { stc.visible = true; var vb = document.getElementById('rv-vis-' + s); if (vb) vb.checked = true; redrawAll(); }
        drawDvh();
      });
      var go = el('a', { href: '#', class: 'rv-goto', title: 'show in the viewer', text: stc.name, onclick: function (ev) { ev.preventDefault(); gotoStructure(s); } });
      list.appendChild(el('label', { class: constrained ? 'rv-constrained' : '' }, [cb, el('span', { class: 'rv-swatch', style: 'background:rgb(' + stc.rgb.join(',') + ')' }), go]));
    });
    var maps = el('div', { class: 'rv-dvh-maps' }, [el('b', { text: 'maps: ' })]);
    M.courses.forEach(function (co, c) { dvhMaps['course' + c] = false; });
    var keys = M.courses.map(function (co, c) { return ['course' + c, co.id + ' EQD2']; }).concat([['prior', 'prior, recovered'], ['cumulative', 'cumulative'], ['worst', 'worst case']]);
    keys.forEach(function (kk) {
      var cb = el('input', { type: 'checkbox', id: 'rv-dvh-map-' + kk[0] });
      cb.checked = !!dvhMaps[kk[0]];
      cb.addEventListener('change', function () { dvhMaps[kk[0]] = cb.checked; drawDvh(); });
      maps.appendChild(el('label', null, [cb, kk[1]]));
    });
    var cv = el('canvas', { id: 'rv-dvh-canvas', width: '620', height: '300', title: 'click: show this dose level as a white line in the slice viewer' });
    cv.addEventListener('click', function (ev) {
      var xm = cv._xmap, r = cv.getBoundingClientRect();
      if (!xm) return;
      var x = (ev.clientX - r.left) * cv.width / r.width, D = (x - xm.L) / xm.pw * xm.xmax;
      view.level = D > 0 && D < xm.xmax ? Math.round(D * 10) / 10 : 0;
      redrawAll();
      drawDvh();
    });
    return el('div', { class: 'rv-dvh' }, [el('h3', { text: 'DVH (contours, the rert dvh engine; EQD2 at the organ α/β)' }), maps, list, cv,
      el('p', { class: 'rv-small', text: 'Colour = structure; line: thick solid = cumulative, dashed = one course (unrecovered), dotted = prior courses after recovery, dash-dot = worst case. Linked to the viewer: ticking a structure shows its outline, its name centres the planes on it, a click on the plot draws that dose level (in the map shown) as a white line on the planes.' })]);
  }
  function gotoStructure(s) {
    var mk = M.structures[s].mask;
    if (!mk) return;
    /* centre of the mask's voxels */
    var sum = [0, 0, 0], n = 0, q = 0;
    for (var k = 0; k < mk.n[2]; k++) for (var j = 0; j < mk.n[1]; j++) for (var i = 0; i < mk.n[0]; i++, q++)
      if (mk.bits[q]) { sum[0] += i + mk.lo[0]; sum[1] += j + mk.lo[1]; sum[2] += k + mk.lo[2]; n++; }
    if (!n) return;
    view.cross = sum.map(function (x) { return Math.round(x / n); });
    M.structures[s].visible = true;
    var cb = document.getElementById('rv-vis-' + s);
    if (cb) cb.checked = true;
    redrawAll();
  }

  /* ---------------- what-if panel ---------------- */
  function isWhatIf() { return !E.stateIsSigned(st); }
  function banner() {
    var b = document.getElementById('rv-state');
    if (isWhatIf()) {
      b.className = 'rv-state rv-whatif';
      b.textContent = 'WHAT-IF — NOT THE SIGNED CONSULT. Numbers below follow the changed assumptions; the signed report is unchanged.';
    } else {
      b.className = 'rv-state rv-signed';
      b.textContent = 'Signed consult: the assumptions of the case file (numbers equal the report below).';
    }
    root.classList.toggle('rv-is-whatif', isWhatIf());
  }
  function recoveryChoices() {
    var out = [['', '(case file)']];
    M.recovery_models.forEach(function (m) {
      if (m.kind === 'fixed' && m.fraction_recovered === undefined) return;
      if (m.kind === 'exponential' && m.halftime_years === undefined) return;
      if (m.kind === 'jones_grant' && m.bed_tol_gy === undefined) return;
      out.push([m.name, m.name]);
    });
    out.push(['__fixed', 'fixed percentage ...']);
    return out;
  }
  function buildWhatIf() {
    var tbl = el('table', { class: 'rv-whatif-table', id: 'rv-whatif-structs' });
    tbl.appendChild(el('tr', null, ['structure', 'α/β (Gy)', 'recovery', '% recovered', ''].map(function (h) { return el('th', { text: h }); })));
    var choices = recoveryChoices();
    M.structures.forEach(function (stc, s) {
      var abIn = el('input', { type: 'number', step: '0.1', min: '0.1', max: '100', id: 'rv-ab-' + s, value: String(stc.alpha_beta_gy), 'data-structure': stc.name });
      var sel = el('select', { id: 'rv-rec-' + s, 'data-structure': stc.name });
      choices.forEach(function (c) { sel.appendChild(el('option', { value: c[0], text: c[1] })); });
      var pct = el('input', { type: 'number', step: '1', min: '0', max: '100', id: 'rv-pct-' + s, disabled: 'disabled', placeholder: '%' });
      var reset = el('button', { type: 'button', text: 'reset', onclick: function () { delete st.ab[s]; delete st.rec[s]; abIn.value = stc.alpha_beta_gy; sel.value = ''; pct.disabled = true; pct.value = ''; changed(); } });
      abIn.addEventListener('change', function () {
        var v = +abIn.value;
        if (!(v >= 0.1 && v <= 100)) { abIn.value = st.ab[s] !== undefined ? st.ab[s] : stc.alpha_beta_gy; return; }
        if (v === stc.alpha_beta_gy) delete st.ab[s]; else st.ab[s] = v;
        changed();
      });
      function recChange() {
        var v = sel.value;
        pct.disabled = v !== '__fixed';
        if (v === '') delete st.rec[s];
        else if (v === '__fixed') {
          var f = +pct.value;
          if (pct.value === '' || !(f >= 0 && f <= 100)) { f = 50; pct.value = '50'; }
          st.rec[s] = 'fixed:fraction_recovered=' + (f / 100);
        }
        else st.rec[s] = v;
        changed();
      }
      sel.addEventListener('change', recChange);
      pct.addEventListener('change', recChange);
      var cur = stc.recovery.filter(function (x, c) { return !M.courses[c].is_new; })[0] || M.defaults.default_recovery;
      tbl.appendChild(el('tr', { 'data-structure': stc.name }, [el('td', { text: stc.name + (stc.is_target ? ' (target)' : '') }), el('td', null, [abIn]),
        el('td', null, [sel, el('div', { class: 'rv-small', text: 'case file: ' + cur })]), el('td', null, [pct]), el('td', null, [reset])]));
    });
    var courses = el('table', { class: 'rv-whatif-table', id: 'rv-whatif-courses' });
    courses.appendChild(el('tr', null, ['course', 'interval to the new course', 'dose scale (%)'].map(function (h) { return el('th', { text: h }); })));
    M.courses.forEach(function (co, c) {
      var iv = null, ivTxt = el('span', { class: 'rv-small' });
      if (!co.is_new) {
        iv = el('input', { type: 'number', step: '1', min: '0', id: 'rv-interval-' + c, value: String(co.interval_days) });
        ivTxt.textContent = ' days = ' + fmt(co.interval_days / E.DAYS_PER_MONTH, 1) + ' months';
        iv.addEventListener('change', function () {
          var d = Math.round(+iv.value);
          if (!(d >= 0)) { iv.value = co.interval_days; return; }
          iv.value = d;
          if (d === co.interval_days) delete st.interval_days[c]; else st.interval_days[c] = d;
          ivTxt.textContent = ' days = ' + fmt(d / E.DAYS_PER_MONTH, 1) + ' months';
          changed();
        });
      }
      var sc = el('input', { type: 'number', step: '1', min: '0', max: '300', id: 'rv-scale-' + c, value: '100' });
      sc.addEventListener('change', function () {
        var v = +sc.value;
        if (!(v >= 0 && v <= 300)) { sc.value = 100; return; }
        if (v === 100) delete st.scale[c]; else st.scale[c] = v / 100;
        changed();
      });
      courses.appendChild(el('tr', null, [el('td', { text: co.id + ' (' + co.role + ')' }), el('td', null, iv ? [iv, ivTxt] : [el('span', { text: '—' })]), el('td', null, [sc])]));
    });
    var reason = el('input', { type: 'text', id: 'rv-reason', value: 'what-if explored in report.html', size: '50' });
    reason.addEventListener('change', updateExport);
    var resetAll = el('button', { type: 'button', id: 'rv-reset', text: 'Back to the signed consult', onclick: function () { resetState(); } });
    return el('div', { class: 'rv-whatif-panel' }, [
      el('h3', { text: 'What-if: change an assumption' }),
      el('p', { class: 'rv-small', text: 'Changes recompute the maps, the organ metrics, every constraint row and the DVHs here in the browser with the same engine as rert evaluate (contour DVH, local dose per fraction, recovery per prior course). The signed report below never changes.' }),
      tbl, courses, resetAll,
      el('h3', { text: 'Organ metrics (cumulative EQD2 at the organ α/β, its recovery)' }),
      el('div', { id: 'rv-organ' }),
      el('h3', { text: 'Constraint rows' }),
      el('div', { id: 'rv-rows' }),
      el('h3', { text: 'Reproduce this what-if with rert consult / rert evaluate' }),
      el('p', { class: 'rv-small', text: 'Put this overrides array in the case file as $.overrides (it keeps the case file\'s own entries; one entry per structure) and set the named course fields (end_date: last fraction of the prior course, which sets the interval; x_dose_scale: the course dose multiplied, a what-if); then run rert evaluate CASE.json or rert consult CASE.json. Or download the whole what-if case file and save it beside the original (its paths are relative to that folder).' }),
      el('label', null, ['reason: ', reason]), ' ',
      el('button', { type: 'button', id: 'rv-download', text: 'Download the what-if case file', onclick: downloadCase }),
      el('pre', { id: 'rv-export', class: 'rv-export' })]);
  }
  /* the signed case file with the what-if applied (the same edits as the snippet) */
  function whatIfCase() {
    var cs = JSON.parse(JSON.stringify(M.case_file || {})), snip = E.exportState(M, st, document.getElementById('rv-reason').value);
    cs.overrides = snip.overrides;
    if (!cs.overrides.length) delete cs.overrides;
    (snip.courses || []).forEach(function (p) {
      (cs.courses || []).forEach(function (co) { if (co.id === p.id) Object.keys(p).forEach(function (k) { if (k !== 'id') co[k] = p[k]; }); });
    });
    return cs;
  }
  function downloadCase() {
    var url = URL.createObjectURL(new Blob([JSON.stringify(whatIfCase(), null, 2) + '\n'], { type: 'application/json' }));
    var a = el('a', { href: url, download: 'case_whatif.json' });
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  api.whatIfCase = function () { return whatIfCase(); };
  function resetState() {
    st = E.emptyState();
    M.structures.forEach(function (stc, s) {
      var a = document.getElementById('rv-ab-' + s), r = document.getElementById('rv-rec-' + s), p = document.getElementById('rv-pct-' + s);
      if (a) a.value = stc.alpha_beta_gy;
      if (r) r.value = '';
      if (p) { p.value = ''; p.disabled = true; }
    });
    M.courses.forEach(function (co, c) {
      var iv = document.getElementById('rv-interval-' + c), sc = document.getElementById('rv-scale-' + c);
      if (iv) iv.value = co.interval_days;
      if (sc) sc.value = 100;
    });
    changed();
  }
  var organSel = -1;
  function renderOrgan() {
    var box = document.getElementById('rv-organ');
    box.innerHTML = '';
    var sel = el('select', { id: 'rv-organ-select' });
    M.structures.forEach(function (stc, s) { if (!stc.is_target || stc.is_recurrence) sel.appendChild(el('option', { value: String(s), text: stc.name })); });
    if (organSel < 0) {
      M.structures.forEach(function (stc, s) { if (organSel < 0 && stc.name === 'SpinalCord') organSel = s; });
      if (organSel < 0) organSel = +sel.options[0].value;
    }
    sel.value = String(organSel);
    sel.addEventListener('change', function () { organSel = +sel.value; renderOrgan(); });
    box.appendChild(sel);
    var Ps = E.prepare(M, E.emptyState()), sg = eng.organMetrics(Ps, organSel), w = eng.organMetrics(P, organSel);
    var t = el('table', { class: 'rv-organ-table', id: 'rv-organ-table' });
    t.appendChild(el('tr', null, ['metric', 'signed', isWhatIf() ? 'what-if' : 'current'].map(function (h) { return el('th', { text: h }); })));
    [['Dmax', 'Dmax'], ['D0.03cc', 'D0.03cc'], ['D2cc', 'D2cc'], ['Dmean', 'Dmean'], ['Dmin', 'Dmin'], ['worst case Dmax', 'worst_Dmax']].forEach(function (m) {
      t.appendChild(el('tr', { 'data-metric': m[0] }, [el('th', { text: m[0] + ' (Gy)' }), el('td', { class: 'rv-signed-val', text: fmt(sg[m[1]]) }),
        el('td', { class: 'rv-cur-val', text: fmt(w[m[1]]) })]));
    });
    box.appendChild(t);
    box.appendChild(el('p', { class: 'rv-small', text: 'α/β ' + fmt(P.ab[organSel], 2) + ' Gy; recovery ' + (P.rec[organSel].filter(function (x, c) { return !M.courses[c].is_new; })[0] || M.defaults.default_recovery) +
      (w.error ? '; ' + w.error : '') + (w.complete === false ? '; part of the structure lies outside the dose grid' : '') }));
  }
  function renderRows() {
    var box = document.getElementById('rv-rows');
    box.innerHTML = '';
    var hardFail = 0, hardInc = 0, t = el('table', { class: 'rv-rows-table', id: 'rv-rows-table' });
    t.appendChild(el('tr', null, ['protocol', 'structure', 'metric', 'tier', 'α/β', 'signed value', 'value', 'limit', 'signed', 'verdict', 'worst', 'worst verdict'].map(function (h) { return el('th', { text: h }); })));
    M.protocols.forEach(function (p) {
      p.rows.forEach(function (r) {
        var o = isWhatIf() ? eng.evalRow(P, r) : { verdict: r.c_verdict, value: r.c_value, limit: r.c_limit, worst_value: r.c_worst_value, worst_verdict: r.c_worst_verdict, alpha_beta_gy: r.c_alpha_beta_gy };
        if (r.hard && (o.verdict === 'fail' || o.worst_verdict === 'fail')) hardFail++;
        else if (r.hard && (o.verdict === 'incomplete' || o.worst_verdict === 'incomplete')) hardInc++;
        var diff = isWhatIf() && (o.verdict !== r.c_verdict || Math.abs((o.value || 0) - (r.c_value || 0)) > 0.005);
        t.appendChild(el('tr', { class: diff ? 'rv-changed' : '', 'data-protocol': p.name, 'data-structure': r.structure, 'data-metric': r.metric.text, 'data-constraint': r.constraint_id },
          [el('td', { text: p.name }), el('td', { text: r.structure }), el('td', { text: r.metric.text }), el('td', { text: r.tier }),
           el('td', { text: fmt(o.alpha_beta_gy !== undefined ? o.alpha_beta_gy : r.c_alpha_beta_gy, 1) }),
           el('td', { class: 'rv-signed-val', text: fmt(r.c_value) }), el('td', { class: 'rv-val', text: fmt(o.value) }),
           el('td', { text: r.cmp + ' ' + fmt(o.limit) + ' ' + r.limit_unit }),
           el('td', { class: 'rv-v-' + r.c_verdict.replace(/[^a-z]/g, ''), text: r.c_verdict }),
           el('td', { class: 'rv-verdict rv-v-' + String(o.verdict).replace(/[^a-z]/g, ''), text: o.verdict + (o.recomputed === false ? ' (not recomputed: ' + o.note + ')' : '') }),
           el('td', { class: 'rv-worst-val', text: fmt(o.worst_value) }), el('td', { class: 'rv-v-' + String(o.worst_verdict).replace(/[^a-z]/g, ''), text: o.worst_verdict || '–' })]));
      });
    });
    var verdict = hardFail ? 'FAIL' : (hardInc ? 'INCOMPLETE' : 'PASS');
    box.appendChild(el('p', { id: 'rv-verdict', class: 'rv-overall rv-v-' + verdict.toLowerCase(), 'data-verdict': verdict,
      text: (isWhatIf() ? 'What-if verdict (NOT the signed consult): ' : 'Signed verdict: ') + verdict + ' — ' + hardFail + ' hard row(s) failing, ' + hardInc + ' incomplete.' }));
    box.appendChild(t);
  }
  function updateExport() {
    var pre = document.getElementById('rv-export');
    var snip = E.exportState(M, st, document.getElementById('rv-reason').value);
    pre.textContent = isWhatIf() ? JSON.stringify(snip, null, 2) : '(no change from the signed consult)';
  }
  var pending = null;
  function changed() {
    banner();
    document.getElementById('rv-busy').textContent = 'recomputing ...';
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      pending = null;
      var t0 = performance.now();
      recomputeMaps();
      redrawAll();
      renderOrgan();
      renderRows();
      drawDvh();
      updateExport();
      root.setAttribute('data-state', isWhatIf() ? 'whatif' : 'signed');
      root.setAttribute('data-revision', String((+root.getAttribute('data-revision') || 0) + 1));
      document.getElementById('rv-busy').textContent = 'recomputed in ' + ((performance.now() - t0) / 1000).toFixed(2) + ' s';
    }, 30);
  }

  /* ---------------- layout ---------------- */
  function buildToolbar() {
    var mapSel = el('select', { id: 'rv-map' });
    [['cumulative', 'cumulative EQD2 (recovered prior + new)'], ['worst', 'worst case cumulative EQD2'], ['prior', 'prior courses, recovered EQD2']].forEach(function (o) {
      if (o[0] === 'worst' && !M.courses.some(function (c) { return c.upper; })) return;
      mapSel.appendChild(el('option', { value: o[0], text: o[1] }));
    });
    M.courses.forEach(function (co, c) {
      mapSel.appendChild(el('option', { value: 'eqd2' + c, text: co.id + ' EQD2 (unrecovered)' }));
      mapSel.appendChild(el('option', { value: 'dose' + c, text: co.id + ' physical dose' + (co.is_reference ? '' : ' (mapped)') }));
    });
    mapSel.addEventListener('change', function () { view.mapSel = mapSel.value; redrawAll(); });
    var mode = el('select', { id: 'rv-mode' }, [el('option', { value: 'wash', text: 'colour wash' }), el('option', { value: 'iso', text: 'isodose lines' }), el('option', { value: 'none', text: 'CT only' })]);
    mode.addEventListener('change', function () { view.mode = mode.value; redrawAll(); });
    var wl = el('select', { id: 'rv-wl' });
    [['40,400', 'soft tissue 40/400'], ['40,80', 'brain 40/80'], ['400,1800', 'bone 400/1800'], ['-600,1500', 'lung −600/1500'], ['60,300', 'head & neck 60/300']].forEach(function (o) { wl.appendChild(el('option', { value: o[0], text: 'W/L ' + o[1] })); });
    wl.addEventListener('change', function () { view.wl = wl.value.split(',').map(Number); redrawAll(); });
    var op = el('input', { type: 'range', min: '0', max: '100', value: '45', id: 'rv-opacity' });
    op.addEventListener('input', function () { view.opacity = op.value / 100; redrawAll(); });
    var vis = el('div', { class: 'rv-vis' });
    M.structures.forEach(function (stc, s) {
      var cb = el('input', { type: 'checkbox', id: 'rv-vis-' + s });
      cb.checked = stc.visible;
      cb.addEventListener('change', function () { stc.visible = cb.checked; redrawAll(); });
      vis.appendChild(el('label', null, [cb, el('span', { class: 'rv-swatch', style: 'background:rgb(' + stc.rgb.join(',') + ')' }), stc.name]));
    });
    return el('div', { class: 'rv-toolbar' }, [el('label', null, ['map ', mapSel]), el('label', null, [' display ', mode]), el('label', null, [' ', wl]),
      el('label', null, [' opacity ', op]), el('span', { id: 'rv-map-max', class: 'rv-small' }), vis]);
  }

  function start(meta, blobs) {
    M = buildModel(meta, blobs);
    G = M.grid;
    eng = new E.Engine(M);
    recomputeMaps();
    signedAcc = acc;
    /* start at the recurrence (or the dose maximum) */
    var rec = -1;
    M.structures.forEach(function (stc, s) { if (stc.is_recurrence) rec = s; });
    var c = acc.cumulative, best = 0;
    for (var v = 0; v < c.length; v++) if (c[v] > c[best]) best = v;
    view.cross = [best % G.n[0], Math.floor(best / G.n[0]) % G.n[1], Math.floor(best / (G.n[0] * G.n[1]))];
    root.innerHTML = '';
    root.appendChild(el('div', { id: 'rv-state', class: 'rv-state' }));
    root.appendChild(buildToolbar());
    var row = el('div', { class: 'rv-planes' });
    for (var pi = 0; pi < 3; pi++) { panels.push(new Panel(pi)); row.appendChild(panels[pi].box); }
    root.appendChild(row);
    root.appendChild(el('p', { class: 'rv-small', text: 'Mouse wheel or ↑/↓ (PgUp/PgDn: 5) scroll the planes of the panel under the mouse; click to move the other planes through a point; hover for the voxel values. Planes are those of the reference dose grid (RTDOSE frame k, row j, column i). ' }, [el('span', { id: 'rv-busy', class: 'rv-small' })]));
    root.appendChild(el('div', { id: 'rv-readout', class: 'rv-readout' }, [el('p', { class: 'rv-small', text: 'Hover over a plane to read the voxel values.' })]));
    var cols = el('div', { class: 'rv-cols' }, [buildDvhPanel(), buildWhatIf()]);
    root.appendChild(cols);
    if (rec >= 0) gotoStructure(rec); else redrawAll();
    banner();
    renderRows();
    updateExport();
    root.setAttribute('data-state', 'signed');
    root.setAttribute('data-revision', '0');
    root.setAttribute('data-ready', '1');
    /* the planes, readout and signed rows are usable now; the organ metrics and the DVHs need
     * contour integrations and follow when the browser is idle */
    document.getElementById('rv-organ').textContent = 'computing the organ metrics ...';
    setTimeout(function () { renderOrgan(); drawDvh(); root.setAttribute('data-complete', '1'); }, 0);
    window.addEventListener('resize', redrawAll);
  }

  /* test and scripting hooks (tests/browser): the model, the engine and the current state */
  api.engine = E;
  api.ready = new Promise(function (resolve, reject) {
    try {
      var meta = JSON.parse(document.getElementById('rert-viewer-data').textContent);
      loadBlobs().then(function (blobs) {
        start(meta, blobs);
        api.model = M; api.eng = eng;
        api.state = function () { return st; };
        api.prepared = function () { return P; };
        api.maps = function () { return acc; };
        api.view = view;
        /* client (page) coordinates of voxel ijk's centre in panel pi (0 axial, 1 coronal, 2 sagittal) */
        api.voxelToClient = function (pi, ijk) {
          var pn = panels[pi], a = pn.ax, c = pn.toCanvas(ijk[a[0]], ijk[a[1]]), r = pn.canvas.getBoundingClientRect();
          return [r.left + c[0] * r.width / pn.canvas.width, r.top + c[1] * r.height / pn.canvas.height];
        };
        resolve(true);
      }).catch(function (e) { root.textContent = 'Interactive review unavailable: ' + e.message; reject(e); });
    } catch (e) { root.textContent = 'Interactive review unavailable: ' + e.message; reject(e); }
  });
})();
