#!/usr/bin/python3
"""make_dicom_cases.py OUTDIR — an independent DICOM generator for rert's readers.

Written with pydicom + numpy only (no rert code): every case has KNOWN analytic content so a test
can check what rert reads without trusting rert.

  * image values (HU) and dose values (Gy) are a linear function of the LPS position of the voxel
    centre, f(x, y, z) = a + b*x + c*y + d*z, quantised by the stored precision (RescaleSlope /
    DoseGridScaling); a reader with any geometry error (flipped axis, swapped PixelSpacing, wrong
    slice order, offsets applied the wrong way) reads values that do not match f at the positions
    it claims;
  * the expected geometry (dims, spacing, direction cosines, world position of the 8 corner voxels
    in rert's documented convention: k increases along row x column, rert/volume.h) is computed
    here from the slice/frame positions actually written.

OUTDIR/manifest.json lists every case with what a correct reader must report; tests/
test_io_independent.c reads it. Geometry values are rounded to 9 significant digits before they
are written (DS is a 16-character string) and the truth is computed from the rounded values.
"""
import hashlib
import json
import math
import os
import random
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         RLELossless)

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
DOSE_STORAGE = "1.2.840.10008.5.1.4.1.1.481.2"
STRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
PLAN_STORAGE = "1.2.840.10008.5.1.4.1.1.481.5"
ION_PLAN_STORAGE = "1.2.840.10008.5.1.4.1.1.481.8"
REG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.1"
DREG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.3"

OUT = sys.argv[1] if len(sys.argv) > 1 else "dicom_cases"
os.makedirs(OUT, exist_ok=True)
MANIFEST = []
RNG = random.Random(20261123)


def uid(key):
    """deterministic 2.25 UID from a key (pydicom 2.3's generate_uid ignores entropy_srcs when
    prefix is None)"""
    return "2.25.%d" % int(hashlib.sha256(("rert-ioverify/" + key).encode()).hexdigest()[:32], 16)


def q(v):
    """round to what a DS string holds (9 significant digits is exact after parsing)"""
    return float("%.9g" % v)


def ds_str(vals):
    return ["%.9g" % v for v in vals]


