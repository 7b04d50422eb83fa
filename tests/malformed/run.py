#!/usr/bin/python3
"""run.py — run the malformed-input corpus through the rert binary (tests/malformed/README.md).

  /usr/bin/python3 tests/malformed/run.py --rert build/rert [--module case] [--only REGEX]
                                          [--work DIR] [--keep] [--list]

Builds the small phantom once (cached in --work), then for every variant of every
variants_<module>.py: a directory of hard links to the phantom, the mutation, the commands, and the
assertions (exit status, message naming file and tag/path, no output left, inputs unchanged).
Exit 0 when every variant behaved, 1 otherwise (each failure printed with its commands' stderr).
"""
import argparse
import glob
import hashlib
import importlib
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import malformed as M  # noqa: E402


def sha_tree(root, skip):
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def build_base(rert, work):
    # one phantom per rert binary: a rebuilt rert (or phantom generator) makes a new one
    with open(rert, "rb") as f:
        tag = hashlib.sha256(f.read()).hexdigest()[:16]
    base = os.path.join(work, "phantom-" + tag)
    if os.path.isfile(os.path.join(base, "case.json")):
        return base
    for old in glob.glob(os.path.join(work, "phantom-*")):
        shutil.rmtree(old, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="phantom.", dir=work)
    os.rmdir(tmp)
    env = M.test_env()
    env["RERT_DOSE_ENCODING"] = "raw32"  # uncompressed doses: pydicom edits them directly
    import subprocess
    p = subprocess.run([rert, "phantom", "--out", tmp, "--size", "small"], capture_output=True,
                       text=True, env=env)
    if p.returncode:
        raise SystemExit("rert phantom failed: %s" % p.stderr)
    try:
        os.rename(tmp, base)
    except OSError:  # another runner made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return base


def link_tree(src, dst):
    for d, dirs, files in os.walk(src):
        rel = os.path.relpath(d, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            os.link(os.path.join(d, f), os.path.join(dst, rel, f))


def load_variants(modules):
    out = []
    names = set()
    for path in sorted(glob.glob(os.path.join(HERE, "variants_*.py"))):
        mod = os.path.basename(path)[len("variants_"):-3]
        if modules and mod not in modules:
            continue
        m = importlib.import_module("variants_" + mod)
        for v in m.VARIANTS:
            full = "%s/%s" % (mod, v.name)
            if full in names:
                raise SystemExit("duplicate variant name %s" % full)
            names.add(full)
            out.append((full, v))
    return out


def check_refusal(v, exp, results):
    for r in results:
        assert r.rc == exp.exit_code, "exit %d, expected %d: %r" % (r.rc, exp.exit_code, r)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("rert: "), \
            "expected one 'rert: ' line on stderr, got %d: %r" % (len(lines), r.stderr[:2000])
        for s in exp.substrings:
            assert s in lines[0], "message lacks %r: %s" % (s, lines[0])
        if r.out_dir:
            assert not os.path.exists(r.out_dir), "output %s left behind" % r.out_dir
            parent = os.path.dirname(r.out_dir)
            stray = [x for x in os.listdir(parent) if x.startswith(os.path.basename(r.out_dir) + ".")]
            assert not stray, "temporary output left behind: %s" % stray


def run_variant(name, var, base, work, rert, base_results, keep):
    vdir = os.path.join(work, "v", name.replace("/", "__"))
    shutil.rmtree(vdir, ignore_errors=True)
    link_tree(base, vdir)
    v = M.VariantDir(vdir, rert, base_results)
    var.mutate(v)
    outs = set(os.path.join(vdir, "out%d" % i) for i in range(len(var.commands)))
    before = sha_tree(vdir, outs)
    results = []
    for i, cmd in enumerate(var.commands):
        results.append(v.run(cmd, out_name="out%d" % i))
    after = sha_tree(vdir, outs)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, "inputs changed or created: %s" % changed[:10]
    exp = var.expect
    if isinstance(exp, M.Refuse):
        check_refusal(v, exp, results)
    else:
        for r in results:
            assert r.rc in exp.exit_codes, "exit %d: %r" % (r.rc, r)
        if exp.check:
            exp.check(v, results)
    if not keep:
        shutil.rmtree(vdir, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rert", required=True)
    ap.add_argument("--work", default=None, help="work directory (phantom cache, variant dirs)")
    ap.add_argument("--module", action="append", default=[], help="variants_<module>.py to run")
    ap.add_argument("--only", default=None, help="regular expression on module/name")
    ap.add_argument("--keep", action="store_true", help="keep the variant directories")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    a = ap.parse_args()
    variants = load_variants(set(a.module))
    if a.only:
        variants = [(n, v) for n, v in variants if re.search(a.only, n)]
    if a.list:
        for n, v in variants:
            kind = "refuse" if isinstance(v.expect, M.Refuse) else "computes"
            print("%-48s %-8s %s" % (n, kind, v.doc))
        print("%d variants" % len(variants))
        return 0
    rert = os.path.abspath(a.rert)
    work = a.work or tempfile.mkdtemp(prefix="rert-malformed.")
    os.makedirs(work, exist_ok=True)
    base = build_base(rert, work)
    # the unmodified phantom's results, for "same as base" checks
    bv = M.VariantDir(base, rert)
    base_results = {}
    r = bv.run(M.EVALUATE)
    if r.rc not in (0, 1):
        print("the unmodified phantom does not evaluate: %r" % r)
        return 1
    base_results[tuple(r.argv[:1] + r.argv[2:])] = r
    acc = base + "-accumulate"
    if not os.path.isfile(os.path.join(acc, "EQD2_course1.dcm")):
        shutil.rmtree(acc, ignore_errors=True)
        r = bv.run(["accumulate", "{case}", "--out", acc])
        if r.rc:
            print("the unmodified phantom does not accumulate: %r" % r)
            return 1
    base_results["accumulate_dir"] = acc
    failures = 0
    t0 = time.time()
    for n, var in variants:
        t = time.time()
        try:
            run_variant(n, var, base, work, rert, base_results, a.keep)
            print("ok    %-48s %5.1fs" % (n, time.time() - t))
        except AssertionError as e:
            failures += 1
            print("FAIL  %-48s %s" % (n, e))
        except Exception:  # a broken mutation is a failure too
            failures += 1
            print("ERROR %-48s\n%s" % (n, traceback.format_exc()))
        sys.stdout.flush()
    print("%d variant(s), %d failure(s), %.0f s" % (len(variants), failures, time.time() - t0))
    if not a.work and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
