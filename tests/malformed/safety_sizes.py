"""safety_sizes.py — declared sizes checked against the file before anything is allocated
(issue 12 item 6). Each corruption makes a header claim more (or less) data than the file holds;
the expected message names the file and the header field (DICOM tag, MetaImage key) at fault.
Commands run under a 512 MiB address-space limit where possible, so a reader that allocated what
the header claims (2 GB and more) fails instead of passing slowly."""
import gzip
import os
import subprocess

from safety_lib import Variant, nifti_from_field, vector_grid

ACC = ["accumulate", "{case}", "--out", "{out}"]
RD1 = "course1/RD_course1.dcm"
RD2 = "course2/RD_course2.dcm"
RS2 = "course2/RS_course2.dcm"
REG = "registration/REG_course1_to_course2.dcm"
MHA = "registration/field_course1_to_course2.mha"


def rle(ctx, rel):
    # DCMTK's dcmcrle (pydicom 2.3 does not encode 32-bit RLE); the header edits are pydicom's
    p = str(ctx.p(rel))
    subprocess.run(["dcmcrle", p, p + ".rle"], check=True)
    os.replace(p + ".rle", p)


def dose_rle_claims_2gb(ctx):
    # 54 × 75 × 66 frames of 32-bit dose; Rows = Columns = 2800 → 2.07 GB decoded
    rle(ctx, RD1)
    ds = ctx.dcm(RD1)
    ds.Rows = ds.Columns = 2800
    ctx.save_dcm(ds, RD1)


def dose_native_claims_2gb(ctx):
    ds = ctx.dcm(RD1)
    ds.Rows = ds.Columns = 2800
    ctx.save_dcm(ds, RD1)


def dose_frames_claim_more(ctx):
    ds = ctx.dcm(RD1)
    n = int(ds.NumberOfFrames) * 1000
    ds.NumberOfFrames = n
    ds.GridFrameOffsetVector = [4.0 * k for k in range(n)]
    ctx.save_dcm(ds, RD1)


def dose_sheared(ctx):
    # one row fewer: the pixel data is longer than Rows × Columns × frames (a sheared grid)
    ds = ctx.dcm(RD1)
    ds.Rows = int(ds.Rows) - 1
    ctx.save_dcm(ds, RD1)


def dose_rle_sheared(ctx):
    rle(ctx, RD1)
    ds = ctx.dcm(RD1)
    ds.Rows = int(ds.Rows) - 1
    ctx.save_dcm(ds, RD1)


def dose_rle_frames_claim_more(ctx):
    rle(ctx, RD1)
    ds = ctx.dcm(RD1)
    n = int(ds.NumberOfFrames) + 1
    ds.NumberOfFrames = n
    ds.GridFrameOffsetVector = [4.0 * k for k in range(n)]
    ctx.save_dcm(ds, RD1)


def reference_dose_truncated(ctx):
    b = ctx.p(RD2).read_bytes()
    ctx.p(RD2).write_bytes(b[: len(b) - 5000])


def ct_slice_claims_more(ctx):
    ds = ctx.dcm("course1/CT/CT.10.dcm")
    ds.Rows = ds.Columns = 30000
    ctx.save_dcm(ds, "course1/CT/CT.10.dcm")


def ct_series_claims_more(ctx):
    for f in sorted(ctx.p("course1/CT").iterdir()):
        ds = ctx.dcm(f)
        ds.Rows = ds.Columns = 30000
        ctx.save_dcm(ds, f)


def ct_jpegls_claims_more(ctx):
    # every slice JPEG-LS compressed (DCMTK's dcmcjpls), then Rows/Columns set to 30000: the
    # code streams' SOF markers still say 100 × 100
    for f in sorted(ctx.p("course1/CT").iterdir()):
        subprocess.run(["dcmcjpls", str(f), str(f) + ".jls"], check=True)
        os.replace(str(f) + ".jls", str(f))
        ds = ctx.dcm(f)
        ds.Rows = ds.Columns = 30000
        ctx.save_dcm(ds, f)


