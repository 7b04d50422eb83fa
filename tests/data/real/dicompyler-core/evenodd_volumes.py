#!/usr/bin/python3
"""Independent volumes of the ROIs of an RTSTRUCT for tests/test_dvh_real.c.

Each contour stands for its CT slice (SLICE_MM thick). On each plane the area is the even-odd
area of its contours: shoelace area of each closed contour, counted + or − by the parity of the
number of other contours of the plane that contain its first vertex (nesting: holes, islands).
pydicom + numpy only; shares no code with rert. Prints "name<TAB>volume_cc" per ROI with contours.
Usage: evenodd_volumes.py RTSTRUCT SLICE_MM
"""
import sys

import numpy as np
import pydicom


def inside(poly, x, y):
    """Even-odd ray test (ray towards +x)."""
    xs, ys = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    cross = (ys > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = (xj - xs) * (y - ys) / (yj - ys) + xs
    return np.count_nonzero(cross & (x < xint)) % 2 == 1


def main():
    ds = pydicom.dcmread(sys.argv[1])
    slice_mm = float(sys.argv[2])
    names = {r.ROINumber: r.ROIName for r in ds.StructureSetROISequence}
    for item in ds.ROIContourSequence:
        planes = {}
        for c in getattr(item, "ContourSequence", []):
            if c.ContourGeometricType != "CLOSED_PLANAR" or int(c.NumberOfContourPoints) < 3:
                continue
            p = np.array(c.ContourData, dtype=float).reshape(-1, 3)
            planes.setdefault(round(float(np.median(p[:, 2])), 2), []).append(p[:, :2])
        if not planes:
            continue
        vol = 0.0
        for polys in planes.values():
            for i, a in enumerate(polys):
                x, y = a[:, 0], a[:, 1]
                area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
                depth = sum(inside(b, a[0, 0], a[0, 1]) for j, b in enumerate(polys) if j != i)
                vol += (-1) ** depth * area * slice_mm
        print(f"{names[item.ReferencedROINumber]}\t{vol / 1000.0:.9f}")


if __name__ == "__main__":
    main()
