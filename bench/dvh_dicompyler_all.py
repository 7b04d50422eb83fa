#!/usr/bin/python3
"""dicompyler-core's DVH for every ROI of an RTSTRUCT on an RTDOSE (bench/dvh_bench.sh):
dvhcalc.get_dvh with default settings, one process, files read once as a user would."""
import sys
import pydicom
from dicompylercore import dicomparser, dvhcalc

rs, rd = pydicom.dcmread(sys.argv[1]), pydicom.dcmread(sys.argv[2])
n = 0
for num, s in dicomparser.DicomParser(rs).GetStructures().items():
    try:
        d = dvhcalc.get_dvh(rs, rd, num)
        n += 1
        print("%s %.3f cc Dmean %.3f Dmax %.3f" % (s["name"], d.volume, d.mean, d.max))
    except Exception as e:  # dicompyler fails on some small ROIs; count, do not stop
        print("%s failed: %s" % (s["name"], e))
print("ROIs:", n)
