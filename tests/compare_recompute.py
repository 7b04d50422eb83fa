#!/usr/bin/python3
"""compare_recompute.py — independent recomputation of one candidate's cumulative EQD2 rows of
`rert compare --json` (tests/test_compare_numpy.c), with pydicom and numpy only.

The case is a box case of tests/support/box_case.c: every course's RTDOSE on one grid and frame,
structures are axis-aligned boxes contoured on the grid's z planes. For each protocol row
(Dmax or Dmean, EQD2 at the row's alpha/beta, scope cumulative or new_course, recovery "none" or
"s4_stepwise") this script
  * builds the node values of the row's map: sum over the courses in scope of
    keep_c * D (D/n + ab) / (2 + ab) (domain-reference 1.1), keep = 1 or the S4 stepwise factor
    (0.5 at >= 12 months; 3.1) for prior courses;
  * takes the represented solid of the structure: the contours' x/y box and the contour planes
    with half-slice end caps (docs/dvh.md);
  * Dmax: the maximum of the trilinear interpolant over the solid, exactly: a trilinear function
    on an axis-aligned box is linear along each axis, so its maximum lies on the vertices of the
    box split at the grid nodes;
  * Dmean: the exact integral of the trilinear interpolant (2-point Gauss-Legendre per axis on
    every segment between grid nodes) over the solid's volume.
Usage: compare_recompute.py CASE.json COMPARE.json CANDIDATE PROTOCOL.json
Prints one line per row; exits 1 on a disagreement beyond 2e-5 relative (float32 maps).

compare_recompute.py --maps OUTDIR A B: the RTDOSE difference maps of `rert compare --out` read
back: diff_A_minus_B.dcm = max(cum_A - cum_B, 0) and diff_B_minus_A.dcm = max(cum_B - cum_A, 0)
voxel by voxel from cumulative_eqd2_A/B.dcm, and the signed MetaImage equals cum_A - cum_B (each
within the 32-bit quantisation of the RTDOSE grids).
"""
import json
import math
import os
import sys
from datetime import date

import numpy as np
import pydicom


def read_dose(path):
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)  # (z, y, x)
    ipp = [float(v) for v in ds.ImagePositionPatient]
    ps = [float(v) for v in ds.PixelSpacing]
    off = [float(v) for v in ds.GridFrameOffsetVector]
    xs = ipp[0] + np.arange(arr.shape[2]) * ps[1]
    ys = ipp[1] + np.arange(arr.shape[1]) * ps[0]
    zs = ipp[2] + np.array(off)
    return arr, (xs, ys, zs)


def roi_box(rs_path, name):
    rs = pydicom.dcmread(rs_path)
    num = [r.ROINumber for r in rs.StructureSetROISequence if r.ROIName == name]
    if not num:
        return None
    pts, planes = [], set()
    for rc in rs.ROIContourSequence:
        if rc.ReferencedROINumber != num[0]:
            continue
        for c in rc.ContourSequence:
            p = np.array(c.ContourData, float).reshape(-1, 3)
            pts.append(p)
            planes.add(round(p[0, 2], 6))
    p = np.vstack(pts)
    z = sorted(planes)
    half = (z[1] - z[0]) / 2 if len(z) > 1 else 1.5
    return [p[:, 0].min(), p[:, 0].max()], [p[:, 1].min(), p[:, 1].max()], [z[0] - half, z[-1] + half]


def trilinear(arr, grid, x, y, z):
    xs, ys, zs = grid
    def idx(v, g):
        t = (v - g[0]) / (g[1] - g[0])
        i = np.clip(np.floor(t).astype(int), 0, len(g) - 2)
        return i, t - i
    i, fx = idx(x, xs)
    j, fy = idx(y, ys)
    k, fz = idx(z, zs)
    out = 0.0
    for dk in (0, 1):
        for dj in (0, 1):
            for di in (0, 1):
                w = (fx if di else 1 - fx) * (fy if dj else 1 - fy) * (fz if dk else 1 - fz)
                out = out + w * arr[k + dk, j + dj, i + di]
    return out


def axis_points(lo, hi, g):
    inner = [v for v in g if lo < v < hi]
    return [lo] + inner + [hi]


def gauss_points(lo, hi, g):
    """2-point Gauss-Legendre nodes/weights on every segment of [lo, hi] split at the nodes g."""
    cuts = axis_points(lo, hi, g)
    pts, wts = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        m, h = (a + b) / 2, (b - a) / 2
        for s in (-1 / math.sqrt(3), 1 / math.sqrt(3)):
            pts.append(m + h * s)
            wts.append(h)
    return np.array(pts), np.array(wts)


def months(a, b):
    return (b - a).days / 30.4375


