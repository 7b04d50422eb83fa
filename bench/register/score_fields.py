#!/usr/bin/python3
"""score_fields.py — score deformation fields against the known truth of hn_phantom.py
(bench/register). Independent of rert: own MetaImage reader, numpy/scipy trilinear sampling.

Every field is a pull-back on the fixed side (moving point = x + u(x), LPS mm), the convention of
rert, ITK, plastimatch and elastix/transformix. It is sampled (trilinear, edge-clamped) at the
points of the truth grid and compared with the analytic field there:
  BODY    fixed-anatomy body (inside both CTs' fields of view)
  dose>5% where the planned (course-2) dose exceeds 5 % of its maximum
Also the Jacobian determinant of each field (central differences on the truth grid) over BODY.

Usage: score_fields.py TRUTH_DIR NAME=FIELD.mha [NAME=FIELD.mha ...] [--json OUT.json]
"""
import json
import sys

import numpy as np
from scipy import ndimage


def read_mha(path):
    hdr = {}
    with open(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                raise ValueError(f"{path}: no ElementDataFile")
            k, v = [s.strip() for s in line.decode("latin-1").split("=", 1)]
            hdr[k] = v
            if k == "ElementDataFile":
                break
        raw = f.read()
    if v != "LOCAL":
        import os
        raw = open(os.path.join(os.path.dirname(path), v), "rb").read()
    if hdr.get("CompressedData", "False").lower() == "true":
        import zlib
        raw = zlib.decompress(raw)
    dims = [int(x) for x in hdr["DimSize"].split()]
    nc = int(hdr.get("ElementNumberOfChannels", "1"))
    dt = {"MET_FLOAT": "f4", "MET_SHORT": "i2", "MET_UCHAR": "u1", "MET_DOUBLE": "f8", "MET_USHORT": "u2",
          "MET_INT": "i4", "MET_CHAR": "i1"}[hdr["ElementType"]]
    msb = hdr.get("BinaryDataByteOrderMSB", hdr.get("ElementByteOrderMSB", "False")).lower() == "true"
    a = np.frombuffer(raw, dtype=(">" if msb else "<") + dt)
    shape = (dims[2], dims[1], dims[0]) + ((nc,) if nc > 1 else ())
    a = a[: int(np.prod(shape))].reshape(shape)
    o = np.array([float(x) for x in hdr.get("Offset", hdr.get("Position", "0 0 0")).split()])
    s = np.array([float(x) for x in hdr["ElementSpacing"].split()])
    m = np.array([float(x) for x in hdr.get("TransformMatrix", "1 0 0 0 1 0 0 0 1").split()]).reshape(3, 3)
    # MetaImage TransformMatrix: the first triplet is the direction of the i axis (ITK writes the
    # direction matrix transposed), so world = o + sum_i idx_i * s_i * m[i]
    return a, o, s, m.T


def sample_field(path, P):
    """Field at world points P (N, 3): trilinear, clamped to the field's grid."""
    a, o, s, D = read_mha(path)
    A = D * s[None, :]  # world = o + A @ ijk
    ijk = np.linalg.solve(A, (P - o).T)  # (3, N)
    idx = ijk[::-1]  # (k, j, i) for the (z, y, x) array
    out = np.empty((len(P), 3))
    for c in range(3):
        out[:, c] = ndimage.map_coordinates(a[..., c].astype(np.float64), idx, order=1, mode="nearest")
    return out


def stats(e):
    if e.size == 0:
        return {"mean": float("nan"), "p95": float("nan"), "max": float("nan"), "n": 0}
    return {"mean": float(e.mean()), "p95": float(np.percentile(e, 95)), "max": float(e.max()), "n": int(e.size)}


def main():
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    jout = None
    if "--json" in sys.argv:
        jout = sys.argv[sys.argv.index("--json") + 1]
        args = [x for x in args if x != jout]
    truth = args[0]
    ut, o, s, D = read_mha(f"{truth}/u_true.mha")
    body = read_mha(f"{truth}/body.mha")[0].astype(bool)
    d5 = read_mha(f"{truth}/dose5.mha")[0].astype(bool)
    nz, ny, nx = body.shape
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    ijk = np.stack([i.ravel(), j.ravel(), k.ravel()], 0).astype(np.float64)
    P = (o[:, None] + (D * s[None, :]) @ ijk).T
    U = ut.reshape(-1, 3).astype(np.float64)
    res = {}
    entries = [("no registration", None)] + [tuple(a.split("=", 1)) for a in args[1:]]
    print(f"| field | BODY mean / p95 / max (mm) | dose > 5 %: mean / p95 / max (mm) | det J min (BODY) | folded voxels |")
    print("|---|---|---|---|---|")
    for name, path in entries:
        try:
            E = np.zeros_like(U) if path is None else sample_field(path, P)
        except Exception as ex:  # a peer that failed: report, do not stop
            print(f"| {name} | failed: {ex} | | | |")
            continue
        e = np.linalg.norm(E - U, axis=1).reshape(body.shape)
        Eg = E.reshape(body.shape + (3,))
        J = np.zeros(body.shape + (3, 3))
        for ax in range(3):
            J[..., :, ax] = np.gradient(Eg, s[ax], axis=2 - ax)
        J += np.eye(3)
        dj = np.linalg.det(J)[body]
        r = {"body": stats(e[body]), "dose5": stats(e[d5]), "detj_min": float(dj.min()), "folded": int((dj <= 0).sum())}
        res[name] = r
        b, d = r["body"], r["dose5"]
        print(f"| {name} | {b['mean']:.2f} / {b['p95']:.2f} / {b['max']:.2f} | {d['mean']:.2f} / {d['p95']:.2f} / {d['max']:.2f} "
              f"| {r['detj_min']:.3f} | {r['folded']} |")
    if jout:
        json.dump(res, open(jout, "w"), indent=1)


if __name__ == "__main__":
    main()
