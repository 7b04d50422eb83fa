#!/usr/bin/python3
"""cohort_recompute.py — independent recomputation of cohort registry metrics (tests/test_cohort.c).

Reads the registry with Python's sqlite3, every case's RTDOSE and RTSTRUCT with pydicom and numpy,
the case file with json, and recomputes, for the structure and recovery assumption asked:
  * the node values of cumulative EQD2 at the organ's alpha/beta (data/tissues.json):
    sum over courses of keep_c * D(D/n + ab)/(2 + ab), keep = 1 - R(interval) of the S4 stepwise
    model (0 % < 6 months, 25 % in [6, 12), 50 % >= 12; domain-reference §3.1) or 1 for "none";
  * a bracket of Dmax: the maximum over dose-grid nodes inside the contours (on contour planes)
    must not exceed the registry's Dmax, and the maximum over the nodes of every grid cell the
    contoured slabs touch must not be below it (a trilinear field takes its extremes at nodes);
  * the generator's truth (truth.json, dense sampling of the analytic shapes) within --rel.
Usage: cohort_recompute.py REGISTRY COHORT_DIR STRUCTURE LABEL SPEC NCASES [--rel 0.01]
Prints one line per case and exits 1 on the first disagreement.
"""
import json
import math
import os
import sqlite3
import sys
from datetime import date

import numpy as np
import pydicom


def tissue_ab(data_dir, organ):
    t = json.load(open(os.path.join(data_dir, "tissues.json")))
    base = organ[:-2] if organ.endswith(("_L", "_R")) else organ
    for e in t["tissues"]:
        if e.get("organ") == base:
            return e["alpha_beta_gy"]
    raise SystemExit("no alpha/beta for " + organ)


def keep_factor(spec, months):
    if spec == "none":
        return 1.0
    if spec in ("s4_stepwise", "stepwise"):
        return 1.0 if months < 6 else 0.75 if months < 12 else 0.5
    raise SystemExit("unsupported spec " + spec)


def read_dose(path):
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)  # (z, y, x)
    ipp = [float(v) for v in ds.ImagePositionPatient]
    ps = [float(v) for v in ds.PixelSpacing]  # row spacing (y), column spacing (x)
    off = [float(v) for v in ds.GridFrameOffsetVector]
    return arr, ipp, ps, off


def point_in_poly(x, y, poly):
    inside = np.zeros(x.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        cond = ((y1 > y) != (y2 > y)) & (x < (x2 - x1) * (y - y1) / (y2 - y1 + 1e-300) + x1)
        inside ^= cond
    return inside


def main():
    reg, cdir, structure, label, spec, ncases = sys.argv[1:7]
    rel = float(sys.argv[sys.argv.index("--rel") + 1]) if "--rel" in sys.argv else 0.01
    data_dir = os.environ.get("RERT_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "data"))
    ab = tissue_ab(data_dir, structure)
    truth = {c["id"]: c for c in json.load(open(os.path.join(cdir, "truth.json")))["cases"]}
    tj = json.load(open(os.path.join(cdir, "truth.json")))
    db = sqlite3.connect(reg)
    rows = db.execute(
        "SELECT c.case_id, m.nominal, c.case_path FROM metrics m JOIN cases c USING(case_pk) "
        "WHERE m.structure=? AND m.metric='Dmax' AND m.recovery=? AND c.status='ok' ORDER BY c.case_id LIMIT ?",
        (structure, label, int(ncases))).fetchall()
    if not rows:
        print("no registry rows")
        return 1
    for case_id, dmax_reg, case_path in rows:
        cf = json.load(open(case_path))
        base = os.path.dirname(case_path)
        courses = cf["courses"]
        new = [c for c in courses if c["role"] == "planned"][0]
        new_start = date.fromisoformat(new["start_date"])
        cum = None
        for c in courses:
            arr, ipp, ps, off = read_dose(os.path.join(base, c["dicom"]["rtdose"]))
            n = c["fractions"]
            keep = 1.0
            if c["role"] == "prior":
                months = (new_start - date.fromisoformat(c["end_date"])).days / 30.4375
                keep = keep_factor(spec, months)
            e = keep * arr * (arr / n + ab) / (2 + ab)
            cum = e if cum is None else cum + e
        nz, ny, nx = cum.shape
        xs = ipp[0] + ps[1] * np.arange(nx)
        ys = ipp[1] + ps[0] * np.arange(ny)
        zs = ipp[2] + np.array(off)
        rs = pydicom.dcmread(os.path.join(base, [c for c in courses if c["role"] == "planned"][0]["dicom"]["rtstruct"]))
        num = [r.ROINumber for r in rs.StructureSetROISequence if r.ROIName == structure][0]
        cs = [r for r in rs.ROIContourSequence if r.ReferencedROINumber == num][0]
        lo_max, hi_max = -math.inf, -math.inf
        X, Y = np.meshgrid(xs, ys)
        for ct in cs.ContourSequence:
            pts = np.array([float(v) for v in ct.ContourData]).reshape(-1, 3)
            z = pts[0, 2]
            k = int(np.argmin(abs(zs - z)))
            poly = pts[:, :2].tolist()
            if abs(zs[k] - z) < 1e-6:
                inside = point_in_poly(X, Y, poly)
                if inside.any():
                    lo_max = max(lo_max, cum[k][inside].max())
            # every cell a slab z ± half spacing touches: nodes within one spacing around the polygon
            xmin, ymin = pts[:, 0].min(), pts[:, 1].min()
            xmax, ymax = pts[:, 0].max(), pts[:, 1].max()
            sx, sy, sz = ps[1], ps[0], abs(zs[1] - zs[0])
            sel_x = (xs >= xmin - sx) & (xs <= xmax + sx)
            sel_y = (ys >= ymin - sy) & (ys <= ymax + sy)
            sel_z = (zs >= z - 0.5 * sz - sz) & (zs <= z + 0.5 * sz + sz)
            sub = cum[np.ix_(sel_z, sel_y, sel_x)]
            if sub.size:
                hi_max = max(hi_max, sub.max())
        t = truth.get(case_id)
        ok = lo_max <= dmax_reg + 1e-6 and dmax_reg <= hi_max + 1e-6
        msg = "%s registry Dmax %.4f, nodes inside %.4f, nodes of touched cells %.4f" % (case_id, dmax_reg, lo_max, hi_max)
        if t is not None and tj["recovery"] == spec and tj["metric"] == "Dmax" and tj["organ"] == structure:
            ok = ok and abs(dmax_reg / t["metric_true"] - 1) <= rel
            msg += ", truth %.4f" % t["metric_true"]
        print(("ok   " if ok else "FAIL ") + msg)
        if not ok:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
