#!/usr/bin/python3
"""Compare two rert consult output directories apart from provenance (tests/test_case_init.c).

    compare_consults.py A B

Equal means:
  - report.json: every section except "provenance" (which names the case file and the digests of
    the inputs) identical, and the summary identical;
  - report.html: identical once the provenance section is removed and, in the viewer's embedded
    data, the copy of the input case file (`case_file`, kept for the what-if export) is left out:
    it is an input, like provenance (the drafted case has its x_source and TODO list);
  - report.pdf: the text (pdftotext, when installed) identical up to the "Provenance" heading;
  - every DICOM output: the same files, every data element equal (pydicom, recursively) except
    the instance and series UIDs, which rert derives from the input digests (the case file is an
    input) so that a re-run on the same inputs writes the same object, and the file meta group
    length, which follows the length of those UIDs.
Exit 0 when equal, 1 with the differences listed otherwise.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pydicom

UID_KEYS = {"SOPInstanceUID", "SeriesInstanceUID", "MediaStorageSOPInstanceUID",
            "FileMetaInformationGroupLength"}
VIEWER = re.compile(r'(<script type="application/json" id="rert-viewer-data">)(.*?)(</script>)', re.S)


def report_json(d):
    with open(os.path.join(d, "report.json")) as f:
        r = json.load(f)
    r["sections"] = [s for s in r.get("sections", []) if s.get("id") != "provenance"]
    return r


def diff_json(a, b, path="$", out=None):
    if out is None:
        out = []
    if type(a) != type(b):
        out.append(f"{path}: {a!r:.80} != {b!r:.80}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'B' if k not in a else 'A'}")
            else:
                diff_json(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r:.80} != {b!r:.80}")
    return out


def strip_provenance_html(s):
    s = re.sub(r'<section[^>]*id="provenance".*?</section>', "", s, flags=re.S)

    def viewer(m):
        d = json.loads(m.group(2))
        d.pop("case_file", None)
        return m.group(1) + json.dumps(d, sort_keys=True) + m.group(3)

    return VIEWER.sub(viewer, s)


def diff_dataset(a, b, path, out):
    keys = {e.keyword or str(e.tag) for e in a} | {e.keyword or str(e.tag) for e in b}
    for k in sorted(keys):
        if k in UID_KEYS:
            continue
        ea, eb = a.get(k), b.get(k)
        if ea is None or eb is None:
            out.append(f"{path}.{k}: only in {'B' if ea is None else 'A'}")
            continue
        if isinstance(ea, pydicom.sequence.Sequence):
            if len(ea) != len(eb):
                out.append(f"{path}.{k}: {len(ea)} items != {len(eb)}")
            for i, (x, y) in enumerate(zip(ea, eb)):
                diff_dataset(x, y, f"{path}.{k}[{i}]", out)
        elif ea != eb:
            out.append(f"{path}.{k}: {str(ea)[:80]} != {str(eb)[:80]}")


def main():
    a, b = sys.argv[1], sys.argv[2]
    out = []
    fa = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a, "*")))
    fb = sorted(os.path.basename(p) for p in glob.glob(os.path.join(b, "*")))
    if fa != fb:
        out.append(f"files differ: {fa} != {fb}")
    out += diff_json(report_json(a), report_json(b))
    ha = strip_provenance_html(open(os.path.join(a, "report.html"), encoding="utf-8").read())
    hb = strip_provenance_html(open(os.path.join(b, "report.html"), encoding="utf-8").read())
    if ha != hb:
        i = next(k for k in range(min(len(ha), len(hb))) if ha[k] != hb[k]) if ha[:len(hb)] != hb[:len(ha)] else min(len(ha), len(hb))
        out.append(f"report.html differs at character {i}: ...{ha[max(0, i - 60):i + 60]!r} vs ...{hb[max(0, i - 60):i + 60]!r}")
    if shutil.which("pdftotext"):
        ta = subprocess.run(["pdftotext", os.path.join(a, "report.pdf"), "-"], capture_output=True, text=True).stdout
        tb = subprocess.run(["pdftotext", os.path.join(b, "report.pdf"), "-"], capture_output=True, text=True).stdout
        ta, tb = ta.split("Provenance")[0], tb.split("Provenance")[0]
        if ta != tb:
            out.append("report.pdf text differs before the provenance section")
    for f in fa:
        if not f.endswith(".dcm") or f not in fb:
            continue
        da = pydicom.dcmread(os.path.join(a, f))
        db = pydicom.dcmread(os.path.join(b, f))
        diff_dataset(da.file_meta, db.file_meta, f + ":meta", out)
        diff_dataset(da, db, f, out)
    for line in out[:40]:
        print(line)
    if len(out) > 40:
        print(f"... {len(out) - 40} more")
    sys.exit(1 if out else 0)


if __name__ == "__main__":
    main()
