#!/usr/bin/python3
"""compare_consult.py — compare the cumulative EQD2 of two `rert consult` outputs on the same
case: one with the exact registration imported (the reference) and one with a registration
computed by rert (or a peer). Independent of rert: pydicom + numpy + matplotlib point-in-polygon.

Reports the absolute EQD2 difference where the reference cumulative EQD2 > 5 Gy (mean, p95,
max), and per organ of the reference structure set the difference of the voxel Dmax (voxel
centres inside the contours, on the EQD2 grid) and of the report's Dmax constraint rows.

Usage: compare_consult.py REF_DIR TEST_DIR RTSTRUCT [--json OUT]
"""
import json
import sys

import numpy as np
import pydicom
from matplotlib.path import Path


def read_dose(path):
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
    if a.ndim == 2:
        a = a[None]
    o = np.array([float(v) for v in ds.ImagePositionPatient])
    iop = np.array([float(v) for v in ds.ImageOrientationPatient])
    assert np.allclose(iop, [1, 0, 0, 0, 1, 0]), "axis-aligned dose grids only"
    ps = [float(v) for v in ds.PixelSpacing]  # row spacing (y), column spacing (x)
    gfov = np.array([float(v) for v in ds.GridFrameOffsetVector])
    return a, o, (ps[1], ps[0]), o[2] + gfov


def organ_masks(rs_path, o, sp, zs, shape):
    rs = pydicom.dcmread(rs_path)
    names = {r.ROINumber: r.ROIName for r in rs.StructureSetROISequence}
    types = {o_.ReferencedROINumber: o_.RTROIInterpretedType for o_ in rs.RTROIObservationsSequence}
    nz, ny, nx = shape
    xs = o[0] + sp[0] * np.arange(nx)
    ys = o[1] + sp[1] * np.arange(ny)
    X, Y = np.meshgrid(xs, ys)
    pts = np.stack([X.ravel(), Y.ravel()], 1)
    out = {}
    for rc in rs.ROIContourSequence:
        n = rc.ReferencedROINumber
        if types.get(n) in ("EXTERNAL", "MARKER") or "ContourSequence" not in rc:
            continue
        m = np.zeros(shape, bool)
        for c in rc.ContourSequence:
            if c.ContourGeometricType != "CLOSED_PLANAR":
                continue
            d = np.array([float(v) for v in c.ContourData]).reshape(-1, 3)
            k = int(np.argmin(np.abs(zs - d[0, 2])))
            if abs(zs[k] - d[0, 2]) > 0.5 * (zs[1] - zs[0] if len(zs) > 1 else 1):
                continue
            inside = Path(d[:, :2]).contains_points(pts).reshape(ny, nx)
            m[k] ^= inside  # even-odd: holes
        if m.any():
            out[names[n]] = m
    return out


def report_dmax(d):
    rows = {}
    for s in d.get("sections", []):
        if s.get("id") != "constraints":
            continue
        for b in s.get("blocks", []):
            for r in b.get("rows", []) or []:
                if str(r.get("metric", "")).startswith("Dmax") and r.get("value") is not None:
                    rows[(b.get("id"), r["structure"], r["metric"])] = r["value"]
    return rows


def main():
    a = [x for x in sys.argv[1:]]
    jout = None
    if "--json" in a:
        jout = a[a.index("--json") + 1]
        a.remove("--json")
        a.remove(jout)
    ref_dir, test_dir, rs_path = a[:3]
    R, o, sp, zs = read_dose(f"{ref_dir}/cumulative_eqd2.dcm")
    T, o2, sp2, zs2 = read_dose(f"{test_dir}/cumulative_eqd2.dcm")
    assert R.shape == T.shape and np.allclose(o, o2), "the two consults must share the reference grid"
    m = R > 5.0
    e = np.abs(T - R)[m]
    res = {"eqd2_gt5": {"n": int(m.sum()), "mean": float(e.mean()), "p95": float(np.percentile(e, 95)),
                        "max": float(e.max())}}
    masks = organ_masks(rs_path, o, sp, zs, R.shape)
    org = {}
    for name, mk in sorted(masks.items()):
        org[name] = {"ref_dmax": float(R[mk].max()), "test_dmax": float(T[mk].max()),
                     "diff": float(T[mk].max() - R[mk].max())}
    res["organs_voxel_dmax"] = org
    try:
        rr = report_dmax(json.load(open(f"{ref_dir}/report.json")))
        tr = report_dmax(json.load(open(f"{test_dir}/report.json")))
        res["report_dmax_rows"] = {" / ".join(k): {"ref": rr[k], "test": tr.get(k), "diff": (tr[k] - rr[k]) if k in tr else None}
                                   for k in rr}
    except Exception as ex:
        res["report_dmax_rows_error"] = str(ex)
    worst = max((abs(v["diff"]) for v in org.values()), default=0.0)
    worst_rep = max((abs(v["diff"]) for v in res.get("report_dmax_rows", {}).values() if v["diff"] is not None), default=0.0)
    res["worst_organ_dmax_diff"] = worst
    res["worst_report_dmax_diff"] = worst_rep
    print(f"EQD2 > 5 Gy ({res['eqd2_gt5']['n']} voxels): |error| mean {res['eqd2_gt5']['mean']:.3f}  "
          f"p95 {res['eqd2_gt5']['p95']:.3f}  max {res['eqd2_gt5']['max']:.2f} Gy")
    for name, v in org.items():
        print(f"  {name:16s} Dmax ref {v['ref_dmax']:7.2f}  test {v['test_dmax']:7.2f}  diff {v['diff']:+.2f} Gy")
    print(f"worst organ voxel-Dmax difference {worst:.2f} Gy; worst report Dmax-row difference {worst_rep:.2f} Gy")
    if jout:
        json.dump(res, open(jout, "w"), indent=1)


if __name__ == "__main__":
    main()