def unit(v):
    n = math.sqrt(sum(c * c for c in v))
    return [c / n for c in v]


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def rot(axis, deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    if axis == "x":
        return [[1, 0, 0], [0, c, -s], [0, s, c]]
    if axis == "y":
        return [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    return [[c, -s, 0], [s, c, 0], [0, 0, 1]]


def matvec(m, v):
    return [sum(m[r][k] * v[k] for k in range(3)) for r in range(3)]


def matmul(a, b):
    return [[sum(a[r][k] * b[k][c] for k in range(3)) for c in range(3)] for r in range(3)]


PATIENT = {"PatientName": "Indep^Generator", "PatientID": "IOV-001", "PatientBirthDate": "19610704",
           "PatientSex": "M"}
STUDY = uid("study")
FRAME = uid("frame")


def new_file(path, sop_class, sop_uid, modality, series_uid, patient=None,
             transfer=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = transfer
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.9.7433.1.1"
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = transfer == ImplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = "20260301"
    ds.StudyTime = "101500"
    ds.Modality = modality
    ds.Manufacturer = "IndependentGenerator"
    for k, v in (patient or PATIENT).items():
        setattr(ds, k, v)
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "7"
    ds.SeriesNumber = "3"
    return ds


def add_case(**kw):
    MANIFEST.append(kw)


def corners(nx, ny, nz, u, v, sx, sy, frame_pos):
    """world positions of the 8 corner voxels; frame_pos[k] = position of slice k (sorted along n)"""
    out = []
    for k in (0, nz - 1):
        for j in (0, ny - 1):
            for i in (0, nx - 1):
                p = [frame_pos[k][a] + i * sx * u[a] + j * sy * v[a] for a in range(3)]
                out.append([i, j, k] + p)
    return out


# ------------------------------------------------------------------------------------------------
# CT series

def write_ct(name, iop, first_ipp, step, nslices, nx, ny, sx, sy, func, slope, intercept,
             bits_stored=16, signed=True, order="shuffle", drop=None, series_key=None,
             subdir=None, patient=None, expect=None, transfer=ExplicitVRLittleEndian,
             per_slice_intercept=0.0, sign_extend=False, modality="CT", rle=False):
    """step: signed distance between consecutive written slices along n = row x col (negative =
    slices written running against the normal)."""
    d = os.path.join(OUT, subdir or name)
    os.makedirs(d, exist_ok=True)
    iop = [q(c) for c in iop]
    u, v = unit(iop[:3]), unit(iop[3:])
    n = unit(cross(u, v))
    series = uid(series_key or name)
    positions = []
    for s in range(nslices):
        positions.append([q(first_ipp[a] + s * step * n[a]) for a in range(3)])
    kept = [s for s in range(nslices) if s != drop]
    file_order = list(kept)
    if order == "shuffle":
        RNG.shuffle(file_order)
    elif order == "reverse":
        file_order.reverse()
    a, b, c, dd = func
    mn, mx = (-(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1) if signed else \
        (0, (1 << bits_stored) - 1)
    for idx, s in enumerate(file_order):
        ipp = positions[s]
        jj, ii = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        x = ipp[0] + ii * sx * u[0] + jj * sy * v[0]
        y = ipp[1] + ii * sx * u[1] + jj * sy * v[1]
        z = ipp[2] + ii * sx * u[2] + jj * sy * v[2]
        hu = a + b * x + c * y + dd * z
        icpt = intercept + per_slice_intercept * s  # some scanners rescale every slice differently
        stored = np.rint((hu - icpt) / slope).astype(np.int64)
        assert stored.min() >= mn and stored.max() <= mx, (name, stored.min(), stored.max())
        raw = stored.astype(np.int16 if signed else np.uint16).view(np.uint16)
        if bits_stored < 16 and not sign_extend:
            raw = raw & np.uint16((1 << bits_stored) - 1)  # high bits zero, sign in bit HighBit
        sop = uid("%s/%d" % (series_key or name, s))
        # file names carry no order information (the reader must sort by position)
        path = os.path.join(d, "IMG%04d.dcm" % (RNG.randrange(10000) * 10 + idx % 10))
        while os.path.exists(path):
            path = path[:-4] + "b.dcm"
        ds = new_file(path, MR_STORAGE if modality == "MR" else CT_STORAGE, sop, modality,
                      series, patient, transfer)
        ds.FrameOfReferenceUID = FRAME
        ds.PositionReferenceIndicator = ""
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = str(idx + 1)  # deliberately not the slice order
        ds.ImagePositionPatient = ds_str(ipp)
        ds.ImageOrientationPatient = ds_str(iop)
        ds.PixelSpacing = ds_str([sy, sx])  # row spacing \ column spacing
        ds.SliceThickness = "%.9g" % abs(step)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ny
        ds.Columns = nx
        ds.BitsAllocated = 16
        ds.BitsStored = bits_stored
        ds.HighBit = bits_stored - 1
        ds.PixelRepresentation = 1 if signed else 0
        ds.RescaleIntercept = "%.9g" % icpt
        ds.RescaleSlope = "%.9g" % slope
        ds.RescaleType = "HU"
        ds.KVP = "120"
        if rle:  # RLE Lossless (pydicom's own encoder)
            ds.compress(RLELossless, raw.view(np.int16 if signed else np.uint16))
        else:
            ds.add_new(0x7FE00010, "OW", raw.astype("<u2").tobytes())
        ds.save_as(path, write_like_original=False)
    if expect is None:
        kept_pos = sorted((positions[s] for s in kept), key=lambda p: dot(p, n))
        if drop is not None:  # resampled at the regular gap: frame k at first + k*|step|
            kept_pos = [[kept_pos[0][a] + k * abs(step) * n[a] for a in range(3)]
                        for k in range(nslices)]
        nz = len(kept_pos)
        add_case(kind="ct", name=name, path=d, series_uid=series, dims=[nx, ny, nz],
                 spacing=[sx, sy, abs(step)], dir=u + v + n, origin=kept_pos[0],
                 corners=corners(nx, ny, nz, u, v, sx, sy, kept_pos), func=func,
                 tol=slope / 2 + 1e-3, uneven=1 if drop is not None else 0,
                 select=1 if subdir else 0)
    return d, series


def ct_cases():
    # axial, slices in shuffled file order, signed 16-bit, slope 1 / intercept -1000
    write_ct("ct_axial_shuffled", [1, 0, 0, 0, 1, 0], [-40.0, -31.5, -12.0], 2.5, 7, 9, 6,
             0.9765625, 1.2, [35, 2.0, -1.5, 3.0], 1.0, -1000.0, signed=False)
    # sagittal (u = +y, v = -z, n = -x), written against the normal, 12 bits in 16, unsigned,
    # slope 0.5 / intercept -1024
    write_ct("ct_sagittal_12bit", [0, 1, 0, 0, 0, -1], [20.0, -15.0, 30.0], -3.0, 5, 8, 7,
             1.5, 2.0, [-20, 1.5, 2.5, -2.0], 0.5, -1024.0, bits_stored=12, signed=False,
             order="reverse")
    # coronal (u = +x, v = -z, n = +y), written running against the normal (decreasing y),
    # signed 12-bit stored in 16 with the high bits clear, slope 1 / intercept 0
    write_ct("ct_coronal_negstep", [1, 0, 0, 0, 0, -1], [-10.0, 25.0, 15.0], -2.0, 6, 7, 5,
             1.25, 2.5, [10, -3.0, 2.0, 1.0], 1.0, 0.0, bits_stored=12, signed=True,
             order="forward")
    # oblique: rotated 17 deg about x then 17 deg about z; signed 16 bits, slope 0.5
    r = matmul(rot("z", 17), rot("x", 17))
    u, v = matvec(r, [1, 0, 0]), matvec(r, [0, 1, 0])
    write_ct("ct_oblique_17", u + v, [-12.0, -8.0, 4.0], 2.0, 6, 8, 7, 1.1, 1.7,
             [5, 1.0, -2.0, 2.5], 0.5, -20.0, signed=True)
    # a feet-first-like orientation (u = -x, v = +y, n = -z), implicit VR little endian
    write_ct("ct_ffs_implicit", [-1, 0, 0, 0, 1, 0], [30.0, -20.0, 10.0], 1.5, 5, 6, 8, 2.0,
             1.5, [0, -1.0, 2.0, 4.0], 1.0, -1000.0, signed=True,
             transfer=ImplicitVRLittleEndian)
    # RescaleIntercept different on every slice, signed 12 bits sign-extended into 16, MR
    write_ct("mr_per_slice_rescale", [1, 0, 0, 0, 1, 0], [-3.0, -4.0, -6.0], 3.0, 5, 5, 4, 1.5,
             2.0, [-50, 2.0, 1.0, -3.0], 0.25, -100.0, bits_stored=12, signed=True,
             sign_extend=True, per_slice_intercept=7.5, modality="MR")
    # RLE Lossless compressed slices, coronal-ish oblique (rotated 30 deg about z)
    r = rot("z", 30)
    u, v = matvec(r, [1, 0, 0]), [0, 0, -1]
    write_ct("ct_rle_oblique", u + v, [4.0, 6.0, 20.0], 2.5, 4, 7, 6, 1.2, 1.4,
             [-30, 1.0, 2.0, -2.5], 1.0, -1024.0, signed=True, rle=True)
    # one missing slice: error by default, resampled + flagged with allow_uneven_slices
    d, s = write_ct("ct_missing_slice", [1, 0, 0, 0, 1, 0], [-5.0, -5.0, -10.0], 2.0, 7, 6, 5,
                    1.0, 1.0, [0, 1.0, 1.0, 5.0], 1.0, -1000.0, drop=3)
    add_case(kind="ct_error", name="ct_missing_slice_strict", path=d, contains="missing slice")
    # two series in one folder: selecting needs the SeriesInstanceUID
    d, s1 = write_ct("ct_two_series_A", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], 3.0, 4, 5, 4, 2.0,
                     2.0, [100, 1.0, 2.0, 3.0], 1.0, -1000.0, subdir="ct_two_series")
    d, s2 = write_ct("ct_two_series_B", [0, 1, 0, 0, 0, -1], [5.0, 0.0, 0.0], 2.0, 3, 4, 6, 1.0,
                     1.5, [-100, 3.0, 2.0, 1.0], 1.0, -1000.0, subdir="ct_two_series")
    add_case(kind="ct_error", name="ct_two_series_unselected", path=d, contains="series")
    # a truncated slice (in the middle, or the last one) must not vanish silently
    for name, zcut in (("ct_truncated_slice", 4.0), ("ct_truncated_last", 8.0)):
        d, s = write_ct(name, [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], 2.0, 5, 6, 6, 1.0, 1.0,
                        [0, 1, 1, 1], 1.0, -1000.0, expect=False)
        victim = None
        for f in sorted(os.listdir(d)):
            z = float(pydicom.dcmread(os.path.join(d, f), stop_before_pixels=True)
                      .ImagePositionPatient[2])
            if abs(z - zcut) < 1e-6:
                victim = os.path.join(d, f)
        data = open(victim, "rb").read()
        open(victim, "wb").write(data[: len(data) - 40])
        add_case(kind="ct_error", name=name, path=d, contains="corrupt or truncated")


# ------------------------------------------------------------------------------------------------
# RTDOSE

PLAN_UID = uid("plan/photon")


def write_dose(name, iop, ipp, offsets, nx, ny, sx, sy, func, bits=32, gfov="relative",
               units="GY", dtype="PHYSICAL", summation="PLAN", plan_uids=(PLAN_UID,), fg=None,
               beam=None, signed=False, patient=None, omit=(), single_frame=False,
               expect=True, big_endian=False, rle=False):
    """offsets: positions of the written frames along n relative to ipp (frame 0 at ipp, so
    offsets[0] == 0); written as relative GFOV or as absolute z (first = IPP z)."""
    path = os.path.join(OUT, name + ".dcm")
    iop = [q(c) for c in iop]
    ipp = [q(c) for c in ipp]
    u, v = unit(iop[:3]), unit(iop[3:])
    n = unit(cross(u, v))
    nf = len(offsets)
    frame_pos = [[ipp[a] + o * n[a] for a in range(3)] for o in offsets]
    a, b, c, dd = func
    dose = np.zeros((nf, ny, nx))
    jj, ii = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    for k in range(nf):
        p = frame_pos[k]
        x = p[0] + ii * sx * u[0] + jj * sy * v[0]
        y = p[1] + ii * sx * u[1] + jj * sy * v[1]
        z = p[2] + ii * sx * u[2] + jj * sy * v[2]
        dose[k] = a + b * x + c * y + dd * z
    top = float((1 << (bits - 1)) - 1 if signed else (1 << bits) - 1)
    scaling = q(np.abs(dose).max() / top * 1.0001)
    stored = np.rint(dose / scaling).astype(np.int64)
    if not signed:
        assert stored.min() >= 0, name
    dt = {(16, False): "<u2", (16, True): "<i2", (32, False): "<u4", (32, True): "<i4"}[(bits, signed)]
    if big_endian:
        dt = ">" + dt[1:]
    raw = stored.astype(dt).tobytes()
    sop = uid(name)
    ds = new_file(path, DOSE_STORAGE, sop, "RTDOSE", uid(name + "/series"), patient,
                  ExplicitVRBigEndian if big_endian else ExplicitVRLittleEndian)
    ds.is_little_endian = not big_endian
    ds.FrameOfReferenceUID = FRAME
    ds.PositionReferenceIndicator = ""
    ds.ImagePositionPatient = ds_str(ipp)
    ds.ImageOrientationPatient = ds_str(iop)
    ds.PixelSpacing = ds_str([sy, sx])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if not single_frame:
        ds.NumberOfFrames = nf
        ds.FrameIncrementPointer = 0x3004000C
        if "GridFrameOffsetVector" not in omit:
            if gfov == "relative":
                ds.GridFrameOffsetVector = ds_str(offsets)
            else:  # absolute: z coordinates of the frames (first = IPP z)
                ds.GridFrameOffsetVector = ds_str([q(p[2]) for p in frame_pos])
    ds.Rows = ny
    ds.Columns = nx
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.DoseUnits = units
    ds.DoseType = dtype
    ds.DoseSummationType = summation
    if "DoseGridScaling" not in omit:
        ds.DoseGridScaling = "%.9g" % scaling
    refs = []
    for p in plan_uids:
        it = Dataset()
        it.ReferencedSOPClassUID = PLAN_STORAGE
        it.ReferencedSOPInstanceUID = p
        if fg is not None:
            g = Dataset()
            g.ReferencedFractionGroupNumber = fg
            if beam is not None:
                bi = Dataset()
                bi.ReferencedBeamNumber = beam
                g.ReferencedBeamSequence = Sequence([bi])
            it.ReferencedFractionGroupSequence = Sequence([g])
        refs.append(it)
    if refs:
        ds.ReferencedRTPlanSequence = Sequence(refs)
    if "PixelData" not in omit and rle:
        ds.compress(RLELossless, stored.astype(dt))
    elif "PixelData" not in omit:
        ds.add_new(0x7FE00010, "OW" if bits > 8 else "OB", raw)
    ds.save_as(path, write_like_original=False)
    if expect:
        order = sorted(range(nf), key=lambda k: offsets[k])
        sorted_pos = [frame_pos[k] for k in order]
        gaps = sorted(offsets[order[k + 1]] - offsets[order[k]] for k in range(nf - 1))
        sz = gaps[0] if gaps else None
        add_case(kind="dose", name=name, path=path, dims=[nx, ny, nf], spacing=[sx, sy, sz],
                 dir=u + v + n, origin=sorted_pos[0], corners=corners(nx, ny, nf, u, v, sx, sy,
                                                                      sorted_pos),
                 func=func, tol=scaling / 2 + 1e-6 * (abs(a) + 50), units=units, type=dtype,
                 summation=summation, scaling=scaling,
                 ref_plan=plan_uids[0] if plan_uids else "", ref_fg=fg or 0, ref_beam=beam or 0)
    return path


def dose_cases():
    f1 = [30.0, 0.10, 0.20, -0.15]
    # relative GFOV, 16-bit, GY / PHYSICAL / PLAN
    write_dose("dose_rel16_plan", [1, 0, 0, 0, 1, 0], [-30.0, -22.0, -10.0], [0, 2.5, 5, 7.5, 10],
               7, 5, 4.0, 3.0, f1, bits=16)
    # absolute GFOV (first = IPP z), 32-bit, FRACTION with fraction group
    write_dose("dose_abs32_fraction", [1, 0, 0, 0, 1, 0], [-12.0, 8.0, -40.0], [0, 3, 6, 9],
               6, 8, 2.5, 2.0, f1, gfov="absolute", summation="FRACTION", fg=1)
    # relative GFOV decreasing (frames run against the normal), 32-bit, BEAM
    write_dose("dose_rel_decreasing_beam", [1, 0, 0, 0, 1, 0], [5.0, -5.0, 20.0],
               [0, -2, -4, -6, -8, -10], 5, 4, 3.0, 2.0, f1, summation="BEAM", fg=1, beam=2)
    # absolute decreasing z, 16-bit, MULTI_PLAN with two plans, EFFECTIVE
    write_dose("dose_abs_decreasing_multiplan", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 12.0],
               [0, -3, -6, -9], 4, 6, 2.0, 2.5, f1, bits=16, gfov="absolute",
               summation="MULTI_PLAN", dtype="EFFECTIVE",
               plan_uids=(PLAN_UID, uid("plan/proton")))
    # feet-first orientation (n = -z) with absolute GFOV: z decreases along n
    write_dose("dose_ffs_abs", [-1, 0, 0, 0, 1, 0], [20.0, -10.0, 6.0], [0, 2, 4, 6], 5, 6, 2.0,
               3.0, f1, gfov="absolute", summation="PLAN")
    # oblique 17/17 deg, relative GFOV, RELATIVE units, BRACHY
    r = matmul(rot("y", 17), rot("x", 17))
    u, v = matvec(r, [1, 0, 0]), matvec(r, [0, 1, 0])
    write_dose("dose_oblique_relative_brachy", u + v, [-8.0, -6.0, -4.0], [0, 2, 4, 6, 8], 6, 5,
               2.0, 1.6, [60.0, 0.3, -0.2, 0.5], units="RELATIVE", summation="BRACHY")
    # sagittal dose grid, relative GFOV, EFFECTIVE / PLAN
    write_dose("dose_sagittal_effective", [0, 1, 0, 0, 0, -1], [0.0, -9.0, 9.0], [0, 3, 6],
               4, 5, 3.0, 2.0, f1, dtype="EFFECTIVE")
    # single frame (no NumberOfFrames, no GFOV), 16-bit
    write_dose("dose_single_frame", [1, 0, 0, 0, 1, 0], [-6.0, -4.0, 2.0], [0], 4, 3, 3.0, 4.0,
               f1, bits=16, single_frame=True, summation="FRACTION", fg=1)
    # non-uniform offsets (2 then 4 mm): rert resamples onto the smallest gap
    write_dose("dose_uneven_offsets", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2, 4, 8], 3, 3,
               2.0, 2.0, f1, expect=False)
    add_case(kind="dose", name="dose_uneven_offsets", path=os.path.join(OUT, "dose_uneven_offsets.dcm"),
             dims=[3, 3, 5], spacing=[2.0, 2.0, 2.0], dir=[1, 0, 0, 0, 1, 0, 0, 0, 1],
             origin=[0.0, 0.0, 0.0], corners=[], func=f1, tol=0.02, units="GY", type="PHYSICAL",
             summation="PLAN", scaling=None, ref_plan=PLAN_UID, ref_fg=0, ref_beam=0)
    # DoseType ERROR with signed pixels (negative differences)
    write_dose("dose_error_signed", [1, 0, 0, 0, 1, 0], [-10.0, -10.0, -10.0], [0, 5, 10], 5, 5,
               5.0, 5.0, [-2.0, 0.1, 0.05, -0.02], bits=16, signed=True, dtype="ERROR",
               summation="PLAN")
    # 32-bit signed ERROR grid, CONTROL_POINT summation
    write_dose("dose_error_signed32_cp", [1, 0, 0, 0, 1, 0], [-4.0, -4.0, -4.0], [0, 4], 3, 4,
               4.0, 2.0, [-1.0, 0.2, -0.1, 0.05], bits=32, signed=True, dtype="ERROR",
               summation="CONTROL_POINT")
    # retired Explicit VR Big Endian, 32-bit, RECORD summation
    write_dose("dose_bigendian32_record", [1, 0, 0, 0, 1, 0], [-6.0, 2.0, -3.0], [0, 2.5, 5],
               4, 3, 2.0, 3.0, f1, bits=32, summation="RECORD", big_endian=True)
    write_dose("dose_bigendian16_fraction_session", [0, 1, 0, 0, 0, -1], [2.0, -6.0, 3.0],
               [0, 2, 4], 4, 3, 2.0, 3.0, f1, bits=16, summation="FRACTION_SESSION",
               big_endian=True)
    # RLE Lossless 16-bit dose (pydicom 2.3 cannot RLE-encode 32 bits), BEAM_SESSION
    write_dose("dose_rle16_beam_session", [1, 0, 0, 0, 1, 0], [-5.0, -5.0, -5.0], [0, 3, 6], 5,
               4, 2.5, 2.0, f1, bits=16, summation="BEAM_SESSION", fg=2, beam=3, rle=True)
    # one brachytherapy session
    write_dose("dose_brachy_session", [1, 0, 0, 0, 1, 0], [-2.0, -2.0, -2.0], [0, 2], 3, 3,
               2.0, 2.0, f1, bits=16, summation="BRACHY_SESSION", fg=1)
    # ---- malformed
    p = write_dose("bad_dose_no_scaling", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2], 3, 3,
                   2.0, 2.0, f1, omit=("DoseGridScaling",), expect=False)
    add_case(kind="dose_error", name="bad_dose_no_scaling", path=p, contains="DoseGridScaling")
    p = write_dose("bad_dose_no_gfov", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2, 4], 3, 3, 2.0,
                   2.0, f1, omit=("GridFrameOffsetVector",), expect=False)
    add_case(kind="dose_error", name="bad_dose_no_gfov", path=p, contains="GridFrameOffsetVector")
    p = write_dose("bad_dose_no_pixels", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2, 4], 3, 3,
                   2.0, 2.0, f1, omit=("PixelData",), expect=False)
    add_case(kind="dose_error", name="bad_dose_no_pixels", path=p, contains="PixelData")
    p = write_dose("bad_dose_truncated", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2, 4, 6], 10,
                   10, 2.0, 2.0, f1, expect=False)
    data = open(p, "rb").read()
    open(p, "wb").write(data[: int(len(data) * 0.6)])
    add_case(kind="dose_error", name="bad_dose_truncated", path=p, contains="")
    p = os.path.join(OUT, "bad_not_dicom.dcm")
    open(p, "wb").write(b"this is not a DICOM file\n" * 20)
    add_case(kind="dose_error", name="bad_not_dicom", path=p, contains="")
    # another patient's dose beside the CT of IOV-001
    p = write_dose("dose_other_patient", [1, 0, 0, 0, 1, 0], [0.0, 0.0, 0.0], [0, 2], 3, 3, 2.0,
                   2.0, f1, expect=False,
                   patient={"PatientName": "Other^Person", "PatientID": "IOV-999",
                            "PatientBirthDate": "19500101", "PatientSex": "F"})
    add_case(kind="patients", name="mismatched_patients",
             paths=[os.path.join(OUT, "dose_rel16_plan.dcm"), p])


