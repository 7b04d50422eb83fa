"""variants_encoding.py — how real exports are written (issue 12 tests: "files without
preamble"): bare datasets without the 128-byte preamble, DICM prefix and file meta (older
Pinnacle and many archive exports), implicit VR little endian, vendor defaults for optional
attributes. Every one must give exactly the unmodified phantom's results."""
from malformed import (EVALUATE, PHANTOM as P, Variant, computes, check_same_as_base, refuse)


def bare(rel):
    return lambda v: v.write(rel, v.read(rel), preamble=False)


def bare_dir(d):
    def m(v):
        for f in v.listdir(d):
            v.write(d + "/" + f, v.read(d + "/" + f), preamble=False)
    return m


def implicit(rel):
    return lambda v: v.write(rel, v.read(rel), implicit=True)


def both(*muts):
    def m(v):
        for x in muts:
            x(v)
    return m


def drop(rel, *keywords):
    def m(v):
        ds = v.read(rel)
        for k in keywords:
            if k in ds:
                delattr(ds, k)
        v.write(rel, ds)
    return m


SAME = computes(check_same_as_base(0))

VARIANTS = [
    Variant("rtdose_no_preamble", "course1's RTDOSE as a bare dataset", bare(P["rd1"]), SAME),
    Variant("rtplan_no_preamble", "course2's RTPLAN as a bare dataset", bare(P["rp2"]), SAME),
    Variant("rtstruct_no_preamble", "course2's RTSTRUCT as a bare dataset", bare(P["rs2"]), SAME),
    Variant("ct_no_preamble", "course2's CT slices as bare datasets", bare_dir("course2/CT"), SAME),
    Variant("reg_no_preamble", "the registration as a bare dataset", bare(P["reg"]), SAME),
    Variant("all_no_preamble", "every RT object of both courses as bare datasets",
            both(bare(P["rd1"]), bare(P["rd2"]), bare(P["rp1"]), bare(P["rp2"]), bare(P["rs1"]),
                 bare(P["rs2"])), SAME),
    Variant("rtdose_implicit_vr", "course2's RTDOSE in implicit VR little endian", implicit(P["rd2"]), SAME),
    Variant("rtplan_implicit_vr", "course1's RTPLAN in implicit VR little endian", implicit(P["rp1"]), SAME),
    Variant("rtplan_no_prescription", "plans without DoseReferenceSequence (Rx from the case file)",
            both(drop(P["rp1"], "DoseReferenceSequence"), drop(P["rp2"], "DoseReferenceSequence")), SAME),
    Variant("rtplan_no_frame", "plans without FrameOfReferenceUID (optional in RT Plan)",
            both(drop(P["rp1"], "FrameOfReferenceUID"), drop(P["rp2"], "FrameOfReferenceUID")), SAME),
    Variant("rtdose_no_meta_comment", "doses without rert's ImageComments line (any vendor)",
            both(drop(P["rd1"], "ImageComments"), drop(P["rd2"], "ImageComments")), SAME),
    Variant("rtdose_not_dicom", "a text file named as the RTDOSE",
            lambda v: v.write_text(P["rd2"], "not a DICOM file\n"), refuse("RD_course2.dcm")),
]
