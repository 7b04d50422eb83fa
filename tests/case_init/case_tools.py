#!/usr/bin/python3
"""Case-file helpers for tests/test_case_init.c (independent of rert: plain JSON).

    case_tools.py compare HAND.json DRAFT.json
        Exit 0 when the drafted case has the hand-written case's courses (ids, order, dates,
        fractions, prescription, modality, RBE model, every DICOM path), patient, reference and
        planned course, registrations (from, to, type, DICOM path), structure map and recurrence
        ROI; otherwise exit 1 listing each difference. Paths are compared after resolving them
        against each case file's directory; a list of doses is compared as a set (the order of
        per-beam files is not a clinical fact).

    case_tools.py fill HAND.json DRAFT.json OUT.json
        Write DRAFT with the clinical facts a human adds after `rert case init` copied from HAND:
        $.clinical, $.protocols, $.recovery, and per course technique, elective_nodes, systemic.
        Nothing else is touched (the draft's DICOM, dates and mapping stay as drafted).

    case_tools.py todo DRAFT.json
        Print one line per TODO of $.x_case_init.todo: "<blocking 0|1> <kind> <path>".
"""
import json
import os
import sys

COURSE_KEYS = ["id", "start_date", "end_date", "fractions", "prescription_gy", "modality",
               "rbe_model", "fractions_per_day"]
FACT_KEYS = ["technique", "elective_nodes", "systemic"]


def load(p):
    with open(p) as f:
        return json.load(f)


def resolve(case_path, v):
    if v is None:
        return None
    base = os.path.dirname(os.path.abspath(case_path))
    if isinstance(v, list):
        return sorted(os.path.normpath(os.path.join(base, x)) for x in v)
    return os.path.normpath(os.path.join(base, v))


def compare(hp, dp):
    h, d = load(hp), load(dp)
    out = []

    def eq(path, a, b):
        if a != b:
            out.append(f"{path}: hand-written {a!r} != drafted {b!r}")

    eq("$.patient.id", h["patient"].get("id"), d["patient"].get("id"))
    eq("$.reference_course", h.get("reference_course"), d.get("reference_course"))
    eq("$.planned_course", h.get("planned_course"), d.get("planned_course"))
    eq("$.recurrence_roi", h.get("recurrence_roi"), d.get("recurrence_roi"))
    eq("$.structure_map", h.get("structure_map"), d.get("structure_map"))
    hc, dc = h["courses"], d["courses"]
    eq("$.courses (count)", len(hc), len(dc))
    for i, (a, b) in enumerate(zip(hc, dc)):
        for k in COURSE_KEYS:
            eq(f"$.courses[{i}].{k}", a.get(k), b.get(k))
        ad, bd = a.get("dicom", {}), b.get("dicom", {})
        for k in sorted(set(ad) | set(bd)):
            if k == "ct_series_uid":
                eq(f"$.courses[{i}].dicom.{k}", ad.get(k), bd.get(k))
            else:
                eq(f"$.courses[{i}].dicom.{k}", resolve(hp, ad.get(k)), resolve(dp, bd.get(k)))
    hr, dr = h.get("registrations", []), d.get("registrations", [])
    eq("$.registrations (count)", len(hr), len(dr))
    for i, (a, b) in enumerate(zip(hr, dr)):
        for k in ["from", "to", "type"]:
            eq(f"$.registrations[{i}].{k}", a.get(k), b.get(k))
        eq(f"$.registrations[{i}].dicom", resolve(hp, a.get("dicom")), resolve(dp, b.get("dicom")))
    for line in out:
        print(line)
    return 1 if out else 0


def fill(hp, dp, op):
    h, d = load(hp), load(dp)
    for k in ["clinical", "protocols", "recovery"]:
        if k in h:
            d[k] = h[k]
    for a, b in zip(h["courses"], d["courses"]):
        for k in FACT_KEYS:
            if k in a:
                b[k] = a[k]
    with open(op, "w") as f:
        json.dump(d, f, indent=1)
    return 0


def todo(dp):
    d = load(dp)
    for t in d.get("x_case_init", {}).get("todo", []):
        print(f"{1 if t.get('blocking') else 0} {t.get('kind')} {t.get('path')}")
    return 0


def main():
    a = sys.argv[1:]
    if a[:1] == ["compare"] and len(a) == 3:
        sys.exit(compare(a[1], a[2]))
    if a[:1] == ["fill"] and len(a) == 4:
        sys.exit(fill(a[1], a[2], a[3]))
    if a[:1] == ["todo"] and len(a) == 2:
        sys.exit(todo(a[1]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