# ------------------------------------------------------------------------------------------------
# RTSTRUCT

def contour(pts, gtype="CLOSED_PLANAR"):
    c = Dataset()
    c.ContourGeometricType = gtype
    c.NumberOfContourPoints = len(pts)
    c.ContourData = ds_str([x for p in pts for x in p])
    return c


def square(cx, cy, z, h):
    return [[cx - h, cy - h, z], [cx + h, cy - h, z], [cx + h, cy + h, z], [cx - h, cy + h, z]]


def struct_case():
    path = os.path.join(OUT, "rtstruct.dcm")
    ds = new_file(path, STRUCT_STORAGE, uid("struct"), "RTSTRUCT", uid("struct/series"))
    ds.StructureSetLabel = "IndepRS"
    ds.StructureSetDate = "20260301"
    ds.StructureSetTime = "101500"
    ref = Dataset()
    ref.FrameOfReferenceUID = FRAME
    st = Dataset()
    st.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    st.ReferencedSOPInstanceUID = STUDY
    se = Dataset()
    se.SeriesInstanceUID = uid("ct_axial_shuffled")
    se.ContourImageSequence = Sequence([])
    st.RTReferencedSeriesSequence = Sequence([se])
    ref.RTReferencedStudySequence = Sequence([st])
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref])
    tilted = [[0, 0, 0], [10, 0, 0], [10, 10, 3], [0, 10, 0]]  # 3rd point 3 mm off the plane
    # planar but oblique (drawn on an oblique MR: plane rotated 17 deg about x then z)
    r = matmul(rot("z", 17), rot("x", 17))
    oblique = [[q(c) for c in matvec(r, p)] for p in ([-8, -8, 0], [8, -8, 0], [8, 8, 0], [-8, 8, 0])]
    rois = [  # number, name, interpreted type, algorithm, contours
        (11, "Body", "EXTERNAL", "AUTOMATIC",
         [contour(square(0, 0, z, 30)) for z in (-5.0, 0.0, 5.0)]),
        (3, "Ring", "ORGAN", "MANUAL",  # outer square with a hole on one slice
         [contour(square(5, 5, 0.0, 10)), contour(square(5, 5, 0.0, 4))]),
        (7, "PTV_islands", "PTV", "SEMIAUTOMATIC",  # two contours per slice
         [contour(square(-10, 0, z, 3)) for z in (-2.5, 2.5)] +
         [contour(square(12, 0, z, 2)) for z in (-2.5, 2.5)]),
        (20, "Marker", "MARKER", "MANUAL", [contour([[1.5, -2.25, 3.75]], "POINT")]),
        (5, "Empty", "ORGAN", "MANUAL", None),
        (9, "Tilted", "ORGAN", "MANUAL", [contour(tilted)]),
        (14, "ObliquePlane", "ORGAN", "MANUAL", [contour(oblique)]),
    ]
    ssroi, rcs, obs = [], [], []
    for num, name, itype, alg, cs in rois:
        r = Dataset()
        r.ROINumber = num
        r.ReferencedFrameOfReferenceUID = FRAME
        r.ROIName = name
        r.ROIGenerationAlgorithm = alg
        ssroi.append(r)
        rc = Dataset()
        rc.ROIDisplayColor = [num * 10 % 256, 128, 255 - num]
        rc.ReferencedROINumber = num
        if cs is not None:
            rc.ContourSequence = Sequence(cs)
        rcs.append(rc)
        o = Dataset()
        o.ObservationNumber = num + 100
        o.ReferencedROINumber = num
        o.RTROIInterpretedType = itype
        o.ROIInterpreter = ""
        obs.append(o)
    # the three sequences in different orders: a reader must join them by ROI number
    ds.StructureSetROISequence = Sequence(ssroi)
    ds.ROIContourSequence = Sequence(list(reversed(rcs)))
    ds.RTROIObservationsSequence = Sequence(obs[2:] + obs[:2])
    ds.save_as(path, write_like_original=False)
    exp = []
    for num, name, itype, alg, cs in rois:
        exp.append({"number": num, "name": name, "type": itype, "algorithm": alg,
                    "ncontours": len(cs) if cs else 0,
                    "contour_types": [c.ContourGeometricType for c in cs] if cs else [],
                    "npoints": [int(c.NumberOfContourPoints) for c in cs] if cs else [],
                    "first_point": [float(x) for x in cs[0].ContourData[:3]] if cs else [],
                    "color": [num * 10 % 256, 128, 255 - num]})
    add_case(kind="rtstruct", name="rtstruct", path=path, rois=exp, frame=FRAME,
             ref_series=uid("ct_axial_shuffled"), valid=["Body", "Ring", "PTV_islands", "Marker", "ObliquePlane"],
             invalid=["Empty", "Tilted"])


