# phantom_peer.py — reads a `rert phantom` output directory with pydicom (independent of DCMTK)
# and prints "key value..." lines that tests/test_phantom_peer.c compares with closed forms.
import glob
import sys

import numpy as np
import pydicom

root = sys.argv[1]

d = pydicom.dcmread(f"{root}/course1/RD_course1.dcm")
arr = d.pixel_array.astype(np.float64) * float(d.DoseGridScaling)  # frames, rows, cols
print("dose_dims", arr.shape[2], arr.shape[1], arr.shape[0])
print("dose_ipp", *[float(x) for x in d.ImagePositionPatient])
print("dose_units", d.DoseUnits, d.DoseType, d.DoseSummationType)
print("dose_max", arr.max())
print("dose_min", arr.min())
print("dose_at_32_21_32", arr[32, 21, 32])

rs = pydicom.dcmread(f"{root}/course1/RS_course1.dcm")
num = {r.ROIName: r.ROINumber for r in rs.StructureSetROISequence}
for name in ("Parotid_L", "PTV_1"):
    vol = 0.0
    for rc in rs.ROIContourSequence:
        if rc.ReferencedROINumber != num[name]:
            continue
        for c in rc.ContourSequence:
            p = np.array(c.ContourData, dtype=float).reshape(-1, 3)
            x, y = p[:, 0], p[:, 1]
            vol += 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) * 3.0
    print("volume_cc", name, vol / 1000.0)

pl = pydicom.dcmread(f"{root}/course1/RP_course1.dcm")
print("fractions", int(pl.FractionGroupSequence[0].NumberOfFractionsPlanned))
print("rx_gy", float(pl.DoseReferenceSequence[0].TargetPrescriptionDose))

r = pydicom.dcmread(f"{root}/registration/REG_course1_to_course2.dcm")
for it in r.DeformableRegistrationSequence:
    if "DeformableRegistrationGridSequence" not in it:
        continue
    g = it.DeformableRegistrationGridSequence[0]
    dims = [int(x) for x in g.GridDimensions]
    print("field_dims", *dims)
    print("field_ipp", *[float(x) for x in g.ImagePositionPatient])
    print("field_res", *[float(x) for x in g.GridResolution])
    v = np.frombuffer(g.VectorGridData, dtype="<f4").reshape(dims[2], dims[1], dims[0], 3)
    print("field_u_24_19_22", *v[22, 19, 24])
    print("field_u_10_30_5", *v[5, 30, 10])

cts = [pydicom.dcmread(f) for f in glob.glob(f"{root}/course1/CT/*.dcm")]
print("ct_slices", len(cts))
c0 = min(cts, key=lambda s: float(s.ImagePositionPatient[2]))
hu = c0.pixel_array * float(c0.RescaleSlope) + float(c0.RescaleIntercept)
print("ct_corner_hu", hu[0, 0])
