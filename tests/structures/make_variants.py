#!/usr/bin/python3
"""make_variants.py — structure-set variants of the rert phantom for issue 13 (structure
identity, constraint accounting, order independence).

Usage: make_variants.py PHANTOM_DIR OUT_DIR VARIANT
       make_variants.py --list

PHANTOM_DIR is the output of `rert phantom` (small). OUT_DIR (must not exist) receives a copy of
the case in which only the reference course's RTSTRUCT (course2) and case.json change; every
other file is linked. Written with pydicom only (no rert code), so the variants are what another
program would export: local ROI names, empty or degenerate contours, a cord outside the dose grid,
hundreds of helper ROIs, permuted ROI order, duplicates, Pinnacle-style all-ORGAN sets.
The expectation of each variant is documented in VARIANTS and asserted by
tests/test_structures_cli.c, test_structures_order.c and test_structures_consult.c through the `rert` binary. (To become tests/malformed/variants_structures.py in the malformed-corpus framework once it is on main.)
"""
import copy
import json
import os
import random
import shutil
import sys

import pydicom

RS = "course2/RS_course2.dcm"

# local names found in real exports for the phantom's TG-263 names (docs/structures.md)
RENAMES = {
    "SpinalCord": "Myelon",
    "Brainstem": "Brain Stem",
    "OpticNrv_L": "L Optic Nerve",
    "OpticNrv_R": "Optic Nerve Rt",
    "OpticChiasm": "Chiasm",
    "A_Carotid_L": "Carotid Lt",
    "A_Carotid_R": "RT CAROTID",
    "Bone_Mandible": "Mandible",
    "BrachialPlex_L": "Plexus brachialis li",
    "BrachialPlex_R": "Brachial_Plexus_R",
    "Parotid_L": "Parotid Lt",
    "Parotid_R": "R Parotid",
    "Cochlea_L": "Cochlea (L)",
    "Cochlea_R": "Cochlea_Rt",
    "External": "BODY",
}

VARIANTS = {
    "clean": "unchanged copy (reference for comparisons)",
    "no_map": "structure_map removed: TG-263 ROI names resolve by the synonym table, 10/10 care_s0 rows, PASS",
    "renamed": "local names (Myelon, Brain Stem, L Optic Nerve, ...), no structure_map: every row present, same values as clean",
    "cord_prv_only": "the cord is named Cord_PRV5 (a derived structure): cord rows NOT EVALUATED (structure missing), INCOMPLETE",
    "empty_cord": "the cord ROI has an empty ContourSequence: cord rows NOT EVALUATED (structure empty), INCOMPLETE",
    "cord_outside": "the cord contours moved 600 mm caudally, off the dose grid: NOT EVALUATED (outside dose grid), INCOMPLETE",
    "degenerate_cord": "every cord contour cut to 2 points: never dropped silently; no PASS",
    "corrupt_cord": "one cord contour with a coordinate beyond 100 m (left out, an error finding): cord rows NOT EVALUATED (structure degenerate), INCOMPLETE",
    "sparse_cord": "every 4th cord contour kept: the cord rows are still there",
    "extra140": "140 helper ROIs added (z_, opt, PRV, ring, dose levels): all rows present, verdict as clean",
    "extra250": "250 helper ROIs added: all rows present, verdict as clean",
    "permuted": "ROI order shuffled (all three sequences): identical results",
    "duplicate": "a second cord ROI 'Spinal Cord' (shifted 15 mm): refused, exit 2, naming both ROIs and the file",
    "duplicate_mapped": "as duplicate, structure_map says 'Spinal Cord' is the cord: accepted, that ROI evaluated",
    "pinnacle": "every RTROIInterpretedType ORGAN, targets named 'H&N PTV_60Gy', 'H&N CTV_60', 'H&N GTV_rec', no map",
    "pinnacle_roles": "as pinnacle with structure_roles {'H&N PTV_60Gy': 'PTV'}: the role comes from the case file",
    "overlap_recovery": "an 'Esophagus' ROI on the cord (same alpha/beta 2) with s4_stepwise recovery, the cord none",
    "overlap_recovery_permuted": "as overlap_recovery with the ROI order reversed: identical maps",
}


