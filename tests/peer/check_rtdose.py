#!/usr/bin/python3
"""check_rtdose.py FILE a b c d TOL [FILE a b c d TOL ...] — read an RTDOSE with pydicom (no rert code) and check that
every voxel equals f = a + b*x + c*y + d*z at the LPS position pydicom's attributes give for its
centre (IPP + i*col_spacing*u + j*row_spacing*v + GFOV[k]*(u x v); GFOV relative, or absolute when
its first value is not 0). Prints the maximum error per file; exit 0 when every file is within its TOL, 1 otherwise."""
import sys

import numpy as np
import pydicom


def check(path, a, b, c, d, tol):
    ds = pydicom.dcmread(path)
    assert ds.Modality == "RTDOSE", ds.Modality
    px = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
    nf = int(getattr(ds, "NumberOfFrames", 1))
    px = px.reshape(nf, int(ds.Rows), int(ds.Columns))
    iop = [float(x) for x in ds.ImageOrientationPatient]
    u, v = np.array(iop[:3]), np.array(iop[3:])
    n = np.cross(u, v)
    ipp = np.array([float(x) for x in ds.ImagePositionPatient])
    sy, sx = (float(x) for x in ds.PixelSpacing)
    gf = [float(x) for x in ds.GridFrameOffsetVector] if nf > 1 else [0.0]
    if gf[0] != 0:  # absolute z coordinates
        gf = [(g - gf[0]) / n[2] for g in gf]
    jj, ii = np.meshgrid(np.arange(px.shape[1]), np.arange(px.shape[2]), indexing="ij")
    worst = 0.0
    for k in range(nf):
        p = ipp[:, None, None] + ii[None] * sx * u[:, None, None] \
            + jj[None] * sy * v[:, None, None] + gf[k] * n[:, None, None]
        f = a + b * p[0] + c * p[1] + d * p[2]
        worst = max(worst, float(np.abs(px[k] - f).max()))
    ok = worst <= tol
    print("%s: max |pydicom - analytic| = %.6g Gy over %d voxels (tol %.3g)%s"
          % (path, worst, px.size, tol, "" if ok else " FAIL"))
    return ok


args = sys.argv[1:]
assert args and len(args) % 6 == 0, __doc__
good = True
for i in range(0, len(args), 6):
    good &= check(args[i], *(float(x) for x in args[i + 1:i + 6]))
sys.exit(0 if good else 1)