# ------------------------------------------------------------------------------------------------
# RTPLAN / RT Ion Plan

def plan_case(name, ion, groups, rx, radiation, atomic=None, plan_uid=None, date="20260305"):
    path = os.path.join(OUT, name + ".dcm")
    cls = ION_PLAN_STORAGE if ion else PLAN_STORAGE
    puid = plan_uid or uid("plan/" + name)
    ds = new_file(path, cls, puid, "RTPLAN", uid(name + "/series"))
    ds.FrameOfReferenceUID = FRAME
    ds.RTPlanLabel = name[:16]
    ds.RTPlanName = name
    ds.RTPlanDate = date
    ds.RTPlanTime = "090000"
    ds.RTPlanGeometry = "PATIENT"
    ds.ApprovalStatus = "APPROVED"
    drs = []
    for i, (dose, roi) in enumerate(rx):
        d = Dataset()
        d.DoseReferenceNumber = i + 1
        d.DoseReferenceUID = uid(name + "/dr/%d" % i)
        d.DoseReferenceStructureType = "VOLUME"
        d.DoseReferenceDescription = "target %d" % (i + 1)
        d.DoseReferenceType = "TARGET"
        d.ReferencedROINumber = roi
        d.TargetPrescriptionDose = "%.9g" % dose
        drs.append(d)
    ds.DoseReferenceSequence = Sequence(drs)
    fgs = []
    nbeams_total = 0
    for g, (nfx, nb) in enumerate(groups):
        f = Dataset()
        f.FractionGroupNumber = g + 1
        f.NumberOfFractionsPlanned = nfx
        f.NumberOfBeams = nb
        f.NumberOfBrachyApplicationSetups = 0
        rbs = []
        for b in range(nb):
            rb = Dataset()
            rb.ReferencedBeamNumber = nbeams_total + b + 1
            rb.BeamMeterset = "100.0"
            rbs.append(rb)
        f.ReferencedBeamSequence = Sequence(rbs)
        nbeams_total += nb
        fgs.append(f)
    ds.FractionGroupSequence = Sequence(fgs)
    beams = []
    for b in range(nbeams_total):
        be = Dataset()
        be.BeamNumber = b + 1
        be.BeamName = "B%d" % (b + 1)
        be.BeamType = "STATIC"
        be.RadiationType = radiation
        if atomic:
            be.RadiationAtomicNumber = atomic
            be.RadiationMassNumber = 12
            be.RadiationChargeState = 6
        be.TreatmentDeliveryType = "TREATMENT"
        be.NumberOfControlPoints = 0
        beams.append(be)
    if ion:
        ds.IonBeamSequence = Sequence(beams)
    else:
        ds.BeamSequence = Sequence(beams)
    ds.save_as(path, write_like_original=False)
    add_case(kind="rtplan", name=name, path=path, is_ion=1 if ion else 0,
             fractions=[g[0] for g in groups], beams=[g[1] for g in groups],
             prescriptions=[r[0] for r in rx], rx_rois=[r[1] for r in rx], radiation=radiation,
             atomic=atomic or 0, plan_date=date)


