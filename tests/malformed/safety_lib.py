"""safety_lib.py — corrupted copies of the phantom run through the `rert` binary (issue 12 items
5-7: vector fields, sizes before allocation, outputs and messages).

A Variant is one corruption: `mutate(ctx)` damages a fresh copy of the small phantom (case file,
DICOM, MetaImage) or prepares an output path, `cmd` is the rert command line (fields {case},
{out}, {root}, {case_dir} are filled in), and the expectations are checked by safety_run.py:

  - the exit status (2 for every refusal),
  - every string of `expect` appears in the one-line message (the file and the DICOM tag or JSON
    path at fault),
  - nothing changed under the variant's root directory: inputs byte-identical (SHA-256 before
    and after) and no output directory, output file or temporary file left behind,
  - with `mem_mb`, the command runs under `prlimit --as` so a reader that allocates what a header
    claims (rather than what the file holds) fails the variant.

Positive variants (exit 0) give `check(ctx, proc)` for what they must have produced instead of
the unchanged tree. Expected messages name what an independent reader (pydicom, the MetaImage
text, the case file) shows is wrong; they are never derived from rert's own output.

This is the interim form until the shared driver of tests/malformed (gate12) is on main; the
variant modules (safety_sizes.py, safety_fields.py, safety_outputs.py) only build on
Variant and Ctx.
"""
import hashlib
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pydicom


class Variant:
    def __init__(self, name, doc, mutate, cmd, exit=2, expect=(), mem_mb=None, check=None,
                 unchanged=True):
        self.name, self.doc, self.mutate, self.cmd = name, doc, mutate, cmd
        self.exit, self.expect, self.mem_mb, self.check = exit, list(expect), mem_mb, check
        self.unchanged = unchanged


class Ctx:
    """One variant's sandbox: root/case (a copy of the phantom) and root/out (absent)."""

    def __init__(self, root, base):
        self.root = Path(root)
        self.case_dir = self.root / "case"
        shutil.copytree(base, self.case_dir)
        self.case = self.case_dir / "case.json"
        self.out = self.root / "out"

    # ---- case file ----
    def load_case(self):
        return json.loads(self.case.read_text())

    def save_case(self, c):
        self.case.write_text(json.dumps(c, indent=1))

    def edit_case(self, fn):
        c = self.load_case()
        fn(c)
        self.save_case(c)

    def use_dicom_registration(self):
        """Make the case map course 1 through the DICOM deformable REG (drop the MetaImage)."""
        self.edit_case(lambda c: c["registrations"][0].pop("mha"))

    # ---- files ----
    def p(self, rel):
        return self.case_dir / rel

    def dcm(self, rel):
        return pydicom.dcmread(str(self.p(rel)))

    def save_dcm(self, ds, rel):
        ds.save_as(str(self.p(rel)))

    # ---- MetaImage ----
    def mha_split(self, rel):
        b = self.p(rel).read_bytes()
        key = b"ElementDataFile = LOCAL\n"
        i = b.index(key) + len(key)
        return b[:i].decode(), b[i:]

    def mha_write(self, rel, header, data):
        self.p(rel).write_bytes(header.encode() + data)

    def mha_set(self, rel, key, value):
        h, d = self.mha_split(rel)
        lines = [(f"{key} = {value}" if ln.split(" = ")[0] == key else ln) for ln in h.split("\n")]
        self.mha_write(rel, "\n".join(lines), d)

    def mha_field(self, rel):
        """(dims, (nz, ny, nx, 3) float32 array) of a MET_FLOAT LOCAL vector field."""
        h, d = self.mha_split(rel)
        dims = [int(x) for x in h.split("DimSize = ")[1].split("\n")[0].split()]
        return dims, np.frombuffer(d, dtype="<f4").reshape(dims[2], dims[1], dims[0], 3).copy()


def tree_digest(root):
    """{relative path: sha256} of every file and the set of directories under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out["dir:" + rel] = ""
        for f in filenames:
            p = os.path.join(dirpath, f)
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[os.path.join(rel, f)] = h.hexdigest()
    return out


def vector_grid(ds):
    """(item, dims, float32 array (nz, ny, nx, 3)) of a Deformable Spatial Registration."""
    for it in ds.DeformableRegistrationSequence:
        if "DeformableRegistrationGridSequence" in it:
            g = it.DeformableRegistrationGridSequence[0]
            dims = [int(x) for x in g.GridDimensions]
            v = np.frombuffer(g.VectorGridData, dtype="<f4").reshape(dims[2], dims[1], dims[0], 3).copy()
            return g, dims, v
    raise AssertionError("no DeformableRegistrationGridSequence")


def nifti_from_field(dims, field, spacing, origin_lps):
    """A NIfTI-1 5-D vector field (nx, ny, nz, 1, 3) float32 written by hand from the NIfTI-1
    header layout (nifti1.h), components LPS as ITK writes them; sform = RAS of the LPS grid."""
    nx, ny, nz = dims
    hdr = struct.pack("<i10s18sihcb", 348, b"", b"", 0, 0, b"r", 0)
    hdr += struct.pack("<8h", 5, nx, ny, nz, 1, 3, 1, 1)
    hdr += struct.pack("<3fhhhh", 0, 0, 0, 1007, 16, 32, 0)
    hdr += struct.pack("<8f", 1, spacing[0], spacing[1], spacing[2], 1, 1, 1, 1)
    hdr += struct.pack("<3fhbb4f2i", 352, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0)
    hdr += struct.pack("<80s24s2h", b"safety12 test field", b"", 0, 1)
    hdr += struct.pack("<6f", 0, 0, 0, 0, 0, 0)
    ox, oy, oz = origin_lps
    hdr += struct.pack("<12f", -spacing[0], 0, 0, -ox, 0, -spacing[1], 0, -oy, 0, 0, spacing[2], oz)
    hdr += struct.pack("<16s4s", b"", b"n+1\0")
    assert len(hdr) == 348
    comps = np.ascontiguousarray(np.moveaxis(field, 3, 0)).astype("<f4")  # (3, nz, ny, nx)
    return hdr + b"\0\0\0\0" + comps.tobytes()