def read_mha(path):
    head, data = open(path, "rb").read().split(b"ElementDataFile = LOCAL\n", 1)
    dims = [int(v) for v in [l for l in head.decode().splitlines() if l.startswith("DimSize")][0].split("=")[1].split()]
    return np.frombuffer(data, dtype="<f4").reshape(dims[2], dims[1], dims[0]).astype(np.float64)


def maps(out, a, b):
    ca, _ = read_dose(os.path.join(out, f"cumulative_eqd2_{a}.dcm"))
    cb, _ = read_dose(os.path.join(out, f"cumulative_eqd2_{b}.dcm"))
    dab, _ = read_dose(os.path.join(out, f"diff_{a}_minus_{b}.dcm"))
    dba, _ = read_dose(os.path.join(out, f"diff_{b}_minus_{a}.dcm"))
    tol = 4 * max(ca.max(), cb.max()) / 4294967295.0 + 1e-6
    e1 = np.abs(dab - np.maximum(ca - cb, 0)).max()
    e2 = np.abs(dba - np.maximum(cb - ca, 0)).max()
    e3 = np.abs(read_mha(os.path.join(out, f"diff_{a}_minus_{b}.mha")) - (ca - cb)).max()
    print(f"diff maps: max deviation {e1:.3g} {e2:.3g} (RTDOSE) {e3:.3g} (MetaImage); tolerance {tol:.3g}; max |A-B| {np.abs(ca - cb).max():.4f}")
    sys.exit(0 if max(e1, e2, e3) <= tol and np.abs(ca - cb).max() > 0 else 1)


def main():
    if sys.argv[1] == "--maps":
        maps(*sys.argv[2:5])
    case_path, cmp_path, cand_id, prot_path = sys.argv[1:5]
    case = json.load(open(case_path))
    base = os.path.dirname(case_path)
    cmpj = json.load(open(cmp_path))
    prot = json.load(open(prot_path))
    cand = [c for c in cmpj["candidates"] if c["id"] == cand_id][0]
    courses = [c for c in case["courses"] if c["role"] == "prior" or c["id"] == cand_id]
    new = [c for c in courses if c["id"] == cand_id][0]
    rs = [os.path.join(base, c["dicom"]["rtstruct"]) for c in case["courses"] if "rtstruct" in c.get("dicom", {})][0]
    doses = {}
    grid = None
    for c in courses:
        arr, g = read_dose(os.path.join(base, c["dicom"]["rtdose"]))
        if grid is not None and any(len(a) != len(b) or np.abs(a - b).max() > 1e-6 for a, b in zip(grid, g)):
            sys.exit("grids differ: this recomputation needs one grid")
        grid = g
        doses[c["id"]] = arr
    start_new = date.fromisoformat(new["start_date"])
    rows = {}
    for ev in cand["evaluations"]:
        for r in ev["constraints"]:
            rows[r["id"]] = r
    bad = 0
    for con in prot["constraints"]:
        r = rows[con["id"]]
        ab = con["alpha_beta_gy"]
        total = 0.0
        for c in courses:
            is_new = c["id"] == cand_id
            if con["scope"] == "new_course" and not is_new:
                continue
            D = doses[c["id"]]
            e = D * (D / c["fractions"] + ab) / (2 + ab)
            if not is_new and con["recovery"] == "s4_stepwise":
                t = months(date.fromisoformat(c["end_date"]), start_new)
                e = e * (1.0 if t < 6 else 0.75 if t < 12 else 0.5)
            total = total + e
        box = roi_box(rs, r["structure"])
        if con["metric"] == "Dmax":
            X, Y, Z = np.meshgrid(*[np.array(axis_points(b[0], b[1], g)) for b, g in zip(box, grid)], indexing="ij")
            val = float(trilinear(total, grid, X.ravel(), Y.ravel(), Z.ravel()).max())
        elif con["metric"] == "Dmean":
            (px, wx), (py, wy), (pz, wz) = [gauss_points(b[0], b[1], g) for b, g in zip(box, grid)]
            X, Y, Z = np.meshgrid(px, py, pz, indexing="ij")
            W = np.einsum("i,j,k->ijk", wx, wy, wz)
            v = trilinear(total, grid, X.ravel(), Y.ravel(), Z.ravel()).reshape(X.shape)
            val = float((v * W).sum() / W.sum())
        else:
            sys.exit("unsupported metric " + con["metric"])
        got = r["value"]
        ok = abs(got - val) <= 2e-5 * max(1.0, abs(val))
        print(f"{con['id']:16s} {r['structure']:14s} {con['metric']:6s} rert {got:.6f} numpy {val:.6f} {'ok' if ok else 'DIFFERENT'}")
        bad += not ok
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