def plan_cases():
    plan_case("rtplan_photon", False, [(30, 2)], [(60.0, 7)], "PHOTON", plan_uid=PLAN_UID)
    plan_case("rtplan_photon_boost", False, [(25, 3), (8, 2)], [(50.0, 7), (66.0, 3)], "PHOTON")
    plan_case("rtionplan_proton", True, [(33, 3)], [(69.96, 7)], "PROTON",
              plan_uid=uid("plan/proton"))
    plan_case("rtionplan_carbon", True, [(16, 2)], [(64.0, 7)], "ION", atomic=6)


# ------------------------------------------------------------------------------------------------
# Spatial registration (rigid) and deformable registration

MOVING = uid("frame/moving")


def reg_case(name="reg_rigid", moving_first=False):
    path = os.path.join(OUT, name + ".dcm")
    ds = new_file(path, REG_STORAGE, uid(name), "REG", uid(name + "/series"))
    ds.FrameOfReferenceUID = FRAME
    ds.ContentDate = "20260301"
    ds.ContentTime = "101500"
    ds.InstanceNumber = "1"
    ds.ContentLabel = "RIGID"
    r = matmul(rot("z", 10), rot("x", -4))
    t = [5.0, -3.0, 2.0]
    m = [q(r[0][0]), q(r[0][1]), q(r[0][2]), t[0], q(r[1][0]), q(r[1][1]), q(r[1][2]), t[1],
         q(r[2][0]), q(r[2][1]), q(r[2][2]), t[2], 0, 0, 0, 1]
    items = []
    for fr, mat in ((FRAME, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), (MOVING, m)):
        it = Dataset()
        it.FrameOfReferenceUID = fr
        mr = Dataset()
        mr.RegistrationTypeCodeSequence = Sequence([])
        ms = Dataset()
        ms.FrameOfReferenceTransformationMatrixType = "RIGID"
        ms.FrameOfReferenceTransformationMatrix = ds_str(mat)
        mr.MatrixSequence = Sequence([ms])
        it.MatrixRegistrationSequence = Sequence([mr])
        items.append(it)
    ds.RegistrationSequence = Sequence(items[::-1] if moving_first else items)
    ds.save_as(path, write_like_original=False)
    add_case(kind="reg", name=name, path=path, fixed=FRAME, moving=MOVING, matrix=m)


