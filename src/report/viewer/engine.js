/* engine.js — the what-if engine of the report viewer: the numbers of `rert evaluate`, recomputed
 * in the browser from the report's embedded voxel data when a reader changes an assumption.
 *
 * It is a line-by-line port of the C code that produces the signed numbers, so a what-if state
 * gives what `rert consult` / `rert evaluate` give with the same case-file overrides:
 *   - LQ: EQD2 = D(1 + (D/n)(1 + h)/(α/β)) / (1 + 2/(α/β)) with the local dose per fraction and
 *     the Thames factor h for BID (domain-reference §1.1, §1.4; src/accumulate/accum_internal.h);
 *   - recovery models: none, stepwise, fixed, exponential, Jones-Grant, limit models
 *     (§3, Addendum A; src/recovery/recovery.c);
 *   - the α/β overlap rule and the cumulative map (src/accumulate/accumulate.c);
 *   - constraint maps (src/accumulate/eval_metric.c map_value, on the structure's bounding box
 *     plus one voxel, stored as float32 as in C) and their metrics by the contour DVH engine of
 *     `rert dvh` (src/geom/shape.c scanlines, src/dvh/dvh.c ramp deposits, src/dvh/metric.c);
 *   - verdicts, limit factors and interval conditions (src/accumulate/evaluate.c).
 * The physical doses are the exact float32 values of the consult's mapped doses, so the only
 * differences from C are the order of floating-point sums (≪ 0.01 Gy). tests/browser checks this
 * against `rert evaluate` and hand-computed values.
 *
 * Pure functions, no DOM: the same file runs in the page and under node (tests/browser).
 */
