#!/usr/bin/env python3
"""consult_peer.py — the peer pipeline's voxel EQD2 and DVH steps for bench/consult_bench.sh.

Inputs: the planned RTDOSE (template and course 2 dose), the course-1 dose already warped onto
the course-2 dose grid by plastimatch (MetaImage), the planned RTSTRUCT. Voxel EQD2 with one
alpha/beta (3 Gy) for every voxel (the peer tools have no per-organ alpha/beta map), no recovery,
cumulative sum written as an RTDOSE (pydicom), DVH of every ROI with dicompyler-core.
Usage: consult_peer.py RD_course2.dcm warped_course1.mha RS_course2.dcm n1 n2 out_dir
"""
import sys, os, re
import numpy as np
import pydicom
from dicompylercore import dvhcalc

rd2_path, warped_mha, rs_path, n1, n2, out = sys.argv[1:7]
n1, n2 = int(n1), int(n2)
ab = 3.0

def read_mha(path):
    hdr, data_off = {}, 0
    with open(path, 'rb') as f:
        raw = f.read()
    pos = 0
    while True:
        end = raw.index(b'\n', pos)
        line = raw[pos:end].decode()
        pos = end + 1
        k, v = [x.strip() for x in line.split('=', 1)]
        hdr[k] = v
        if k == 'ElementDataFile':
            break
    dims = [int(x) for x in hdr['DimSize'].split()]
    dt = {'MET_FLOAT': np.float32, 'MET_DOUBLE': np.float64, 'MET_SHORT': np.int16,
          'MET_USHORT': np.uint16, 'MET_UINT': np.uint32, 'MET_INT': np.int32}[hdr['ElementType']]
    if hdr['ElementDataFile'] != 'LOCAL':
        raise SystemExit('external data file not supported')
    a = np.frombuffer(raw[pos:], dtype=dt, count=int(np.prod(dims))).astype(np.float64)
    return a.reshape(dims[::-1])  # z, y, x

ds = pydicom.dcmread(rd2_path)
d2 = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
d1 = read_mha(warped_mha)
if d1.shape != d2.shape:
    raise SystemExit('warped dose shape %s != planned dose shape %s' % (d1.shape, d2.shape))
def eqd2(D, n):
    return D * (D / n + ab) / (2.0 + ab)
cum = eqd2(np.clip(d1, 0, None), n1) + eqd2(d2, n2)
os.makedirs(out, exist_ok=True)
scale = cum.max() / 4294967000.0 if cum.max() > 0 else 1.0
ds.BitsAllocated = 32; ds.BitsStored = 32; ds.HighBit = 31; ds.PixelRepresentation = 0
ds.DoseGridScaling = scale
ds.PixelData = np.round(cum / scale).astype(np.uint32).tobytes()
ds.DoseType = 'EFFECTIVE'
ds.DoseComment = 'peer cumulative EQD2 a/b 3'
cum_path = os.path.join(out, 'peer_cumulative_eqd2.dcm')
ds.save_as(cum_path)
rs = pydicom.dcmread(rs_path)
n = 0
with open(os.path.join(out, 'peer_dvh.csv'), 'w') as f:
    f.write('roi,volume_cc,dmax_gy,dmean_gy\n')
    for roi in rs.StructureSetROISequence:
        try:
            h = dvhcalc.get_dvh(rs_path, cum_path, roi.ROINumber)
        except Exception as e:  # ROIs without contours on the grid
            continue
        f.write('%s,%.3f,%.3f,%.3f\n' % (roi.ROIName, h.volume, h.max, h.mean))
        n += 1
print('peer: cumulative EQD2 max %.2f Gy, %d DVHs' % (cum.max(), n))