def link_tree(src, dst):
    os.makedirs(dst)
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        for d in dirs:
            os.makedirs(os.path.join(dst, rel, d), exist_ok=True)
        for f in files:
            os.symlink(os.path.abspath(os.path.join(root, f)), os.path.join(dst, rel, f))


def items(ds):
    """(ssroi, contour, observation) triples by ROI number."""
    c = {int(x.ReferencedROINumber): x for x in ds.ROIContourSequence}
    o = {int(x.ReferencedROINumber): x for x in ds.RTROIObservationsSequence}
    return [(s, c[int(s.ROINumber)], o[int(s.ROINumber)]) for s in ds.StructureSetROISequence]


def find(ds, name):
    for t in items(ds):
        if t[0].ROIName == name:
            return t
    raise KeyError(name)


def add_roi(ds, name, typ, contours, number):
    s0, c0, o0 = items(ds)[0]
    s = copy.deepcopy(s0)
    c = copy.deepcopy(c0)
    o = copy.deepcopy(o0)
    s.ROINumber = number
    s.ROIName = name
    c.ReferencedROINumber = number
    o.ReferencedROINumber = number
    o.ObservationNumber = number
    o.RTROIInterpretedType = typ
    if contours is None:
        del c.ContourSequence
    else:
        c.ContourSequence = contours
    ds.StructureSetROISequence.append(s)
    ds.ROIContourSequence.append(c)
    ds.RTROIObservationsSequence.append(o)


def shifted(contours, dx=0.0, dz=0.0):
    out = copy.deepcopy(contours)
    for ct in out:
        d = [float(v) for v in ct.ContourData]
        for i in range(0, len(d), 3):
            d[i] += dx
            d[i + 2] += dz
        ct.ContourData = [f"{v:.4f}" for v in d]
    return out


def square(z, x0, y0, half):
    ct = pydicom.Dataset()
    ct.ContourGeometricType = "CLOSED_PLANAR"
    pts = [(x0 - half, y0 - half), (x0 + half, y0 - half), (x0 + half, y0 + half), (x0 - half, y0 + half)]
    ct.NumberOfContourPoints = 4
    ct.ContourData = [f"{v:.3f}" for p in pts for v in (p[0], p[1], z)]
    return pydicom.Sequence([ct])