(function (root) {
  'use strict';
  var E = {};
  var fround = Math.fround;
  var DAYS_PER_MONTH = 30.4375;

  /* ---------------- LQ and recovery (§1, §3) ---------------- */
  E.eqd2 = function (D, n, h, ab) { return D * (1.0 + (D / n) * (1.0 + h) / ab) / (1.0 + 2.0 / ab); };
  E.thamesH = function (m, dtH, thalfH) {
    if (m <= 1) return 0.0;
    var phi = Math.exp(-Math.log(2.0) * dtH / thalfH);
    if (phi <= 0) return 0.0;
    var phim = Math.pow(phi, m);
    return (2.0 / m) * (phi / (1.0 - phi)) * (m - (1.0 - phim) / (1.0 - phi));
  };
  E.DAYS_PER_MONTH = DAYS_PER_MONTH;

  var PARAM_KEYS = ['fraction_recovered', 'halftime_years', 'r_max', 'jg_a', 'jg_b', 'bed_tol_gy',
    'limit_factor', 'uplift_after_months'];

  /* A recovery spec "name[:key=value,...]" resolved against the embedded models (names and
   * aliases, as recovery_model_get). Returns {model} or {error}. */
  E.recoveryResolve = function (models, spec) {
    if (!spec) spec = 'none';
    var colon = spec.indexOf(':');
    var name = colon >= 0 ? spec.slice(0, colon) : spec;
    var base = null;
    for (var i = 0; i < models.length && !base; i++) {
      if (models[i].name === name) base = models[i];
    }
    for (i = 0; i < models.length && !base; i++) {
      var al = models[i].aliases || [];
      for (var a = 0; a < al.length; a++) if (al[a].toLowerCase() === name.toLowerCase()) base = models[i];
    }
    if (!base) return { error: "unknown recovery model '" + name + "'" };
    var m = JSON.parse(JSON.stringify(base));
    m.spec = spec;
    if (colon >= 0) {
      var kvs = spec.slice(colon + 1).split(',');
      for (i = 0; i < kvs.length; i++) {
        var eq = kvs[i].indexOf('=');
        if (eq < 0) return { error: "recovery '" + name + "': parameter '" + kvs[i] + "' needs key=value" };
        var k = kvs[i].slice(0, eq), v = Number(kvs[i].slice(eq + 1));
        if (PARAM_KEYS.indexOf(k) < 0) return { error: "recovery '" + name + "': unknown parameter '" + k + "'" };
        if (!isFinite(v) || kvs[i].slice(eq + 1) === '') return { error: "recovery '" + name + "': " + k + " is not a number" };
        m[k] = v;
      }
    }
    var bad = null;
    if (m.kind === 'fixed' && !(m.fraction_recovered >= 0 && m.fraction_recovered <= 1)) bad = 'fraction_recovered must be in [0, 1]';
    if (m.kind === 'exponential' && !(m.halftime_years > 0 && isFinite(m.halftime_years))) bad = 'needs halftime_years > 0';
    if (m.kind === 'exponential' && !(m.r_max >= 0 && m.r_max <= 1)) bad = 'r_max must be in [0, 1]';
    if (m.kind === 'jones_grant' && !(m.bed_tol_gy > 0 && isFinite(m.bed_tol_gy))) bad = 'needs bed_tol_gy > 0';
    if ((m.kind === 'limit_uplift' || m.kind === 'limit_scale') && !(m.limit_factor > 0)) bad = 'limit_factor must be > 0';
    if (bad) return { error: "recovery '" + name + "': " + bad };
    return { model: m };
  };

  /* Fraction recovered after t months (recovery_fraction); 0 for limit models. */
  E.recoveryFraction = function (m, t) {
    switch (m.kind) {
      case 'stepwise': {
        var r = 0;
        for (var i = 0; i < m.steps.length; i++) if (t >= m.steps[i].from_months) r = m.steps[i].fraction_recovered;
        return r;
      }
      case 'fixed': return m.fraction_recovered;
      case 'exponential': return m.r_max * (1.0 - Math.pow(2.0, -(t / 12.0) / m.halftime_years));
      default: return 0;
    }
  };
  E.recoveryIsLimit = function (m) { return m.kind === 'limit_uplift' || m.kind === 'limit_scale'; };
  E.recoveryLimitFactor = function (m, t) {
    if (m.kind === 'limit_scale') return m.limit_factor;
    if (m.kind === 'limit_uplift') return t > m.uplift_after_months ? m.limit_factor : 1.0;
    return 1.0;
  };
  /* accum_recovery_setup: {m, nonlinear, isLimit, keep, limitFactor} at interval t. */
  E.recoverySetup = function (models, spec, t) {
    var r = E.recoveryResolve(models, spec);
    if (r.error) return r;
    var m = r.model, nonlinear = m.kind === 'jones_grant';
    return { m: m, nonlinear: nonlinear, isLimit: E.recoveryIsLimit(m),
             keep: nonlinear ? 1.0 : 1.0 - E.recoveryFraction(m, t), limitFactor: E.recoveryLimitFactor(m, t) };
  };
  /* accum_recover: recovered EQD2 of a prior course (Jones-Grant per voxel, Addendum A). */
  E.recover = function (r, eqd2, t, ab) {
    if (!r.nonlinear) return eqd2 * r.keep;
    if (!(eqd2 >= 0) || !(ab > 0)) return eqd2;
    var m = r.m, bed = eqd2 * (1.0 + 2.0 / ab), tol = m.bed_tol_gy, out = bed;
    if (bed < tol) {
      var rr = m.jg_a + Math.exp(m.jg_b * (t / 12.0 - 1.0));
      out = tol * (1.0 - Math.pow(1.0 - bed / tol, 1.0 / (1.0 + rr)));
    }
    return out / (1.0 + 2.0 / ab);
  };

  /* ---------------- grid geometry (src/core/volume.c) ---------------- */
  E.indexToWorld = function (g, ijk) {
    var o = [0, 0, 0];
    for (var a = 0; a < 3; a++)
      o[a] = g.origin[a] + ijk[0] * g.spacing[0] * g.dir[a] + ijk[1] * g.spacing[1] * g.dir[3 + a] +
             ijk[2] * g.spacing[2] * g.dir[6 + a];
    return o;
  };
  function det3(t) {
    return t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
           t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0]);
  }
  E.worldToIndex = function (g, x) {
    var m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], a, c;
    for (a = 0; a < 3; a++) for (c = 0; c < 3; c++) m[a][c] = g.dir[3 * c + a] * g.spacing[c];
    var r = [x[0] - g.origin[0], x[1] - g.origin[1], x[2] - g.origin[2]];
    var det = det3(m), out = [0, 0, 0];
    for (c = 0; c < 3; c++) {
      var t = [m[0].slice(), m[1].slice(), m[2].slice()];
      for (a = 0; a < 3; a++) t[a][c] = r[a];
      out[c] = det3(t) / det;
    }
    return out;
  };

  /* ---------------- ROI shape (src/geom/shape.c) ---------------- */
  var PLANE_TOL_MM = 0.05, PLANAR_TOL_MM = 0.5, PARALLEL_COS = 0.999, MAX_COORD_MM = 1e5;
  function dot3(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  function dotp(p, i, b) { return p[i] * b[0] + p[i + 1] * b[1] + p[i + 2] * b[2]; }
  function newell(p) {
    var nv = [0, 0, 0], np = p.length / 3;
    for (var i = 0; i < np; i++) {
      var u = 3 * i, w = 3 * ((i + 1) % np);
      nv[0] += (p[u + 1] - p[w + 1]) * (p[u + 2] + p[w + 2]);
      nv[1] += (p[u + 2] - p[w + 2]) * (p[u] + p[w]);
      nv[2] += (p[u] - p[w]) * (p[u + 1] + p[w + 1]);
    }
    return nv;
  }
  function norm3(a) { var l = Math.sqrt(dot3(a, a)); if (l > 0) { a[0] /= l; a[1] /= l; a[2] /= l; } }
  function pip(ab, v0, nv, a, b) {
    var inn = false;
    for (var i = 0, j = nv - 1; i < nv; j = i++) {
      var ai = ab[2 * (v0 + i)], bi = ab[2 * (v0 + i) + 1], aj = ab[2 * (v0 + j)], bj = ab[2 * (v0 + j) + 1];
      if ((bi > b) !== (bj > b) && a < (aj - ai) * (b - bi) / (bj - bi) + ai) inn = !inn;
    }
    return inn;
  }
  function usable(ct) {
    if (ct.length < 9) return false;
    for (var i = 0; i < ct.length; i++) if (!isFinite(ct[i]) || Math.abs(ct[i]) > MAX_COORD_MM) return false;
    return true;
  }

  /* contours: array of Float64Array (x,y,z per point, LPS mm), CLOSED_PLANAR only. */
  E.shapeBuild = function (contours, defaultThick) {
    var s = { n: [0, 0, 0], e1: [0, 0, 0], e2: [0, 0, 0], info: {} }, best = 0, c, i, a;
    for (c = 0; c < contours.length; c++) {
      if (!usable(contours[c])) continue;
      var nv = newell(contours[c]), l = Math.sqrt(dot3(nv, nv));
      if (l < 1e-9) continue;
      if (l > best) { best = l; s.n = nv; }
    }
    if (best <= 0) return { error: 'no closed planar contour with at least 3 points and non-zero area' };
    norm3(s.n);
    var big = 0;
    for (a = 1; a < 3; a++) if (Math.abs(s.n[a]) > Math.abs(s.n[big])) big = a;
    if (s.n[big] < 0) for (a = 0; a < 3; a++) s.n[a] = -s.n[a];
    var ref = [1, 0, 0];
    if (Math.abs(s.n[0]) > 0.9) { ref[0] = 0; ref[1] = 1; }
    var d = dot3(ref, s.n);
    for (a = 0; a < 3; a++) s.e1[a] = ref[a] - d * s.n[a];
    norm3(s.e1);
    s.e2 = [s.n[1] * s.e1[2] - s.n[2] * s.e1[1], s.n[2] * s.e1[0] - s.n[0] * s.e1[2], s.n[0] * s.e1[1] - s.n[1] * s.e1[0]];
    var ci = [], totalPts = 0;
    for (c = 0; c < contours.length; c++) {
      var ct = contours[c];
      if (ct.length < 9) continue;
      var fin = usable(ct), nv2 = newell(ct), l2 = Math.sqrt(dot3(nv2, nv2));
      if (!fin || l2 < 1e-9) continue;
      if (Math.abs(dot3(nv2, s.n)) / l2 < PARALLEL_COS) return { error: 'contour ' + (c + 1) + ' is not parallel to the other contours' };
      var np = ct.length / 3, cm = 0;
      for (i = 0; i < np; i++) cm += dotp(ct, 3 * i, s.n);
      cm /= np;
      for (i = 0; i < np; i++)
        if (Math.abs(dotp(ct, 3 * i, s.n) - cm) > PLANAR_TOL_MM) return { error: 'contour ' + (c + 1) + ' is not planar' };
      ci.push({ idx: c, c: cm, area: 0, sarea: 0 });
      totalPts += np;
    }
    var nuse = ci.length;
    /* qsort by c: the order of equal c does not change any number below */
    ci.sort(function (x, y) { return x.c < y.c ? -1 : (x.c > y.c ? 1 : 0); });
    var nplanes = 0, u;
    for (u = 0; u < nuse; u++) if (u === 0 || ci[u].c - ci[u - 1].c > PLANE_TOL_MM) nplanes++;
    s.planes = [];
    s.edges = new Float64Array(4 * totalPts);
    s.verts = new Float64Array(2 * totalPts);
    s.nedges = 0;
    var cstart = new Int32Array(nuse + 1), cplane = new Int32Array(nuse + 1);
    var p = -1, nvert = 0, csum = 0, ccount = 0;
    for (u = 0; u < nuse; u++) {
      if (u === 0 || ci[u].c - ci[u - 1].c > PLANE_TOL_MM) {
        if (p >= 0) s.planes[p].c = csum / ccount;
        p++;
        csum = 0; ccount = 0;
        s.planes.push({ c: 0, c_lo: 0, c_hi: 0, e0: s.nedges, ne: 0, bmin: Infinity, bmax: -Infinity, area: 0, v0: nvert, nv: 0, runs: [] });
      }
      csum += ci[u].c; ccount++;
      var cc = contours[ci[u].idx], npt = cc.length / 3, P = s.planes[p];
      cstart[u] = nvert; cplane[u] = p;
      P.runs.push([nvert, npt]); /* for drawing only */
      for (i = 0; i < npt; i++) {
        var av = dotp(cc, 3 * i, s.e1), bv = dotp(cc, 3 * i, s.e2);
        s.verts[2 * (nvert + i)] = av; s.verts[2 * (nvert + i) + 1] = bv;
        if (bv < P.bmin) P.bmin = bv;
        if (bv > P.bmax) P.bmax = bv;
      }
      var sa = 0;
      for (i = 0; i < npt; i++) {
        var q0 = 2 * (nvert + i), q1 = 2 * (nvert + (i + 1) % npt);
        var a0 = s.verts[q0], b0 = s.verts[q0 + 1], a1 = s.verts[q1], b1 = s.verts[q1 + 1];
        sa += a0 * b1 - a1 * b0;
        if (b0 !== b1) {
          var e = 4 * s.nedges++;
          s.edges[e] = a0; s.edges[e + 1] = b0; s.edges[e + 2] = a1; s.edges[e + 3] = b1;
        }
      }
      sa *= 0.5;
      ci[u].sarea = sa; ci[u].area = Math.abs(sa);
      nvert += npt;
      P.ne = s.nedges - P.e0;
      P.nv = nvert - P.v0;
    }
    if (p >= 0) s.planes[p].c = csum / ccount;
    cstart[nuse] = nvert;
    var gaps = [], q, med = 0;
    for (q = 0; q + 1 < nplanes; q++) gaps.push(s.planes[q + 1].c - s.planes[q].c);
    if (nplanes > 1) {
      var tmp = gaps.slice().sort(function (x, y) { return x - y; }), m = tmp.length;
      med = m % 2 ? tmp[(m - 1) / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
    } else {
      if (!(defaultThick > 0)) return { error: 'single contour plane and no slice thickness to extrude it' };
      med = defaultThick;
    }
    s.info.plane_spacing_mm = nplanes > 1 ? med : 0;
    for (q = 0; q < nplanes; q++) {
      var below = q > 0 ? Math.min(0.5 * gaps[q - 1], 0.5 * med) : 0.5 * med;
      var above = q + 1 < nplanes ? Math.min(0.5 * gaps[q], 0.5 * med) : 0.5 * med;
      s.planes[q].c_lo = s.planes[q].c - below;
      s.planes[q].c_hi = s.planes[q].c + above;
    }
    var vol = 0;
    for (u = 0; u < nuse; u++) {
      var pl = cplane[u], depth = 0, vx = s.verts[2 * cstart[u]], vy = s.verts[2 * cstart[u] + 1];
      for (var w = 0; w < nuse; w++) {
        if (w === u || cplane[w] !== pl) continue;
        if (pip(s.verts, cstart[w], cstart[w + 1] - cstart[w], vx, vy)) depth++;
      }
      var sign = depth % 2 ? -1 : 1, T = s.planes[pl].c_hi - s.planes[pl].c_lo;
      s.planes[pl].area += sign * ci[u].area;
      vol += sign * ci[u].area * T;
    }
    s.info.volume_cc = vol / 1000.0;
    s.info.bbox_lo = [Infinity, Infinity, Infinity];
    s.info.bbox_hi = [-Infinity, -Infinity, -Infinity];
    for (q = 0; q < nplanes; q++) {
      var PP = s.planes[q];
      for (i = 0; i < PP.nv; i++) {
        var va = s.verts[2 * (PP.v0 + i)], vb = s.verts[2 * (PP.v0 + i) + 1];
        for (var f = 0; f < 2; f++) {
          var cz = f ? PP.c_hi : PP.c_lo;
          for (a = 0; a < 3; a++) {
            var x = va * s.e1[a] + vb * s.e2[a] + cz * s.n[a];
            if (x < s.info.bbox_lo[a]) s.info.bbox_lo[a] = x;
            if (x > s.info.bbox_hi[a]) s.info.bbox_hi[a] = x;
          }
        }
      }
    }
    s.nplanes = nplanes;
    return s;
  };

  function gridmapInit(s, grid, half) {
    var g = { half: half, I0: E.worldToIndex(grid, [0, 0, 0]), Ia: [], Ib: [], Ic: [], n: grid.n };
    var t = E.worldToIndex(grid, s.e1), a;
    for (a = 0; a < 3; a++) g.Ia[a] = t[a] - g.I0[a];
    t = E.worldToIndex(grid, s.e2);
    for (a = 0; a < 3; a++) g.Ib[a] = t[a] - g.I0[a];
    t = E.worldToIndex(grid, s.n);
    for (a = 0; a < 3; a++) g.Ic[a] = t[a] - g.I0[a];
    return g;
  }
  E.gridmapInit = gridmapInit;

  function borderPoints(g, base, k, use, lo, hi) {
    var out = [];
    for (var q = 0; q < 3; q++) {
      if (!use[q] || Math.abs(k[q]) < 1e-12) continue;
      var e0 = -0.5, e1 = g.n[q] - 0.5, x = (e0 - base[q]) / k[q];
      if (x > lo && x < hi) out.push(x);
      x = (e1 - base[q]) / k[q];
      if (x > lo && x < hi) out.push(x);
    }
    for (var i = 1; i < out.length; i++)
      for (var j = i; j > 0 && out[j - 1] > out[j]; j--) { var t = out[j]; out[j] = out[j - 1]; out[j - 1] = t; }
    return out;
  }
  var ALL3 = [1, 1, 1];
  function emitSplit(g, R, alo, ahi, db, dc, fn) {
    var next = [0, 0, 0, 0], step = [0, 0, 0, 0], u = g.half ? 0.5 : 1.0, q;
    var bp = g.half ? [] : borderPoints(g, R, g.Ia, ALL3, alo, ahi), nbp = bp.length, ib = 0;
    for (q = 0; q < 3; q++) {
      var ia = g.Ia[q];
      if (Math.abs(ia) < 1e-12) { next[q] = Infinity; step[q] = Infinity; continue; }
      var t0 = (R[q] + alo * ia) / u, tn = ia > 0 ? Math.floor(t0) + 1.0 : Math.ceil(t0) - 1.0;
      next[q] = (u * tn - R[q]) / ia;
      step[q] = u / Math.abs(ia);
    }
    next[3] = nbp ? bp[0] : Infinity;
    var a = alo, p0 = [R[0] + a * g.Ia[0], R[1] + a * g.Ia[1], R[2] + a * g.Ia[2]];
    while (a < ahi) {
      var an = ahi;
      for (q = 0; q < 4; q++) if (next[q] < an) an = next[q];
      if (an > a + 1e-9) {
        var p1 = [R[0] + an * g.Ia[0], R[1] + an * g.Ia[1], R[2] + an * g.Ia[2]];
        fn(p0, p1, an - a, db, dc);
        p0 = p1;
      }
      for (q = 0; q < 3; q++) while (next[q] <= an + 1e-9) next[q] += step[q];
      while (next[3] <= an + 1e-9) next[3] = ++ib < nbp ? bp[ib] : Infinity;
      a = an;
    }
  }
  function emitWhole(g, R, a0, a1, db, dc, fn) {
    if (!(a1 > a0 + 1e-9)) return;
    fn([R[0] + a0 * g.Ia[0], R[1] + a0 * g.Ia[1], R[2] + a0 * g.Ia[2]],
       [R[0] + a1 * g.Ia[0], R[1] + a1 * g.Ia[1], R[2] + a1 * g.Ia[2]], a1 - a0, db, dc);
  }
  function emitRow(g, R, alo, ahi, db, dc, fn) {
    var ain = -Infinity, aout = Infinity;
    for (var q = 0; q < 3; q++) {
      var ia = g.Ia[q], lo = -0.5, hi = g.n[q] - 0.5;
      if (Math.abs(ia) < 1e-12) {
        if (R[q] < lo || R[q] > hi) { ain = Infinity; aout = -Infinity; }
        continue;
      }
      var x0 = (lo - R[q]) / ia, x1 = (hi - R[q]) / ia;
      if (x0 > x1) { var t = x0; x0 = x1; x1 = t; }
      ain = Math.max(ain, x0); aout = Math.min(aout, x1);
    }
    if (!(aout > ain) || aout <= alo || ain >= ahi) { emitWhole(g, R, alo, ahi, db, dc, fn); return; }
    var s0 = Math.max(alo, ain), s1 = Math.min(ahi, aout);
    emitWhole(g, R, alo, s0, db, dc, fn);
    emitSplit(g, R, s0, s1, db, dc, fn);
    emitWhole(g, R, s1, ahi, db, dc, fn);
  }
  function sampleAxis(g, lo, hi, step, base, k, alone) {
    var br = [lo], u = g.half ? 0.5 : 1.0, q;
    var bp = g.half ? [] : borderPoints(g, base, k, alone, lo, hi);
    for (q = 0; q < 3 + bp.length; q++) {
      if (q < 3 && (!alone[q] || Math.abs(k[q]) < 1e-12)) continue;
      if (q >= 3) { if (bp[q - 3] > lo && bp[q - 3] < hi) br.push(bp[q - 3]); continue; }
      var t0 = (base[q] + lo * k[q]) / u, t1 = (base[q] + hi * k[q]) / u;
      var tl = Math.min(t0, t1), th = Math.max(t0, t1);
      for (var t = Math.floor(tl) + 1; t < th; t += 1) {
        var x = (u * t - base[q]) / k[q];
        if (x <= lo || x >= hi) continue;
        br.push(x);
      }
    }
    br.push(hi);
    br.sort(function (x, y) { return x - y; });
    var mid = [], wid = [];
    for (var i = 0; i + 1 < br.length; i++) {
      var L = br[i + 1] - br[i];
      if (L <= 1e-9) continue;
      var m = Math.ceil(L / step - 1e-9);
      for (var s = 0; s < m; s++) { mid.push(br[i] + (s + 0.5) * L / m); wid.push(L / m); }
    }
    return { mid: mid, wid: wid };
  }
  /* shape_scan_plane: fn(p0, p1, len, db, dc) for every piece of plane pi. */
  E.scanPlane = function (s, pi, g, step, fn) {
    var P = s.planes[pi], T = P.c_hi - P.c_lo, span = P.bmax - P.bmin;
    if (!(T > 0) || !(span > 0) || P.ne < 2) return;
    var aloneb = [0, 0, 0], alonec = [0, 0, 0], q;
    for (q = 0; q < 3; q++) {
      aloneb[q] = Math.abs(g.Ia[q]) < 1e-12 && Math.abs(g.Ic[q]) < 1e-12;
      alonec[q] = Math.abs(g.Ia[q]) < 1e-12 && Math.abs(g.Ib[q]) < 1e-12;
    }
    var rb = sampleAxis(g, P.bmin, P.bmax, step, g.I0, g.Ib, aloneb);
    var rc = sampleAxis(g, P.c_lo, P.c_hi, step, g.I0, g.Ic, alonec);
    var xs = new Float64Array(P.ne), Ed = s.edges, e0 = P.e0;
    for (var r = 0; r < rb.mid.length; r++) {
      var b = rb.mid[r], nx = 0;
      for (var e = 0; e < P.ne; e++) {
        var o = 4 * (e0 + e), b0 = Ed[o + 1], b1 = Ed[o + 3];
        if ((b0 <= b && b < b1) || (b1 <= b && b < b0)) xs[nx++] = Ed[o] + (b - b0) * (Ed[o + 2] - Ed[o]) / (b1 - b0);
      }
      if (nx < 2) continue;
      for (var i = 1; i < nx; i++) {
        var v = xs[i], j = i - 1;
        while (j >= 0 && xs[j] > v) { xs[j + 1] = xs[j]; j--; }
        xs[j + 1] = v;
      }
      for (var si = 0; si < rc.mid.length; si++) {
        var c = rc.mid[si], R = [0, 0, 0];
        for (q = 0; q < 3; q++) R[q] = g.I0[q] + b * g.Ib[q] + c * g.Ic[q];
        for (var k = 0; k + 1 < nx; k += 2)
          if (xs[k + 1] > xs[k]) emitRow(g, R, xs[k], xs[k + 1], rb.wid[r], rc.wid[si], fn);
      }
    }
  };

  /* ---------------- DVH from contours (src/dvh/dvh.c) ---------------- */
  var TARGET_CELLS = 3.0e5, LARGE_ROI_CC = 1000.0, MIN_STEP_MM = 0.01, OUTSIDE_TOL_CC = 1e-6;

  /* tri_cell + tri_at + tri_grad on grid t = {d: Float32Array, n: [3], sy, sz} */
  function triCell(t, p, f) {
    var i0 = [0, 0, 0];
    for (var a = 0; a < 3; a++) {
      var c = p[a] < 0 ? 0 : (p[a] > t.n[a] - 1 ? t.n[a] - 1 : p[a]);
      var i = Math.trunc(c);
      if (i >= t.n[a] - 1) i = t.n[a] > 1 ? t.n[a] - 2 : 0;
      i0[a] = i;
      f[a] = t.n[a] > 1 ? c - i : 0;
    }
    return i0[0] + t.sy * i0[1] + t.sz * i0[2];
  }
  function triAt(t, p) {
    var f = [0, 0, 0], b = triCell(t, p, f), d = t.d;
    var dx = t.n[0] > 1 ? 1 : 0, dy = t.n[1] > 1 ? t.sy : 0, dz = t.n[2] > 1 ? t.sz : 0;
    var c00 = d[b] + f[0] * (d[b + dx] - d[b]);
    var c10 = d[b + dy] + f[0] * (d[b + dy + dx] - d[b + dy]);
    var c01 = d[b + dz] + f[0] * (d[b + dz + dx] - d[b + dz]);
    var c11 = d[b + dz + dy] + f[0] * (d[b + dz + dy + dx] - d[b + dz + dy]);
    var c0 = c00 + f[1] * (c10 - c00), c1 = c01 + f[1] * (c11 - c01);
    return c0 + f[2] * (c1 - c0);
  }
  E.triAt = triAt;
  function triGrad(t, p, g) {
    var f = [0, 0, 0], b = triCell(t, p, f), d = t.d;
    var dx = t.n[0] > 1 ? 1 : 0, dy = t.n[1] > 1 ? t.sy : 0, dz = t.n[2] > 1 ? t.sz : 0;
    var v000 = d[b], v100 = d[b + dx], v010 = d[b + dy], v110 = d[b + dy + dx];
    var v001 = d[b + dz], v101 = d[b + dz + dx], v011 = d[b + dz + dy], v111 = d[b + dz + dy + dx];
    var fx = f[0], fy = f[1], fz = f[2];
    g[0] = dx ? (1 - fy) * (1 - fz) * (v100 - v000) + fy * (1 - fz) * (v110 - v010) + (1 - fy) * fz * (v101 - v001) + fy * fz * (v111 - v011) : 0;
    g[1] = dy ? (1 - fx) * (1 - fz) * (v010 - v000) + fx * (1 - fz) * (v110 - v100) + (1 - fx) * fz * (v011 - v001) + fx * fz * (v111 - v101) : 0;
    g[2] = dz ? (1 - fx) * (1 - fy) * (v001 - v000) + fx * (1 - fy) * (v101 - v100) + (1 - fx) * fy * (v011 - v010) + fx * fy * (v111 - v110) : 0;
  }
  function triInside(t, p) {
    for (var a = 0; a < 3; a++) if (p[a] < -0.5 - 1e-9 || p[a] > t.n[a] - 0.5 + 1e-9) return false;
    return true;
  }

  /* Histogram layout of a map (bins_for). */
  function binsFor(data) {
    var mn = data.length ? data[0] : 0, mx = mn;
    for (var i = 1; i < data.length; i++) { var v = data[i]; if (v < mn) mn = v; if (v > mx) mx = v; }
    var lo = mn < 0 ? mn : 0, range = mx - lo;
    var bw = Math.min(0.01, range > 0 ? range / 5000 : 0.01);
    return { lo: lo, bw: bw, nbins: Math.ceil(range / bw) + 2 };
  }

  /* Exact Dmin/Dmax of the trilinear dose over the contour-stack object (src/dvh/extremes.c,
   * docs/dvh.md "Exact Dmin and Dmax") for a dose grid whose axes carry the ROI's frame (the
   * usual case): the trilinear map is harmonic in every cell, so its extremes lie on (1) the
   * polygon edges at every height of {slab faces, grid planes inside the slab}, where within a
   * cell the restriction is a quadratic (ends and stationary point), or (2) the lattice-node
   * columns inside a polygon at those heights. Returns null when the grid is oblique to the
   * ROI's frame (the sampled extremes stand). */
  function axisOf(v) {
    var k = -1;
    for (var a = 0; a < 3; a++) if (Math.abs(v[a]) > 1e-9) { if (k >= 0) return -1; k = a; }
    return k;
  }
  function exactExtremes(s, g, t) {
    var ka = axisOf(g.Ia), kb = axisOf(g.Ib), kc = axisOf(g.Ic);
    if (ka < 0 || kb < 0 || kc < 0 || ka === kb || kb === kc || ka === kc) return null;
    var lo = Infinity, hi = -Infinity, p = [0, 0, 0];
    /* the dose at plane point (va, vb) of height c; NaN outside the grid */
    function val(va, vb, c) {
      p[ka] = g.I0[ka] + va * g.Ia[ka]; p[kb] = g.I0[kb] + vb * g.Ib[kb]; p[kc] = g.I0[kc] + c * g.Ic[kc];
      return triInside(t, p) ? triAt(t, p) : NaN;
    }
    function at(va, vb, c) {
      var d = val(va, vb, c);
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    /* grid index along an axis of plane coordinate u: x = I0 + u I */
    function crossings(u0, u1, i0, I, out) {
      var x0 = i0 + u0 * I, x1 = i0 + u1 * I;
      if (x1 < x0) { var tt = x0; x0 = x1; x1 = tt; }
      for (var k = Math.floor(x0) + 1; k < x1; k++) out.push((k - i0) / I);
    }
    for (var q = 0; q < s.nplanes; q++) {
      var P = s.planes[q], H = [P.c_lo, P.c_hi], cs = [];
      crossings(P.c_lo, P.c_hi, g.I0[kc], g.Ic[kc], cs);
      for (var h = 0; h < cs.length; h++) H.push(cs[h]);
      /* (1) edges, split at the grid lines, quadratic per piece */
      for (var r = 0; r < P.runs.length; r++) {
        var v0 = P.runs[r][0], nv = P.runs[r][1];
        for (var i = 0; i < nv; i++) {
          var a0 = s.verts[2 * (v0 + i)], b0 = s.verts[2 * (v0 + i) + 1];
          var a1 = s.verts[2 * (v0 + (i + 1) % nv)], b1 = s.verts[2 * (v0 + (i + 1) % nv) + 1];
          var ts = [0, 1], xa = [], xb = [];
          if (a1 !== a0) { crossings(a0, a1, g.I0[ka], g.Ia[ka], xa); for (var m = 0; m < xa.length; m++) ts.push((xa[m] - a0) / (a1 - a0)); }
          if (b1 !== b0) { crossings(b0, b1, g.I0[kb], g.Ib[kb], xb); for (var m2 = 0; m2 < xb.length; m2++) ts.push((xb[m2] - b0) / (b1 - b0)); }
          ts.sort(function (x, y) { return x - y; });
          for (var hh = 0; hh < H.length; hh++) {
            var c = H[hh];
            for (var k = 0; k < ts.length; k++) {
              var tA = ts[k];
              at(a0 + tA * (a1 - a0), b0 + tA * (b1 - b0), c);
              if (k + 1 >= ts.length) continue;
              var tB = ts[k + 1];
              if (!(tB - tA > 1e-12)) continue;
              /* the quadratic through the piece's ends and middle; its stationary point */
              var tM = 0.5 * (tA + tB);
              var fA = val(a0 + tA * (a1 - a0), b0 + tA * (b1 - b0), c);
              var fB = val(a0 + tB * (a1 - a0), b0 + tB * (b1 - b0), c);
              if (isNaN(fA) || isNaN(fB)) continue;
              var fM = val(a0 + tM * (a1 - a0), b0 + tM * (b1 - b0), c);
              var L = tB - tA, C2 = 2 * (fA + fB - 2 * fM) / (L * L), B1 = (fB - fA) / L - C2 * (tA + tB);
              if (Math.abs(C2) > 1e-300) {
                var tS = -B1 / (2 * C2);
                if (tS > tA && tS < tB) at(a0 + tS * (a1 - a0), b0 + tS * (b1 - b0), c);
              }
            }
          }
        }
      }
      /* (2) lattice-node columns inside the plane's polygons (even-odd over its contours) */
      var amin = Infinity, amax = -Infinity;
      for (var j = 0; j < P.nv; j++) { var av = s.verts[2 * (P.v0 + j)]; if (av < amin) amin = av; if (av > amax) amax = av; }
      var ia0 = g.I0[ka] + amin * g.Ia[ka], ia1 = g.I0[ka] + amax * g.Ia[ka];
      var ib0 = g.I0[kb] + P.bmin * g.Ib[kb], ib1 = g.I0[kb] + P.bmax * g.Ib[kb];
      if (ia1 < ia0) { var t1 = ia0; ia0 = ia1; ia1 = t1; }
      if (ib1 < ib0) { var t2 = ib0; ib0 = ib1; ib1 = t2; }
      var HN = [];
      for (var h2 = 0; h2 < H.length; h2++) HN.push(H[h2]);
      for (var xi = Math.max(0, Math.ceil(ia0)); xi <= Math.min(t.n[ka] - 1, Math.floor(ia1)); xi++)
        for (var yi = Math.max(0, Math.ceil(ib0)); yi <= Math.min(t.n[kb] - 1, Math.floor(ib1)); yi++) {
          var va2 = (xi - g.I0[ka]) / g.Ia[ka], vb2 = (yi - g.I0[kb]) / g.Ib[kb], inside = false;
          for (var r2 = 0; r2 < P.runs.length; r2++) if (pip(s.verts, P.runs[r2][0], P.runs[r2][1], va2, vb2)) inside = !inside;
          if (!inside) continue;
          for (var h3 = 0; h3 < HN.length; h3++) at(va2, vb2, HN[h3]);
        }
    }
    return lo <= hi ? { dmin: lo, dmax: hi } : null;
  }
  E.exactExtremes = exactExtremes;

  /* dvh_one_roi on a dose grid {n, origin, spacing, dir, data}: the DVH of shape s. */
  E.dvhShape = function (s, grid) {
    var bl = binsFor(grid.data), nbins = bl.nbins, lo = bl.lo, bw = bl.bw, invw = 1.0 / bw;
    var out = { lo_gy: lo, bin_gy: bw, nbins: nbins, status: 0 };
    if (!(s.info.volume_cc > 0)) { out.status = 2; out.msg = 'zero volume'; return out; }
    var sp = grid.spacing, smin = Math.min(sp[0], Math.min(sp[1], sp[2]));
    var step = Math.cbrt(s.info.volume_cc * 1000.0 / TARGET_CELLS);
    var cap = s.info.volume_cc > LARGE_ROI_CC ? smin : 0.5 * smin;
    if (step > cap) step = cap;
    if (step < MIN_STEP_MM) step = MIN_STEP_MM;
    var vmm3 = s.info.volume_cc * 1000.0;
    if (vmm3 / (step * step * step) > 2e9) step = Math.cbrt(vmm3 / 2e9);
    out.sample_mm = step;
    var g = gridmapInit(s, grid, 0);
    var t = { d: grid.data, n: grid.n, sy: grid.n[0], sz: grid.n[0] * grid.n[1] };
    var hist = new Float64Array(nbins), ramp = new Float64Array(2 * (nbins + 2));
    var inside = 0, outside = 0, sum = 0, dmin = Infinity, dmax = -Infinity;
    var lastP = null, lastD = 0, Ib = g.Ib, Ic = g.Ic, gr = [0, 0, 0], mid = [0, 0, 0];
    function hinge(x, sl) {
      var k = Math.trunc(x);
      if (k < x) k++;
      if (k < 0) k = 0;
      if (k > nbins) return;
      ramp[2 * k] += sl;
      ramp[2 * k + 1] -= sl * x;
    }
    function piece(p0, p1, len, db, dc) {
      var W = len * db * dc;
      for (var a = 0; a < 3; a++) mid[a] = 0.5 * (p0[a] + p1[a]);
      if (!triInside(t, mid)) { outside += W; lastP = null; return; }
      var d0 = (lastP && p0[0] === lastP[0] && p0[1] === lastP[1] && p0[2] === lastP[2]) ? lastD : triAt(t, p0);
      var d1 = triAt(t, p1);
      lastP = p1; lastD = d1;
      inside += W;
      sum += W * 0.5 * (d0 + d1);
      if (d0 < dmin) dmin = d0;
      if (d1 < dmin) dmin = d1;
      if (d0 > dmax) dmax = d0;
      if (d1 > dmax) dmax = d1;
      triGrad(t, mid, gr);
      var Db = (gr[0] * Ib[0] + gr[1] * Ib[1] + gr[2] * Ib[2]) * db;
      var Dc = (gr[0] * Ic[0] + gr[1] * Ic[1] + gr[2] * Ic[2]) * dc;
      var Da = d1 - d0, m = 0.5 * (d0 + d1);
      var hw = 0.5 * Math.sqrt(Da * Da + Db * Db + Dc * Dc);
      var e0 = m - hw, e1 = m + hw;
      var x0 = (e0 - lo) * invw, x1 = (e1 - lo) * invw;
      if (x1 - x0 < 1e-6) {
        var bb = Math.floor(x0);
        if (bb < 0) bb = 0;
        if (bb > nbins - 1) bb = nbins - 1;
        hist[bb] += W;
        return;
      }
      var sl = W / (x1 - x0);
      hinge(x0, sl);
      hinge(x1, -sl);
    }
    for (var q = 0; q < s.nplanes; q++) {
      lastP = null;
      E.scanPlane(s, q, g, step, piece);
      var P = s.planes[q];
      for (var i = 0; i < P.nv; i++) {
        var va = s.verts[2 * (P.v0 + i)], vb = s.verts[2 * (P.v0 + i) + 1];
        for (var f = 0; f < 2; f++) {
          var cz = f ? P.c_hi : P.c_lo, p = [0, 0, 0];
          for (var a = 0; a < 3; a++) p[a] = g.I0[a] + va * g.Ia[a] + vb * g.Ib[a] + cz * g.Ic[a];
          if (!triInside(t, p)) continue;
          var dv = triAt(t, p);
          if (dv < dmin) dmin = dv;
          if (dv > dmax) dmax = dv;
        }
      }
    }
    var sl2 = 0, of = 0, Fprev = 0;
    for (var e = 0; e <= nbins; e++) {
      sl2 += ramp[2 * e]; of += ramp[2 * e + 1];
      var F = e * sl2 + of;
      if (e > 0) hist[e - 1] += F - Fprev;
      Fprev = F;
    }
    var scan = inside + outside, exact = s.info.volume_cc * 1000.0;
    if (scan > 0 && exact > 0 && Math.abs(exact / scan - 1) < 0.02) {
      var fac = exact / scan;
      for (var b2 = 0; b2 < nbins; b2++) hist[b2] *= fac;
      inside *= fac; outside *= fac; sum *= fac;
    }
    var diff = new Float64Array(nbins), cum = new Float64Array(nbins + 1);
    for (var b3 = 0; b3 < nbins; b3++) diff[b3] = hist[b3] / 1000.0;
    for (var b4 = nbins - 1; b4 >= 0; b4--) cum[b4] = cum[b4 + 1] + diff[b4];
    out.diff_cc = diff; out.cum_cc = cum;
    out.inside_cc = inside / 1000.0; out.outside_cc = outside / 1000.0;
    out.total_cc = out.inside_cc + out.outside_cc;
    if (inside > 0) {
      var ex = exactExtremes(s, g, t);
      if (ex) { dmin = ex.dmin; dmax = ex.dmax; }
      out.extremes_exact = !!ex;
      out.dmean_gy = sum / inside; out.dmin_gy = dmin; out.dmax_gy = dmax;
    }
    else { out.dmean_gy = out.dmin_gy = out.dmax_gy = NaN; out.status = 2; out.msg = 'ROI lies entirely outside the dose grid'; }
    return out;
  };

  /* ---------------- DVH metrics (src/dvh/metric.c) ---------------- */
  function doseAtVolume(d, v) {
    var cum = d.cum_cc;
    if (v >= cum[0]) return d.dmin_gy;
    var lo = 0, hi = d.nbins;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (cum[mid] >= v) lo = mid; else hi = mid; }
    var c0 = cum[lo], c1 = cum[lo + 1], t = c0 > c1 ? (c0 - v) / (c0 - c1) : 0;
    var D = d.lo_gy + (lo + t) * d.bin_gy;
    if (D < d.dmin_gy) D = d.dmin_gy;
    if (D > d.dmax_gy) D = d.dmax_gy;
    return D;
  }
  function volumeAtDose(d, x) {
    if (x <= d.dmin_gy) return d.inside_cc;
    if (x > d.dmax_gy) return 0;
    var t = (x - d.lo_gy) / d.bin_gy, b = Math.floor(t);
    if (b < 0) return d.inside_cc;
    if (b >= d.nbins) return 0;
    return d.cum_cc[b] - (t - b) * d.diff_cc[b];
  }
  /* dvh_metric_eval for kinds dmax, dmin, dmean, d_pct, d_cc, v_cc: {value, complete, outside_pct} */
  E.dvhMetric = function (d, kind, param) {
    var out = { value: NaN, complete: true, outside_pct: d.total_cc > 0 ? 100.0 * d.outside_cc / d.total_cc : 0 };
    if (d.status) { out.error = d.msg; return out; }
    if (d.outside_cc > OUTSIDE_TOL_CC) out.complete = false;
    var v;
    switch (kind) {
      case 'dmax': out.value = d.dmax_gy; break;
      case 'dmin': out.value = d.dmin_gy; break;
      case 'dmean': out.value = d.dmean_gy; break;
      case 'd_pct':
        v = param / 100.0 * d.total_cc;
        if (v > d.inside_cc * (1 + 1e-9)) { out.complete = false; return out; }
        out.value = doseAtVolume(d, v);
        break;
      case 'd_cc':
        if (param > d.total_cc * (1 + 1e-9)) { out.error = 'structure smaller than ' + param + ' cc'; return out; }
        if (param > d.inside_cc * (1 + 1e-9)) { out.complete = false; return out; }
        out.value = doseAtVolume(d, param);
        break;
      case 'v_cc': out.value = volumeAtDose(d, param); break;
    }
    return out;
  };

  /* A cumulative DVH curve (dose_gy, volume_pct of the inside volume) at ≤ npts points. */
  E.dvhCurve = function (d, npts) {
    var step = Math.floor(d.nbins / (npts || 100)) + 1, x = [], y = [];
    for (var b = 0; b <= d.nbins; b += step) { x.push(d.lo_gy + b * d.bin_gy); y.push(100.0 * d.cum_cc[b] / d.inside_cc); }
    if (d.nbins % step) { x.push(d.lo_gy + d.nbins * d.bin_gy); y.push(0); }
    return { dose_gy: x, volume_pct: y };
  };

  /* ---------------- the model: accumulation and constraints under a what-if state ---------------- */
  /* model: the decoded viewer payload (meta + typed arrays), see report_viewer.c:
   *   grid {n, origin, spacing, dir}; courses[c] {fractions, fractions_per_day, interfraction_interval_h,
   *   is_new, interval_days, dose: Float32Array, upper: Float32Array|null}; structures[s] {name,
   *   is_target, alpha_beta_gy, recovery[c], t12_h, mask {lo, n, bits: Uint8Array}, contours:
   *   [Float64Array]}; recovery_models; protocols[p].rows[]; defaults.
   * state: {ab: {s: Gy}, rec: {s: spec}, interval_days: {c: days}, scale: {c: factor}}. */
  E.emptyState = function () { return { ab: {}, rec: {}, interval_days: {}, scale: {} }; };
  E.stateIsSigned = function (st) {
    return !Object.keys(st.ab).length && !Object.keys(st.rec).length && !Object.keys(st.interval_days).length &&
           !Object.keys(st.scale).length;
  };

  /* Derived per-state parameters (accum_prepare): α/β, recovery specs, intervals, Thames h. */
  E.prepare = function (M, st) {
    var S = M.structures.length, C = M.courses.length, p = { S: S, C: C, ab: [], rec: [], t: [], days: [], h: [], scale: [] };
    for (var s = 0; s < S; s++) {
      var ab = st.ab[s] !== undefined ? st.ab[s] : M.structures[s].alpha_beta_gy;
      p.ab.push(ab);
      var r = [];
      for (var c = 0; c < C; c++) r.push(st.rec[s] !== undefined ? st.rec[s] : M.structures[s].recovery[c]);
      p.rec.push(r);
    }
    p.newIndex = -1;
    var tmin = NaN;
    for (c = 0; c < C; c++) {
      var co = M.courses[c];
      if (co.is_new) p.newIndex = c;
      var days = st.interval_days[c] !== undefined ? st.interval_days[c] : co.interval_days;
      p.days.push(co.is_new ? NaN : days);
      var t = co.is_new ? NaN : days / DAYS_PER_MONTH;
      p.t.push(t);
      if (!co.is_new && !(isNaN(t)) && (isNaN(tmin) || t < tmin)) tmin = t;
      p.scale.push(st.scale[c] !== undefined ? st.scale[c] : 1.0);
      var hs = [], m = co.fractions_per_day > 1 ? co.fractions_per_day : 1;
      for (s = 0; s <= S; s++) {
        if (m <= 1) { hs.push(0); continue; }
        var th = s < S && M.structures[s].t12_h > 0 ? M.structures[s].t12_h
               : (co.repair_halftime_h > 0 ? co.repair_halftime_h : M.defaults.fallback_t12_h);
        hs.push(E.thamesH(m, co.interfraction_interval_h, th));
      }
      p.h.push(hs);
    }
    p.tmin = tmin;
    return p;
  };

  /* The α/β map's governing structure per voxel under the overlap rule (accumulate_run):
   * Int16Array, −1 = none. Depends only on the structures' α/β. */
  E.governing = function (M, p) {
    var N = M.grid.n[0] * M.grid.n[1] * M.grid.n[2], gov = new Int16Array(N).fill(-1);
    var ab = new Float32Array(N), oar = new Uint8Array(N), nx = M.grid.n[0], nxy = nx * M.grid.n[1];
    function each(st, fn) {
      var mk = st.mask, n = mk.n, lo = mk.lo, q = 0;
      for (var k = 0; k < n[2]; k++)
        for (var j = 0; j < n[1]; j++)
          for (var i = 0; i < n[0]; i++, q++)
            if (mk.bits[q]) fn((i + lo[0]) + nx * (j + lo[1]) + nxy * (k + lo[2]));
    }
    var listOrder = M.defaults.rule === 'list-order';
    M.structures.forEach(function (st, s) {
      if (!st.mask) return;
      var sab = fround(p.ab[s]);
      if (listOrder) each(st, function (v) { if (gov[v] < 0) { ab[v] = sab; gov[v] = s; } });
      else if (!st.is_target) each(st, function (v) { if (!oar[v] || sab < ab[v]) { ab[v] = sab; gov[v] = s; oar[v] = 1; } });
    });
    if (!listOrder)
      M.structures.forEach(function (st, s) {
        if (!st.mask || !st.is_target) return;
        var sab = fround(p.ab[s]);
        each(st, function (v) { if (!oar[v] && (gov[v] < 0 || sab < ab[v])) { ab[v] = sab; gov[v] = s; } });
      });
    return gov;
  };

  /* Voxel maps of the accumulation (accumulate_run): per-course EQD2 (unrecovered), recovered
   * prior, cumulative; from the nominal or the upper-bound doses. Float32 as in C. */
  E.accumulate = function (M, p, gov, worst) {
    var N = gov.length, S = p.S, C = p.C, unl = fround(M.defaults.unlisted_alpha_beta_gy);
    var rp = new Float32Array(N), cum = new Float32Array(N), course = [], rec = [];
    for (var c = 0; c < C; c++) {
      var r = [];
      for (var s = 0; s <= S; s++) {
        var spec = s < S && p.rec[s][c] ? p.rec[s][c] : M.defaults.default_recovery;
        r.push(M.courses[c].is_new ? null : E.recoverySetup(M.recovery_models, spec, p.t[c]));
      }
      rec.push(r);
    }
    var abs = new Float32Array(S);
    for (s = 0; s < S; s++) abs[s] = fround(p.ab[s]);
    for (c = 0; c < C; c++) {
      var co = M.courses[c], D = worst && co.upper ? co.upper : co.dose, n = co.fractions, h = p.h[c];
      var e = new Float32Array(N), isNew = co.is_new, t = p.t[c], sc = p.scale[c], rc = rec[c];
      for (var v = 0; v < N; v++) {
        var g = gov[v], a = g < 0 ? unl : abs[g], gi = g < 0 ? S : g;
        var d = sc === 1 ? D[v] : fround(D[v] * sc); /* C scales the float dose map (x_dose_scale) */
        var q = d > 0 ? E.eqd2(d, n, h[gi], a) : 0.0;
        e[v] = q;
        if (isNew) { cum[v] += fround(q); }
        else {
          var rr = rc[gi];
          var k = rr.error ? q : (rr.isLimit ? q : E.recover(rr, q, t, a));
          rp[v] += fround(k);
          cum[v] += fround(k);
        }
      }
      course.push(e);
    }
    return { course: course, recovered_prior: rp, cumulative: cum, rec: rec };
  };

  /* ---- constraint maps and rows (evaluate.c, eval_metric.c) ---- */
  function structBox(M, s, shape, thick) {
    var g = M.grid, lo = [0, 0, 0], hi = [g.n[0] - 1, g.n[1] - 1, g.n[2] - 1];
    var mn = [Infinity, Infinity, Infinity], mx = [-Infinity, -Infinity, -Infinity];
    for (var q = 0; q < 8; q++) {
      var x = [0, 0, 0];
      for (var a = 0; a < 3; a++) x[a] = (q >> a) & 1 ? shape.info.bbox_hi[a] : shape.info.bbox_lo[a];
      var ijk = E.worldToIndex(g, x);
      for (a = 0; a < 3; a++) { if (ijk[a] < mn[a]) mn[a] = ijk[a]; if (ijk[a] > mx[a]) mx[a] = ijk[a]; }
    }
    for (a = 0; a < 3; a++) {
      var l = Math.floor(mn[a]) - 1, h = Math.ceil(mx[a]) + 1, n = g.n[a];
      lo[a] = l < 0 ? 0 : (l > n - 1 ? n - 1 : l);
      hi[a] = h > n - 1 ? n - 1 : (h < 0 ? 0 : h);
      if (hi[a] < lo[a]) hi[a] = lo[a];
    }
    return { lo: lo, hi: hi, n: [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1] };
  }

  /* Engine instance bound to a decoded model: caches shapes (per structure) and DVHs (per map). */
  E.Engine = function (M) {
    this.M = M;
    this.shapes = [];
    this.dvhCache = {};
    var v = [];
    for (var s = 0; s < M.structures.length; s++) {
      var st = M.structures[s], sh = st.contours && st.contours.length ? E.shapeBuild(st.contours, 1.0) : { error: 'no contours' };
      if (!sh.error && sh.info.plane_spacing_mm > 0) v.push(sh.info.plane_spacing_mm);
      this.shapes.push(null);
    }
    v.sort(function (a, b) { return a - b; });
    this.thick = v.length ? v[v.length >> 1] : 0;
  };
  E.Engine.prototype.shape = function (s) {
    if (!this.shapes[s]) {
      var st = this.M.structures[s];
      var thick = this.thick > 0 ? this.thick : this.M.grid.spacing[2];
      this.shapes[s] = st.contours && st.contours.length ? E.shapeBuild(st.contours, thick) : { error: 'no contours' };
    }
    return this.shapes[s];
  };
  /* map spec: {s, scope ('cumulative'|'new_course'), quantity ('EQD2'|'BED'|'dose'), worst,
   *   ab, include: [c] (courses in the sum), recover (bool), rec: [spec per course], n[c], h[c]} */
  E.Engine.prototype.mapDvh = function (p, ms) {
    var key = JSON.stringify([ms.s, ms.scope, ms.quantity, ms.worst, ms.ab, ms.include, ms.recover, ms.rec, ms.n, ms.h, p.scale, p.t]);
    if (this.dvhCache[key]) return this.dvhCache[key];
    var M = this.M, sh = this.shape(ms.s);
    if (sh.error) return (this.dvhCache[key] = { status: 2, msg: sh.error });
    var thick = this.thick > 0 ? this.thick : M.grid.spacing[2];
    var bx = structBox(M, ms.s, sh, thick), g = M.grid, nx = g.n[0], nxy = nx * g.n[1];
    var nb = bx.n[0] * bx.n[1] * bx.n[2], data = new Float32Array(nb), C = M.courses.length;
    var rec = [];
    for (var c = 0; c < C; c++)
      rec.push(M.courses[c].is_new || !ms.recover ? null : E.recoverySetup(M.recovery_models, ms.rec[c], p.t[c]));
    for (c = 0; c < C; c++) if (rec[c] && rec[c].error) return (this.dvhCache[key] = { status: 2, msg: rec[c].error });
    var q = 0;
    for (var k = 0; k < bx.n[2]; k++)
      for (var j = 0; j < bx.n[1]; j++)
        for (var i = 0; i < bx.n[0]; i++, q++) {
          var v = (i + bx.lo[0]) + nx * (j + bx.lo[1]) + nxy * (k + bx.lo[2]), sum = 0;
          for (c = 0; c < C; c++) {
            if (!ms.include[c]) continue;
            var co = M.courses[c], isNew = co.is_new;
            var dv = ms.worst && co.upper ? co.upper : co.dose;
            var D = p.scale[c] === 1 ? dv[v] : fround(dv[v] * p.scale[c]);
            var val = D;
            if (ms.quantity !== 'dose') {
              val = D > 0 ? E.eqd2(D, ms.n[c], ms.h[c], ms.ab) : 0;
              if (!isNew && rec[c] && !rec[c].isLimit) val = E.recover(rec[c], val, p.t[c], ms.ab);
            }
            sum += val;
          }
          if (ms.quantity === 'BED') sum *= 1.0 + 2.0 / ms.ab;
          data[q] = sum;
        }
    var box = { n: bx.n, spacing: g.spacing, dir: g.dir, origin: E.indexToWorld(g, bx.lo), data: data };
    var d = E.dvhShape(sh, box);
    this.dvhCache[key] = d;
    return d;
  };
  E.Engine.prototype.clearCache = function () { this.dvhCache = {}; };

  function metricOnDvh(d, met) {
    var kind, note = '';
    switch (met.kind) {
      case 'Dmax': kind = 'dmax'; break;
      case 'Dmin': kind = 'dmin'; break;
      case 'Dmean': kind = 'dmean'; break;
      case 'D_cc': kind = 'd_cc'; break;
      case 'D_pct': kind = 'd_pct'; break;
      default: kind = 'v_cc';
    }
    if (met.kind === 'D_cc' && !d.status && met.param > d.total_cc * (1 + 1e-9)) { kind = 'dmax'; note = 'structure smaller than ' + met.param + ' cc: Dmax used'; }
    var r = E.dvhMetric(d, kind, met.param);
    var v = r.value;
    if (met.kind === 'CV_Gy') v = d.inside_cc - v;
    if ((met.kind === 'V_Gy' || met.kind === 'CV_Gy') && met.volume_in_pct) v = 100.0 * v / d.total_cc;
    return { value: v, complete: r.complete, outside_pct: r.outside_pct, note: note, error: r.error };
  }
  E.compare = function (cmp, v, l) {
    switch (cmp) { case '<': return v < l; case '<=': return v <= l; case '>': return v > l; default: return v >= l; }
  };
  E.intervalApplies = function (iv, t) {
    var ok = true;
    if (iv.has_min) ok = ok && (iv.min_inclusive ? t >= iv.min_months : t > iv.min_months);
    if (iv.has_max) ok = ok && (iv.max_inclusive ? t <= iv.max_months : t < iv.max_months);
    return ok;
  };
  function anyUpper(M) { for (var c = 0; c < M.courses.length; c++) if (M.courses[c].upper) return true; return false; }

  /* One constraint row under the state (evaluate_one + eval_structure). Rows the C engine did
   * not evaluate for reasons the what-if cannot change (no planned course, RBE model) keep
   * their signed verdict and say so. */
  E.Engine.prototype.evalRow = function (p, row) {
    var M = this.M, s = row.s, C = M.courses.length, out = { recomputed: true };
    if (row.fixed) return { recomputed: false, verdict: row.c_verdict, value: row.c_value, worst_value: row.c_worst_value, worst_verdict: row.c_worst_verdict, limit: row.c_limit, note: row.fixed };
    var hasCond = row.interval.has_min || row.interval.has_max;
    if (hasCond && isNaN(p.tmin)) return { recomputed: true, verdict: 'n/a', value: NaN, limit: row.limit_base, note: 'no prior course' };
    if (hasCond && !E.intervalApplies(row.interval, p.tmin)) return { recomputed: true, verdict: 'n/a', value: NaN, worst_value: NaN, limit: row.limit_base, note: 'interval condition not met' };
    var ab = row.alpha_beta_gy === null ? p.ab[s] : row.alpha_beta_gy;
    var limitFactor = 1, recs = [], specs = [];
    for (var k = 0; k < C; k++) {
      specs.push('');
      recs.push(null);
      if (M.courses[k].is_new) continue;
      var spec = row.recovery;
      if (spec === 'case') spec = p.rec[s][k] ? p.rec[s][k] : M.defaults.default_recovery;
      specs[k] = spec;
      var r = E.recoverySetup(M.recovery_models, spec, p.t[k]);
      if (r.error) return { recomputed: false, verdict: 'not evaluated', value: NaN, note: r.error };
      recs[k] = r;
      if (r.isLimit && r.limitFactor > limitFactor) limitFactor = r.limitFactor;
    }
    if (limitFactor !== 1 && !isNaN(p.tmin))
      for (k = 0; k < C; k++)
        if (!M.courses[k].is_new && recs[k].isLimit) { limitFactor = E.recoveryLimitFactor(recs[k].m, p.tmin); break; }
    var limit = row.limit_base * limitFactor, n = [], h = [], include = [];
    for (k = 0; k < C; k++) {
      n.push(M.courses[k].fractions);
      h.push(p.h[k][s]);
      include.push(row.scope === 'new_course' ? k === p.newIndex : true);
    }
    var ms = { s: s, scope: row.scope, quantity: row.quantity, worst: false, ab: ab, include: include, recover: true, rec: specs, n: n, h: h };
    var d = this.mapDvh(p, ms);
    if (d.status) return { recomputed: true, verdict: 'not evaluated', value: NaN, limit: limit, note: d.msg };
    var m = metricOnDvh(d, row.metric);
    out.value = m.value; out.complete = m.complete; out.outside_pct = m.outside_pct; out.limit = limit; out.alpha_beta_gy = ab;
    out.note = m.note;
    out.has_worst = anyUpper(M);
    if (out.has_worst) {
      ms.worst = true;
      var dw = this.mapDvh(p, ms);
      out.worst_value = dw.status ? NaN : metricOnDvh(dw, row.metric).value;
    }
    if (!row.has_limit) { out.verdict = 'n/a'; out.limit = NaN; out.margin = NaN; return out; }
    var upper = row.cmp === '<' || row.cmp === '<=';
    out.verdict = E.compare(row.cmp, out.value, limit) ? 'pass' : 'fail';
    out.margin = upper ? limit - out.value : out.value - limit;
    if (out.has_worst) out.worst_verdict = E.compare(row.cmp, out.worst_value, limit) ? 'pass' : 'fail';
    if (!out.complete && isNaN(out.value)) out.verdict = 'incomplete';
    if (!out.complete && M.defaults.outside_grid_strict) {
      var mk = row.metric.kind;
      var proven = upper ? (mk === 'Dmax' || mk === 'D_cc' || mk === 'D_pct' || mk === 'V_Gy' || mk === 'CV_Gy') : mk === 'Dmin';
      if (!(out.verdict === 'fail' && proven)) out.verdict = 'incomplete';
      if (out.has_worst && !(out.worst_verdict === 'fail' && proven)) out.worst_verdict = 'incomplete';
    }
    return out;
  };

  /* Organ metrics at the organ's α/β with its own ("case") recovery: the map a protocol row
   * with no stated α/β and recovery "case" is checked on. */
  E.Engine.prototype.organMaps = function (p, s) {
    var M = this.M, C = M.courses.length, n = [], h = [], inc = [], specs = [];
    for (var k = 0; k < C; k++) {
      n.push(M.courses[k].fractions); h.push(p.h[k][s]); inc.push(true);
      specs.push(M.courses[k].is_new ? '' : (p.rec[s][k] ? p.rec[s][k] : M.defaults.default_recovery));
    }
    return { s: s, scope: 'cumulative', quantity: 'EQD2', worst: false, ab: p.ab[s], include: inc, recover: true, rec: specs, n: n, h: h };
  };
  E.Engine.prototype.organMetrics = function (p, s) {
    var ms = this.organMaps(p, s), d = this.mapDvh(p, ms), out = { dvh: d };
    if (d.status) { out.error = d.msg; return out; }
    out.volume_cc = d.total_cc;
    out.Dmax = d.dmax_gy; out.Dmean = d.dmean_gy; out.Dmin = d.dmin_gy;
    out['D0.03cc'] = metricOnDvh(d, { kind: 'D_cc', param: 0.03 }).value;
    out.D2cc = d.total_cc >= 2 ? metricOnDvh(d, { kind: 'D_cc', param: 2 }).value : NaN;
    out.complete = !(d.outside_cc > OUTSIDE_TOL_CC);
    if (anyUpper(this.M)) {
      ms.worst = true;
      var dw = this.mapDvh(p, ms);
      out.worst_Dmax = dw.status ? NaN : dw.dmax_gy;
    }
    return out;
  };
  /* DVH curves of structure s for the map toggles: each course's EQD2 (organ α/β, no recovery),
   * the recovered prior, the cumulative, the worst case. */
  E.Engine.prototype.curves = function (p, s, which) {
    var base = this.organMaps(p, s), C = this.M.courses.length, out = [], self = this;
    function add(label, kind, ms) {
      var d = self.mapDvh(p, ms);
      if (!d.status) { var cv = E.dvhCurve(d, 120); cv.label = label; cv.kind = kind; out.push(cv); }
    }
    for (var c = 0; c < C; c++) {
      if (!which['course' + c]) continue;
      var ms = JSON.parse(JSON.stringify(base));
      ms.include = base.include.map(function (_, k) { return k === c; });
      ms.recover = false;
      add(this.M.courses[c].id + ' EQD2', 'course', ms);
    }
    if (which.prior) {
      var mp = JSON.parse(JSON.stringify(base));
      mp.include = base.include.map(function (_, k) { return !self.M.courses[k].is_new; });
      add('prior, recovered', 'recovered_prior', mp);
    }
    if (which.cumulative) add('cumulative', 'cumulative', base);
    if (which.worst && anyUpper(this.M)) { var mw = JSON.parse(JSON.stringify(base)); mw.worst = true; add('worst case', 'worst_case', mw); }
    return out;
  };

  /* Case-file snippet reproducing a state: structure overrides (the shared convention) and,
   * for intervals and course scales, the course fields to change. */
  E.exportState = function (M, st, reason) {
    var ov = [], byS = {};
    Object.keys(st.ab).forEach(function (s) { byS[s] = byS[s] || {}; byS[s].alpha_beta_gy = st.ab[s]; });
    Object.keys(st.rec).forEach(function (s) { byS[s] = byS[s] || {}; byS[s].recovery = st.rec[s]; });
    Object.keys(byS).sort(function (a, b) { return a - b; }).forEach(function (s) {
      var o = { structure: M.structures[s].name };
      if (byS[s].alpha_beta_gy !== undefined) o.alpha_beta_gy = byS[s].alpha_beta_gy;
      if (byS[s].recovery !== undefined) o.recovery = byS[s].recovery;
      o.reason = reason || 'what-if from report.html';
      ov.push(o);
    });
    var courses = [];
    Object.keys(st.interval_days).forEach(function (c) {
      var co = M.courses[c], ref = M.new_course_start;
      if (!ref) return;
      var d = new Date(ref + 'T00:00:00Z');
      d.setUTCDate(d.getUTCDate() - st.interval_days[c]);
      courses.push({ id: co.id, end_date: d.toISOString().slice(0, 10), comment: 'what-if interval ' + st.interval_days[c] + ' days' });
    });
    Object.keys(st.scale).forEach(function (c) {
      var co = M.courses[c], e = null;
      for (var i = 0; i < courses.length; i++) if (courses[i].id === co.id) e = courses[i];
      if (!e) { e = { id: co.id }; courses.push(e); }
      e.x_dose_scale = st.scale[c];
    });
    /* the complete $.overrides array: the case file's own entries, a structure's entry replaced
     * by its what-if one (the case file allows one entry per structure) */
    var existing = (M.case_file && Array.isArray(M.case_file.overrides)) ? M.case_file.overrides : [];
    var names = ov.map(function (o) { return o.structure; });
    var merged = existing.filter(function (o) { return !(o.structure && names.indexOf(o.structure) >= 0); }).concat(ov);
    var out = { overrides: merged };
    if (courses.length) out.courses = courses;
    return out;
  };

  if (typeof module !== 'undefined' && module.exports) module.exports = E;
  else root.RertEngine = E;
})(this);
