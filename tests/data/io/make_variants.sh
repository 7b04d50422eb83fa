#!/bin/sh
# make_variants.sh — regenerate the RTDOSE/RTSTRUCT variants and malformed files used by
# tests/test_io_pydicom.c and tests/test_io_interlock.c from pydicom's public test files
# (tests/data/pydicom, MIT). Needs DCMTK's dcmodify (Debian dcmtk). Each file changes exactly the
# attributes named here, so the expected values follow from pydicom's values of the original.
set -e
cd "$(dirname "$0")"
P=../pydicom
m() { out=$1; shift; cp "$P/$src" "$out"; dcmodify -nb -q "$@" "$out"; }
src=rtdose.dcm
# absolute GridFrameOffsetVector: first value = ImagePositionPatient z (-761.87), step 5
m dose_gfov_absolute.dcm -m "(3004,000c)=-761.87\\-756.87\\-751.87\\-746.87\\-741.87\\-736.87\\-731.87\\-726.87\\-721.87\\-716.87\\-711.87\\-706.87\\-701.87\\-696.87\\-691.87"
# frames stored in decreasing z: relative offsets 0, -5, ..., -70
m dose_gfov_reversed.dcm -m "(3004,000c)=0\\-5\\-10\\-15\\-20\\-25\\-30\\-35\\-40\\-45\\-50\\-55\\-60\\-65\\-70"
# uneven frames: last gap 10 mm instead of 5 (offsets ..., 60, 70 → resampled at 5 mm)
m dose_gfov_uneven.dcm -m "(3004,000c)=0\\5\\10\\15\\20\\25\\30\\35\\40\\45\\50\\55\\60\\65\\75"
# physical dose in Gy, plan summation (usable), and the same as FRACTION / EFFECTIVE / ERROR
m dose_gy_plan.dcm -m "(3004,0002)=GY" -m "(3004,000a)=PLAN"
m dose_gy_fraction.dcm -m "(3004,0002)=GY" -m "(3004,000a)=FRACTION"
m dose_gy_effective.dcm -m "(3004,0002)=GY" -m "(3004,000a)=PLAN" -m "(3004,0004)=EFFECTIVE"
m dose_gy_error.dcm -m "(3004,0002)=GY" -m "(3004,000a)=PLAN" -m "(3004,0004)=ERROR"
# malformed
m dose_no_units.dcm -e "(3004,0002)"
m dose_bad_type.dcm -m "(3004,0004)=BOGUS"
m dose_gfov_count.dcm -m "(3004,000c)=0\\5\\10"
m dose_no_position.dcm -e "(0020,0032)"
head -c 5000 "$P/rtdose.dcm" > dose_truncated.dcm
src=rtstruct.dcm
m struct_bad_npoints.dcm -m "(3006,0039)[0].(3006,0040)[0].(3006,0046)=7"
m struct_undeclared_roi.dcm -m "(3006,0039)[0].(3006,0084)=99"
m struct_other_patient.dcm -m "(0010,0020)=someone_else"
