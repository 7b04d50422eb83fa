"""malformed.py — framework of the malformed-input corpus (tests/malformed/README.md).

A *variant* is a corrupted, mismatched or vendor-shaped copy of the small phantom
(`rert phantom --size small`), the `rert` commands to run on it, and what must happen:

  * ``refuse(*substrings)``: every command exits 2 with ONE stderr line that contains every
    substring (the file at fault and the DICOM tag or JSON path), leaves no output directory
    (nor a temporary one beside it) and changes no input (SHA-256 of every file before/after);
  * ``computes(check)``: every command exits 0 or 1 (a verdict), changes no input, and
    ``check(v, results)`` raises AssertionError when a computed value is wrong.

Variants live in ``variants_<topic>.py`` modules beside this file; each module defines
``VARIANTS`` (a list of ``Variant``). run.py discovers the modules, builds the phantom once, and
runs every variant in its own directory (hard links to the phantom: a mutation always writes a
new file, so the shared phantom is never modified).

Only /usr/bin/python3 (Debian: pydicom, numpy) is used.
"""
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

# ---------------------------------------------------------------------------------------------
# Commands. Placeholders: {case} the variant's case file, {out} a fresh output path inside the
# variant directory (must not exist afterwards when the command refuses), {dir} the variant dir.
EVALUATE = ["evaluate", "{case}", "--protocol", "care_s0", "--json"]
ACCUMULATE = ["accumulate", "{case}", "--out", "{out}", "--json"]
CONSULT = ["consult", "{case}", "--protocol", "care_s0", "--out", "{out}"]
CASE_CHECK = ["case", "check", "{case}", "--json"]
# every interlock must trip in each command a user runs
REFUSE_COMMANDS = [EVALUATE, ACCUMULATE, CONSULT]

PHANTOM = {  # the phantom's layout (docs/phantom.md)
    "case": "case.json",
    "rd1": "course1/RD_course1.dcm", "rd2": "course2/RD_course2.dcm",
    "rp1": "course1/RP_course1.dcm", "rp2": "course2/RP_course2.dcm",
    "rs1": "course1/RS_course1.dcm", "rs2": "course2/RS_course2.dcm",
    "ct1": "course1/CT", "ct2": "course2/CT",
    "reg": "registration/REG_course1_to_course2.dcm",
    "mha": "registration/field_course1_to_course2.mha",
}


class Refuse:
    def __init__(self, substrings, exit_code=2, commands=None):
        self.substrings = list(substrings)
        self.exit_code = exit_code
        self.commands = commands


class Computes:
    def __init__(self, check=None, commands=None, exit_codes=(0, 1)):
        self.check = check
        self.commands = commands
        self.exit_codes = exit_codes


def refuse(*substrings, commands=None):
    """Expect exit 2, one stderr line containing every substring, no output, inputs unchanged."""
    return Refuse(substrings, commands=commands)


def computes(check=None, commands=None, exit_codes=(0, 1)):
    """Expect a result (exit 0 PASS or 1 FAIL by default); check(v, results) verifies values."""
    return Computes(check, commands=commands, exit_codes=exit_codes)


class Variant:
    def __init__(self, name, doc, mutate, expect, commands=None):
        self.name = name
        self.doc = doc
        self.mutate = mutate
        self.expect = expect
        self.commands = commands or expect.commands or (
            REFUSE_COMMANDS if isinstance(expect, Refuse) else [EVALUATE])


class Result:
    def __init__(self, argv, rc, out, err, out_dir):
        self.argv, self.rc, self.stdout, self.stderr, self.out_dir = argv, rc, out, err, out_dir
        self.json = None
        try:
            self.json = json.loads(out)
        except ValueError:
            pass

    def __repr__(self):
        return "rc=%d argv=%s\nstderr: %s" % (self.rc, " ".join(self.argv), self.stderr.strip())