def dreg_case():
    path = os.path.join(OUT, "reg_deformable.dcm")
    ds = new_file(path, DREG_STORAGE, uid("dreg"), "REG", uid("dreg/series"))
    ds.FrameOfReferenceUID = FRAME
    ds.ContentDate = "20260301"
    ds.ContentTime = "101500"
    ds.InstanceNumber = "1"
    ds.ContentLabel = "DIR"
    nx, ny, nz = 4, 3, 2
    origin, res = [-6.0, -4.0, -2.0], [4.0, 4.0, 4.0]
    vec = np.zeros((nz, ny, nx, 3), dtype="<f4")
    samples = []
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                val = [0.5 + 0.1 * i, -1.0 + 0.2 * j, 2.0 - 0.5 * k]
                vec[k, j, i] = val
                if (i, j, k) in ((0, 0, 0), (3, 2, 1), (1, 2, 0), (2, 0, 1)):
                    samples.append([i, j, k] + [float(np.float32(x)) for x in val])
    pre = [1, 0, 0, 1.5, 0, 1, 0, -2.5, 0, 0, 1, 0.75, 0, 0, 0, 1]
    it = Dataset()
    it.SourceFrameOfReferenceUID = MOVING
    it.RegistrationTypeCodeSequence = Sequence([])
    p = Dataset()
    p.FrameOfReferenceTransformationMatrix = ds_str(pre)
    p.FrameOfReferenceTransformationMatrixType = "RIGID"
    it.PreDeformationMatrixRegistrationSequence = Sequence([p])
    g = Dataset()
    g.ImagePositionPatient = ds_str(origin)
    g.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    g.GridDimensions = [nx, ny, nz]
    g.GridResolution = res
    g.add_new(0x00640009, "OF", vec.tobytes())
    it.DeformableRegistrationGridSequence = Sequence([g])
    ds.DeformableRegistrationSequence = Sequence([it])
    ds.save_as(path, write_like_original=False)
    add_case(kind="dreg", name="reg_deformable", path=path, fixed=FRAME, moving=MOVING,
             dims=[nx, ny, nz], origin=origin, spacing=res, pre=pre, samples=samples)


