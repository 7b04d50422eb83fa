#!/usr/bin/python3
"""safety_run.py — run the variants of tests/malformed/safety_<topic>.py through the rert
binary (see safety_lib.py for what each variant asserts).

usage: safety_run.py RERT_BIN MODULE [MODULE ...] [--only NAME] [--keep]

The small phantom is written once (rert phantom, seed 1) into a temporary directory; every
variant gets its own copy. Exit 0 when every variant met its expectations; otherwise each failure
is printed with the command, exit status and message, and the exit status is 1.
"""
import importlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safety_lib import Ctx, tree_digest  # noqa: E402


def prlimit_works(rert):
    """ASan builds reserve terabytes of address space: there a virtual-memory limit is skipped."""
    if not shutil.which("prlimit"):
        return False
    r = subprocess.run(["prlimit", "--as=%d" % (512 << 20), rert, "--version"],
                       capture_output=True, timeout=60)
    return r.returncode == 0


def run_variant(rert, base, v, tmp, use_limit):
    root = Path(tempfile.mkdtemp(prefix=v.name + "-", dir=tmp))
    ctx = Ctx(root, base)
    v.mutate(ctx)
    before = tree_digest(root)
    subst = dict(case=str(ctx.case), out=str(ctx.out), root=str(root), case_dir=str(ctx.case_dir))
    argv = [a.format(**subst) for a in v.cmd]
    cmd = [rert] + argv
    if v.mem_mb and use_limit:
        cmd = ["prlimit", "--as=%d" % (v.mem_mb << 20)] + cmd
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "2")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=root, env=env)
    except subprocess.TimeoutExpired:
        return ["timed out: " + " ".join(map(shlex.quote, cmd))]
    problems = []
    if proc.returncode != v.exit:
        problems.append("exit %d, expected %d" % (proc.returncode, v.exit))
    msg = proc.stderr.strip()
    if v.exit == 2:
        # one error line; anything else on stderr is rert's own notes ("rert: note: ...")
        lines = [ln for ln in msg.split("\n") if ln.strip()]
        errs = [ln for ln in lines if ln.startswith("rert: ") and not ln.startswith("rert: note:")]
        other = [ln for ln in lines if not ln.startswith("rert: ")]
        if len(errs) != 1 or other:
            problems.append("expected exactly one 'rert: ' error line on stderr, got %d (+%d other "
                            "lines)" % (len(errs), len(other)))
    for s in v.expect:
        s = s.format(**subst)
        if s not in msg:
            problems.append("message lacks %r" % s)
    if v.unchanged:
        after = tree_digest(root)
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(k for k in before if k in after and before[k] != after[k])
        if added:
            problems.append("left behind: %s" % ", ".join(added[:5]))
        if removed:
            problems.append("removed: %s" % ", ".join(removed[:5]))
        if changed:
            problems.append("modified: %s" % ", ".join(changed[:5]))
    if v.check:
        try:
            v.check(ctx, proc)
        except AssertionError as e:
            problems.append("check: %s" % e)
    if problems:
        problems.append("command: " + " ".join(map(shlex.quote, cmd)))
        problems.append("stderr: " + msg[-800:])
    return problems


def main():
    args = sys.argv[1:]
    keep = "--keep" in args
    only = None
    if "--only" in args:
        only = args[args.index("--only") + 1]
        args = [a for a in args if a not in ("--only", only)]
    args = [a for a in args if a != "--keep"]
    rert, modules = os.path.abspath(args[0]), args[1:]
    tmp = tempfile.mkdtemp(prefix="rert-safety-")
    base = Path(tmp) / "base"
    r = subprocess.run([rert, "phantom", "--out", str(base)], capture_output=True, text=True)
    if r.returncode:
        print("cannot write the phantom:", r.stderr)
        return 1
    use_limit = prlimit_works(rert)
    failures, count = 0, 0
    for m in modules:
        mod = importlib.import_module(m)
        for v in mod.VARIANTS:
            if only and v.name != only:
                continue
            count += 1
            problems = run_variant(rert, base, v, tmp, use_limit)
            status = "ok" if not problems else "FAIL"
            print("%-5s %s/%s — %s" % (status, m, v.name, v.doc), flush=True)
            for p in problems:
                print("        " + p)
            failures += bool(problems)
    print("%d variants, %d failed%s" % (count, failures, "" if use_limit else
                                          " (no address-space limit: sanitizer build)"))
    if keep:
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures or not count else 0


if __name__ == "__main__":
    sys.exit(main())