# ---------------------------------------------------------------------------------------------
class VariantDir:
    """A variant's copy of the phantom and the helpers mutations use."""

    def __init__(self, root, rert, base_results=None):
        self.root = root
        self.rert = rert
        self._case = None
        self.base_results = base_results if base_results is not None else {}
        self.expect_parts = {}  # course id -> [(dose array Gy, fractions)] for closed-form checks

    # paths and files
    def path(self, rel):
        return os.path.join(self.root, rel)

    def _fresh(self, rel):
        """Unlink before writing: the file may be a hard link to the shared phantom."""
        p = self.path(rel)
        if os.path.lexists(p):
            os.unlink(p)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write_text(self, rel, text):
        with open(self._fresh(rel), "w") as f:
            f.write(text)

    def write_bytes(self, rel, data):
        with open(self._fresh(rel), "wb") as f:
            f.write(data)

    def read_bytes(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()

    def copy(self, src, dst):
        shutil.copyfile(self.path(src), self._fresh(dst))

    def remove(self, rel):
        p = self.path(rel)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)

    def listdir(self, rel):
        return sorted(os.listdir(self.path(rel)))

    # the case file
    @property
    def case(self):
        if self._case is None:
            with open(self.path("case.json")) as f:
                self._case = json.load(f)
        return self._case

    def save_case(self):
        self.write_text("case.json", json.dumps(self._case, indent=1))

    def course(self, i):
        return self.case["courses"][i]

    # DICOM
    def read(self, rel):
        return pydicom.dcmread(self.path(rel), force=True)

    def write(self, rel, ds, preamble=True, implicit=False):
        """Write ds (Part 10 file by default; preamble=False: the bare dataset, implicit VR
        little endian, no 128-byte preamble, no DICM prefix, no file meta — as some exports)."""
        p = self._fresh(rel)
        if not preamble:
            ds = copy.deepcopy(ds)
            ds.preamble = None
            ds.file_meta = pydicom.dataset.FileMetaDataset()
            ds.is_implicit_VR, ds.is_little_endian = True, True
            pydicom.dcmwrite(p, ds, write_like_original=True)
            return
        if implicit:
            ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
            ds.is_implicit_VR, ds.is_little_endian = True, True
        pydicom.dcmwrite(p, ds, write_like_original=False)

    def set(self, rel, **attrs):
        """Set (value) or delete (None) top-level attributes by keyword."""
        ds = self.read(rel)
        for k, v in attrs.items():
            if v is None:
                if k in ds:
                    delattr(ds, k)
            else:
                setattr(ds, k, v)
        self.write(rel, ds)
        return ds

    def edit(self, rel, fn, **write_kw):
        ds = self.read(rel)
        fn(ds)
        self.write(rel, ds, **write_kw)
        return ds

    # doses
    @staticmethod
    def dose_of(ds):
        arr = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        return arr

    def dose(self, rel):
        return self.dose_of(self.read(rel))

    @staticmethod
    def put_dose(ds, arr, signed=False):
        """Encode arr (frames, rows, cols; Gy) as 32-bit raw pixel data with DoseGridScaling."""
        arr = np.asarray(arr, dtype=np.float64)
        mx = float(np.max(np.abs(arr))) if arr.size else 0.0
        top = 2 ** 31 - 1 if signed else 2 ** 32 - 1
        scale = mx / top if mx > 0 else 1e-6
        q = np.rint(arr / scale)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 32, 32, 31
        ds.PixelRepresentation = 1 if signed else 0
        ds.PixelData = (q.astype(np.int32) if signed else q.astype(np.uint32)).tobytes()
        ds.DoseGridScaling = "%.10g" % scale
        ds.NumberOfFrames = arr.shape[0]
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.is_implicit_VR, ds.is_little_endian = False, True
        return ds

    def set_dose(self, rel, arr, signed=False, **attrs):
        ds = self.read(rel)
        self.put_dose(ds, arr, signed=signed)
        for k, v in attrs.items():
            setattr(ds, k, v)
        self.write(rel, ds)
        return ds

    def new_uid(self, key):
        """A deterministic UID for a new object of this variant."""
        h = int(hashlib.sha256((self.root + "/" + key).encode()).hexdigest()[:30], 16)
        return "2.25.%d" % h

    # commands
    def run(self, argv, out_name="out"):
        out = self.path(out_name)
        args = [a.replace("{case}", self.path("case.json")).replace("{out}", out)
                .replace("{dir}", self.root) for a in argv]
        p = subprocess.run([self.rert] + args, capture_output=True, text=True,
                           env=test_env(), timeout=600)
        return Result(args, p.returncode, p.stdout, p.stderr, out if "{out}" in argv else None)