def charset_case():
    """the same patient exported by two systems in different character sets (Latin-1 CT,
    UTF-8 plan): one person, so the patient interlock must pass; rert reports UTF-8"""
    pat = {"PatientName": "Müller^Jürgen", "PatientID": "IOV-CS", "PatientBirthDate": "19580212",
           "PatientSex": "M"}
    paths = []
    for cs, name in (("ISO_IR 100", "charset_latin1_ct"), ("ISO_IR 192", "charset_utf8_plan")):
        path = os.path.join(OUT, name + ".dcm")
        cls = CT_STORAGE if "ct" in name else PLAN_STORAGE
        ds = new_file(path, cls, uid(name), "CT" if "ct" in name else "RTPLAN",
                      uid(name + "/series"), pat)
        ds.SpecificCharacterSet = cs
        ds.FrameOfReferenceUID = FRAME
        ds.save_as(path, write_like_original=False)
        paths.append(path)
    add_case(kind="same_patient", name="charset_latin1_vs_utf8", paths=paths,
             patient_name=pat["PatientName"])


def main():
    ct_cases()
    dose_cases()
    struct_case()
    plan_cases()
    reg_case()
    reg_case("reg_rigid_moving_first", moving_first=True)  # item order carries no meaning
    dreg_case()
    charset_case()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "make_dicom_cases.py", "pydicom": pydicom.__version__,
                   "cases": MANIFEST}, f, indent=1)
    print("%d cases in %s" % (len(MANIFEST), OUT))


if __name__ == "__main__":
    main()