def rtstruct_points_claim_more(ctx):
    ds = ctx.dcm(RS2)
    c = ds.ROIContourSequence[0].ContourSequence[0]
    c.NumberOfContourPoints = 500000000
    ctx.save_dcm(ds, RS2)


def mha_dims_claim_more(ctx):
    ctx.mha_set(MHA, "DimSize", "2000 2000 2000")


def mha_truncated(ctx):
    h, d = ctx.mha_split(MHA)
    ctx.mha_write(MHA, h, d[: len(d) // 2])


def mha_longer(ctx):
    h, d = ctx.mha_split(MHA)
    ctx.mha_write(MHA, h, d + d[:12 * 51])


def nifti_field(ctx, fn):
    dims, f = ctx.mha_field(MHA)
    h, _ = ctx.mha_split(MHA)
    off = [float(x) for x in h.split("Offset = ")[1].split("\n")[0].split()]
    nii = nifti_from_field(dims, f, (6.0, 6.0, 6.0), off)
    nii = fn(nii)
    ctx.p("registration/field.nii.gz").write_bytes(gzip.compress(nii, mtime=0))
    ctx.edit_case(lambda c: c["registrations"][0].__setitem__("mha", "registration/field.nii.gz"))


def nifti_ok(ctx):
    nifti_field(ctx, lambda b: b)


def nifti_dims_claim_more(ctx):
    import struct
    nifti_field(ctx, lambda b: b[:42] + struct.pack("<3h", 2000, 2000, 2000) + b[48:])


def nifti_bad_header(ctx):
    import struct
    nifti_field(ctx, lambda b: b[:40] + struct.pack("<h", 9) + b[42:])  # dim[0] = 9: invalid


def nifti_truncated(ctx):
    nifti_field(ctx, lambda b: b[: len(b) - 4000])


def dreg_dims_claim_more(ctx):
    ctx.use_dicom_registration()
    ds = ctx.dcm(REG)
    g, dims, _ = vector_grid(ds)
    g.GridDimensions = [2000, 2000, 2000]
    ctx.save_dcm(ds, REG)


def dreg_data_longer(ctx):
    ctx.use_dicom_registration()
    ds = ctx.dcm(REG)
    g, dims, _ = vector_grid(ds)
    g.GridDimensions = [dims[0], dims[1], dims[2] - 1]
    ctx.save_dcm(ds, REG)


def dicom_ok(ctx):
    ctx.use_dicom_registration()


def accumulated(ctx, proc):
    assert (ctx.out / "EQD2_cumulative.dcm").exists(), "no EQD2_cumulative.dcm"
    assert (ctx.out / ".rert-output").exists(), "no output marker"


VARIANTS = [
    Variant("dose_rle_claims_2gb", "1 MB RLE RTDOSE whose Rows/Columns claim 2 GB of pixels",
            dose_rle_claims_2gb, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "(0028,0010)"],
            mem_mb=512),
    Variant("dose_native_claims_2gb", "1 MB RTDOSE whose Rows/Columns claim 2 GB of pixels",
            dose_native_claims_2gb, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "(0028,0010)"],
            mem_mb=512),
    Variant("dose_frames_claim_more", "NumberOfFrames × 1000 with a matching offset vector",
            dose_frames_claim_more, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "(0028,0008)"],
            mem_mb=512),
    Variant("dose_sheared", "pixel data longer than Rows × Columns × frames (a sheared grid)",
            dose_sheared, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "sheared"], mem_mb=512),
    Variant("dose_rle_sheared", "RLE frames decoding to more than Rows × Columns",
            dose_rle_sheared, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "sheared"], mem_mb=512),
    Variant("dose_rle_frames_claim_more", "RLE RTDOSE with one frame more than fragments",
            dose_rle_frames_claim_more, ACC, expect=["RD_course1.dcm", "(7FE0,0010)", "(0028,0008)"],
            mem_mb=512),
    Variant("reference_dose_truncated", "reference RTDOSE cut 5000 bytes short",
            reference_dose_truncated, ACC, expect=["RD_course2.dcm"], mem_mb=512),
    Variant("ct_slice_claims_more", "one CT slice claiming 30000 × 30000 pixels",
            ct_slice_claims_more,
            ["warp", "--moving", "{case_dir}/course1/CT", "--field", "{case_dir}/" + MHA, "--out",
             "{out}.mha"], expect=["CT.10.dcm", "(0028,0010)"], mem_mb=512),
    Variant("ct_series_claims_more", "every CT slice claiming 30000 × 30000 pixels",
            ct_series_claims_more,
            ["warp", "--moving", "{case_dir}/course1/CT", "--field", "{case_dir}/" + MHA, "--out",
             "{out}.mha"], expect=["course1/CT/CT.", "(7FE0,0010)", "(0028,0010)"], mem_mb=512),
    Variant("ct_jpegls_claims_more", "JPEG-LS CT slices whose Rows/Columns claim 30000 × 30000",
            ct_jpegls_claims_more,
            ["warp", "--moving", "{case_dir}/course1/CT", "--field", "{case_dir}/" + MHA, "--out",
             "{out}.mha"], expect=["course1/CT/CT.", "(7FE0,0010)", "JPEG", "(0028,0010)"],
            mem_mb=512),
    Variant("rtstruct_points_claim_more", "NumberOfContourPoints 5·10^8 for a short ContourData",
            rtstruct_points_claim_more, ACC, expect=["RS_course2.dcm", "(3006,0046)", "(3006,0050)"],
            mem_mb=512),
    Variant("mha_dims_claim_more", "MetaImage field whose DimSize claims 2000³ vectors",
            mha_dims_claim_more, ACC, expect=["field_course1_to_course2.mha", "DimSize"], mem_mb=512),
    Variant("mha_truncated", "MetaImage field cut to half its voxels", mha_truncated, ACC,
            expect=["field_course1_to_course2.mha", "DimSize", "truncated"], mem_mb=512),
    Variant("mha_longer", "MetaImage field with more voxel data than DimSize", mha_longer, ACC,
            expect=["field_course1_to_course2.mha", "DimSize", "more data"], mem_mb=512),
    Variant("nifti_ok", "the field as NIfTI-1 .nii.gz (written by hand): accepted", nifti_ok, ACC,
            exit=0, unchanged=False, check=accumulated),
    Variant("nifti_dims_claim_more", "NIfTI field whose dim[] claims 2000³ vectors",
            nifti_dims_claim_more, ACC, expect=["field.nii.gz", "dim"], mem_mb=512),
    Variant("nifti_bad_header", "NIfTI field with dim[0] = 9 (niftilib's own messages stay silent)",
            nifti_bad_header, ACC, expect=["field.nii.gz", "NIfTI"]),
    Variant("nifti_truncated", "NIfTI field with 4000 bytes of voxels missing", nifti_truncated,
            ACC, expect=["field.nii.gz", "truncated"], mem_mb=512),
    Variant("dicom_registration_ok", "the DICOM deformable registration instead of the MetaImage: "
            "accepted", dicom_ok, ACC, exit=0, unchanged=False, check=accumulated),
    Variant("dreg_dims_claim_more", "DICOM deformable grid whose GridDimensions claim 2000³",
            dreg_dims_claim_more, ACC,
            expect=["REG_course1_to_course2.dcm", "(0064,0009)", "(0064,0007)"], mem_mb=512),
    Variant("dreg_data_longer", "VectorGridData longer than GridDimensions (one slice fewer)",
            dreg_data_longer, ACC,
            expect=["REG_course1_to_course2.dcm", "(0064,0009)", "(0064,0007)"], mem_mb=512),
]