def test_env():
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("RERT_TODAY", None)
    return env


# ---------------------------------------------------------------------------------------------
# Closed-form checks (domain-reference §1.1)

def eqd2(D, n, ab):
    """EQD2 of physical dose D (array) in n fractions at α/β ab (array)."""
    D = np.asarray(D, dtype=np.float64)
    return D * (D / n + ab) / (2.0 + ab)


def read_map(path):
    ds = pydicom.dcmread(path)
    return VariantDir.dose_of(ds)


def check_course_eqd2(course_id, tol_gy=2e-3):
    """check(): `rert accumulate --json` wrote EQD2_<course>.dcm equal, voxel by voxel, to the
    closed form Σ_parts D_p (D_p/n_p + α/β)/(2 + α/β) of the parts the mutation recorded in
    v.expect_parts[course_id] (on the reference grid: the course must be the reference course),
    with α/β from the alpha_beta.dcm map of the same run."""
    def check(v, results):
        acc = [r for r in results if r.argv and r.argv[0] == "accumulate"]
        assert acc, "the variant needs an accumulate command"
        r = acc[0]
        assert r.rc == 0, "accumulate failed: %r" % r
        ab = read_map(os.path.join(r.out_dir, "alpha_beta.dcm"))
        got = read_map(os.path.join(r.out_dir, "EQD2_%s.dcm" % course_id))
        want = np.zeros_like(got)
        for D, n in v.expect_parts[course_id]:
            assert D.shape == got.shape, "grid %s vs %s" % (D.shape, got.shape)
            want += eqd2(D, n, ab)
        err = float(np.max(np.abs(got - want)))
        assert err < tol_gy + 1e-6 * float(np.max(want)), \
            "EQD2_%s differs from the closed form by up to %.4g Gy" % (course_id, err)
        # the test can fail: one fraction count for the summed dose gives another map
        if len(v.expect_parts[course_id]) > 1:
            tot = sum(D for D, _ in v.expect_parts[course_id])
            nsum = sum(n for _, n in v.expect_parts[course_id])
            naive = eqd2(tot, nsum, ab)
            assert float(np.max(np.abs(naive - want))) > 10 * tol_gy, "closed form not discriminating"
    return check


def check_same_as_base(cmd_index=0, rel_tol=1e-6):
    """check(): the command's --json constraint values equal those of the unmodified phantom."""
    def check(v, results):
        r = results[cmd_index]
        base = v.base_results.get(tuple(r.argv[:1] + r.argv[2:]))
        assert base is not None, "no base result for %s" % r.argv
        assert r.json and base.json, "no JSON output: %r" % r
        a = [(c["id"], c["structure"], c.get("value")) for e in r.json.get("evaluations", [])
             for c in e["constraints"]]
        b = [(c["id"], c["structure"], c.get("value")) for e in base.json.get("evaluations", [])
             for c in e["constraints"]]
        assert a and len(a) == len(b), "rows differ: %d vs %d" % (len(a), len(b))
        for x, y in zip(sorted(a, key=str), sorted(b, key=str)):
            assert x[:2] == y[:2], "%s vs %s" % (x, y)
            if x[2] is None or y[2] is None:
                assert x[2] == y[2], "%s vs %s" % (x, y)
            else:
                assert abs(x[2] - y[2]) <= rel_tol * max(1.0, abs(y[2])), "%s vs %s" % (x, y)
    return check


def check_findings(*patterns, severity=None):
    """check(): the --json "checks" object of the first command has a finding whose message
    matches every pattern (regular expressions), of the given severity when given."""
    def check(v, results):
        r = results[0]
        assert r.json is not None, "no JSON: %r" % r
        ch = r.json.get("checks", r.json)
        for f in ch.get("findings", []):
            if severity and f["severity"] != severity:
                continue
            text = " ".join(str(f.get(k, "")) for k in ("check", "where", "file", "message",
                                                       "interlock", "override_reason"))
            if all(re.search(p, text) for p in patterns):
                return
        raise AssertionError("no %sfinding matching %s in %s" % (
            severity + " " if severity else "", patterns, json.dumps(ch.get("findings"))[:2000]))
    return check


def all_of(*checks):
    def check(v, results):
        for c in checks:
            c(v, results)
    return check