def helpers(ds, n):
    """n helper ROIs of the kinds clinical sets carry (none of them an organ)."""
    cord = find(ds, "SpinalCord")[1].ContourSequence
    z = float(cord[len(cord) // 2].ContourData[2])
    kinds = ["z_help_{:03d}", "Ring_{:03d}", "opt_PTV_{:03d}", "Dose {:03d}[%]", "Cord_PRV{:d}",
             "Parotid_L_opt{:03d}", "zPTV_{:03d}", "_tmp{:03d}", "Brainstem_{:02d}", "Couch_{:03d}"]
    types = ["CONTROL", "AVOIDANCE", "CONTROL", "DOSE_REGION", "AVOIDANCE", "ORGAN", "PTV", "ORGAN",
             "ORGAN", "SUPPORT"]
    nxt = max(int(s.ROINumber) for s in ds.StructureSetROISequence) + 1
    for i in range(n):
        k = i % len(kinds)
        add_roi(ds, kinds[k].format(i), types[k], square(z, -60 + (i % 12) * 10, 60, 2.0), nxt + i)


def write_case(out, fn):
    p = os.path.join(out, "case.json")
    with open(p) as f:
        case = json.load(f)
    fn(case)
    os.unlink(p)
    with open(p, "w") as f:
        json.dump(case, f, indent=1)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        for k, v in VARIANTS.items():
            print(f"{k}\t{v}")
        return 0
    if len(sys.argv) != 4 or sys.argv[3] not in VARIANTS:
        print(__doc__, file=sys.stderr)
        return 2
    src, out, v = sys.argv[1:]
    link_tree(src, out)
    rs_path = os.path.join(out, RS)
    ds = pydicom.dcmread(os.path.join(src, RS))
    case_edit = None
    if v == "no_map":
        case_edit = lambda c: c.pop("structure_map", None)
    elif v == "renamed":
        for s, _, _ in items(ds):
            s.ROIName = RENAMES.get(s.ROIName, s.ROIName)
        case_edit = lambda c: c.pop("structure_map", None)
    elif v == "cord_prv_only":
        find(ds, "SpinalCord")[0].ROIName = "Cord_PRV5"
        case_edit = lambda c: c.pop("structure_map", None)
    elif v == "empty_cord":
        del find(ds, "SpinalCord")[1].ContourSequence
    elif v == "cord_outside":
        c = find(ds, "SpinalCord")[1]
        c.ContourSequence = shifted(c.ContourSequence, dz=-600.0)
    elif v == "degenerate_cord":
        for ct in find(ds, "SpinalCord")[1].ContourSequence:
            ct.ContourData = list(ct.ContourData)[:6]
            ct.NumberOfContourPoints = 2
    elif v == "corrupt_cord":
        cs = find(ds, "SpinalCord")[1].ContourSequence
        ct = cs[len(cs) // 2]
        d = list(ct.ContourData)
        d[3] = 1.0e9  # x of the second point: a corrupt export
        ct.ContourData = d
    elif v == "sparse_cord":
        c = find(ds, "SpinalCord")[1]
        c.ContourSequence = pydicom.Sequence([ct for i, ct in enumerate(c.ContourSequence) if i % 4 == 0])
    elif v in ("extra140", "extra250"):
        helpers(ds, int(v[5:]))
    elif v == "permuted":
        rnd = random.Random(13)
        t = items(ds)
        rnd.shuffle(t)
        ds.StructureSetROISequence = pydicom.Sequence([x[0] for x in t])
        t2 = list(t)
        rnd.shuffle(t2)
        ds.ROIContourSequence = pydicom.Sequence([x[1] for x in t2])
        ds.RTROIObservationsSequence = pydicom.Sequence([x[2] for x in reversed(t)])
    elif v in ("duplicate", "duplicate_mapped"):
        cord = find(ds, "SpinalCord")[1].ContourSequence
        nxt = max(int(s.ROINumber) for s in ds.StructureSetROISequence) + 1
        add_roi(ds, "Spinal Cord", "ORGAN", shifted(cord, dx=15.0), nxt)
        if v == "duplicate":
            case_edit = lambda c: c.pop("structure_map", None)
        else:
            case_edit = lambda c: c.__setitem__("structure_map", {"Spinal Cord": "SpinalCord"})
    elif v in ("pinnacle", "pinnacle_roles"):
        names = {"PTV_2": "H&N PTV_60Gy", "CTV_2": "H&N CTV_60", "GTV_2": "H&N GTV_rec"}
        for s, _, o in items(ds):
            s.ROIName = names.get(s.ROIName, s.ROIName)
            o.RTROIInterpretedType = "ORGAN"

        def edit(c):
            c.pop("structure_map", None)
            c["recurrence_roi"] = "H&N GTV_rec"
            if v == "pinnacle_roles":
                c["structure_roles"] = {"H&N PTV_60Gy": "PTV"}
        case_edit = edit
    elif v in ("overlap_recovery", "overlap_recovery_permuted"):
        cord = find(ds, "SpinalCord")[1].ContourSequence
        nxt = max(int(s.ROINumber) for s in ds.StructureSetROISequence) + 1
        add_roi(ds, "Esophagus", "ORGAN", copy.deepcopy(cord), nxt)
        if v.endswith("permuted"):
            ds.StructureSetROISequence = pydicom.Sequence(list(reversed(ds.StructureSetROISequence)))
            ds.ROIContourSequence = pydicom.Sequence(list(reversed(ds.ROIContourSequence)))
            ds.RTROIObservationsSequence = pydicom.Sequence(list(reversed(ds.RTROIObservationsSequence)))

        def edit(c):
            c.pop("structure_map", None)
            c["recovery"] = {"default": "none", "per_organ": {"SpinalCord": "none", "Esophagus": "s4_stepwise"}}
        case_edit = edit
    os.unlink(rs_path)
    ds.save_as(rs_path)
    if case_edit:
        write_case(out, case_edit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
