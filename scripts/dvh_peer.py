#!/usr/bin/python3
"""dvh_peer.py — compare rert's DVH metrics with dicompyler-core and plastimatch on one course of
the synthetic patient (rert phantom), and optionally time all three (bench/dvh_bench.sh).

Usage: dvh_peer.py --rert BUILD/rert --course DIR (holds RS_*.dcm, RD_*.dcm, CT/) --work DIR
                   [--markdown] [--skip-dicompyler] [--skip-plastimatch]

Peers (Debian 12): python3-dicompylercore (dvhcalc.get_dvh, default settings: dose-grid
rasterisation, no interpolation) and plastimatch (convert RTSTRUCT onto the CT grid, convert
RTDOSE, `plastimatch dvh` with 0.01 Gy bins). Metrics: Volume, Dmean, Dmax, D0.03cc, D95%, D5%.
Must run with the system python (/usr/bin/python3) where the Debian packages live.
"""
import argparse
import csv
import glob
import json
import os
import re
import subprocess
import sys

METRICS = ["Volume", "Dmean", "Dmax", "D0.03cc", "D95%", "D5%"]


def rert_metrics(rert, rs, rd):
    out = subprocess.run([rert, "dvh", "--dose", rd, "--struct", rs, "--json", "--metric",
                          ",".join(METRICS)], check=True, capture_output=True, text=True).stdout
    res = {}
    for r in json.loads(out)["rois"]:
        if "error" in r:
            continue
        m = {k: v.get("value") for k, v in r["metrics"].items()}
        res[r["name"]] = {"Volume": m.get("Volume"), "Dmean": m.get("Dmean"),
                          "Dmax": m.get("Dmax"), "D0.03cc": m.get("D0.03cc"),
                          "D95%": m.get("D95%"), "D5%": m.get("D5%"),
                          "outside_cc": r["outside_cc"]}
    return res


def dicompyler_metrics(rs, rd):
    import pydicom
    from dicompylercore import dicomparser, dvhcalc
    rtss = pydicom.dcmread(rs)
    rtdose = pydicom.dcmread(rd)
    structs = dicomparser.DicomParser(rtss).GetStructures()
    res = {}
    for num, s in structs.items():
        if s.get("type") == "MARKER":
            continue
        try:
            d = dvhcalc.get_dvh(rtss, rtdose, num)
        except Exception as e:  # dicompyler raises on some ROIs; record and go on
            res[s["name"]] = {"error": str(e)}
            continue
        if d.volume <= 0:
            res[s["name"]] = {"error": "empty DVH"}
            continue

        def stat(name):
            try:
                v = d.statistic(name)
                return float(v.value) if hasattr(v, "value") else float(v)
            except Exception:
                return None
        res[s["name"]] = {"Volume": float(d.volume), "Dmean": float(d.mean), "Dmax": float(d.max),
                          "D0.03cc": stat("D0.03cc"), "D95%": stat("D95"), "D5%": stat("D5")}
    return res


def plastimatch_metrics(rs, rd, ctdir, work):
    os.makedirs(work, exist_ok=True)
    ss, ssl = os.path.join(work, "ss.nrrd"), os.path.join(work, "ss.txt")
    dose, csvp = os.path.join(work, "dose.nrrd"), os.path.join(work, "dvh.csv")
    q = dict(check=True, capture_output=True, text=True)
    subprocess.run(["plastimatch", "convert", "--input", rs, "--referenced-ct", ctdir,
                    "--output-ss-img", ss, "--output-ss-list", ssl], **q)
    subprocess.run(["plastimatch", "convert", "--input", rd, "--output-dose-img", dose], **q)
    log = subprocess.run(["plastimatch", "dvh", "--input-ss-img", ss, "--input-ss-list", ssl,
                          "--input-dose", dose, "--output-csv", csvp, "--normalization", "vox",
                          "--bin-width", "0.01", "--num-bins", "10000"], **q).stdout
    vs = None
    for line in log.splitlines():
        m = re.match(r"^\s*([0-9.eE+-]+)\s+([0-9.eE+-]+)\s+([0-9.eE+-]+)\s*$", line)
        if m:
            vs = [float(x) for x in m.groups()]
    if vs is None:  # fall back to the header of the structure image
        hdr = open(ss, "rb").read(4096).decode("latin-1")
        m = re.search(r"space directions:\s*\(([^)]*)\)\s*\(([^)]*)\)\s*\(([^)]*)\)", hdr)
        vs = [max(abs(float(x)) for x in g.split(",")) for g in m.groups()]
    vv = vs[0] * vs[1] * vs[2] / 1000.0  # cc per voxel
    rows = list(csv.reader(open(csvp)))
    names = rows[0][1:]
    dose = [float(r[0]) for r in rows[1:]]
    w = dose[1] - dose[0]
    res = {}
    for c, name in enumerate(names):
        cum = [float(r[c + 1]) * vv for r in rows[1:]] + [0.0]
        V = cum[0]
        if V <= 0:
            res[name] = {"error": "empty"}
            continue
        mean = sum((cum[i] - cum[i + 1]) * (dose[i] + w / 2) for i in range(len(dose))) / V
        dmax = max((dose[i] for i in range(len(dose)) if cum[i] > 0), default=0.0)

        def d_at(v):
            for i in range(len(dose)):
                if cum[i + 1] < v <= cum[i] or (cum[i] >= v > cum[i + 1]):
                    t = (cum[i] - v) / (cum[i] - cum[i + 1]) if cum[i] > cum[i + 1] else 0
                    return dose[i] + t * w
            return None
        res[name] = {"Volume": V, "Dmean": mean, "Dmax": dmax, "D0.03cc": d_at(0.03),
                     "D95%": d_at(0.95 * V), "D5%": d_at(0.05 * V)}
    return res


def pct(a, b):
    if a is None or b is None:
        return None
    if abs(b) < 1e-9:
        return 0.0 if abs(a) < 1e-9 else None
    return 100.0 * (a - b) / abs(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rert", required=True)
    ap.add_argument("--course", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--skip-dicompyler", action="store_true")
    ap.add_argument("--skip-plastimatch", action="store_true")
    a = ap.parse_args()
    rs = glob.glob(os.path.join(a.course, "RS_*.dcm"))[0]
    rd = glob.glob(os.path.join(a.course, "RD_*.dcm"))[0]
    ct = os.path.join(a.course, "CT")
    r = rert_metrics(a.rert, rs, rd)
    d = {} if a.skip_dicompyler else dicompyler_metrics(rs, rd)
    p = {} if a.skip_plastimatch else plastimatch_metrics(rs, rd, ct, a.work)
    print("| ROI | metric | rert | dicompyler-core | Δ% | plastimatch | Δ% |")
    print("|---|---|---|---|---|---|---|")
    f = lambda x: "–" if x is None else ("%.3f" % x)
    g = lambda x: "–" if x is None else ("%+.1f" % x)
    for name, rm in r.items():
        for m in METRICS:
            dv = d.get(name, {}).get(m)
            pv = p.get(name, {}).get(m)
            print("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, m, f(rm[m]), f(dv), g(pct(dv, rm[m])), f(pv), g(pct(pv, rm[m]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
