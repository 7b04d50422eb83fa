"""safety_fields.py — vector fields and registrations fit to map dose (issue 12 item 5):
finite vectors only, header geometry consistent with the data, transposed dimensions caught,
the field covering the reference dose region, rigid matrices that are what they claim.
The expected message names the file and where (voxel, header key, DICOM tag)."""
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from safety_lib import Variant, vector_grid

ACC = ["accumulate", "{case}", "--out", "{out}"]
REG = "registration/REG_course1_to_course2.dcm"
MHA = "registration/field_course1_to_course2.mha"


def mha_put(ctx, fn):
    """Apply fn to the (nz, ny, nx, 3) vectors of the MetaImage field and write it back."""
    dims, v = ctx.mha_field(MHA)
    fn(v)
    h, _ = ctx.mha_split(MHA)
    ctx.mha_write(MHA, h, v.astype("<f4").tobytes())


def centre(v):
    nz, ny, nx, _ = v.shape
    return nz // 2, ny // 2, nx // 2


def mha_nan(ctx):
    # one NaN vector in the middle of the grid: inside the dose region
    mha_put(ctx, lambda v: v.__setitem__(centre(v), np.nan))


def mha_inf(ctx):
    mha_put(ctx, lambda v: v.__setitem__((*centre(v), 2), np.inf))


def mha_corner(ctx):
    # keep only the first 10 × 10 × 10 vectors: the field covers a corner of the dose grid
    dims, v = ctx.mha_field(MHA)
    h, _ = ctx.mha_split(MHA)
    h = h.replace("DimSize = %d %d %d" % tuple(dims), "DimSize = 10 10 10")
    ctx.mha_write(MHA, h, np.ascontiguousarray(v[:10, :10, :10]).astype("<f4").tobytes())


def mha_transposed(ctx):
    # DimSize nx and ny swapped: same number of values, rows wrap at the wrong place
    dims, _ = ctx.mha_field(MHA)
    ctx.mha_set(MHA, "DimSize", "%d %d %d" % (dims[1], dims[0], dims[2]))


def mha_sheared_direction(ctx):
    ctx.mha_set(MHA, "TransformMatrix", "1 0 0 0.3 1 0 0 0 1")


def mha_zero_spacing(ctx):
    ctx.mha_set(MHA, "ElementSpacing", "6 0 6")


def dreg_put(ctx, fn):
    ctx.use_dicom_registration()
    ds = ctx.dcm(REG)
    g, dims, v = vector_grid(ds)
    fn(ds, g, dims, v)
    g.VectorGridData = v.astype("<f4").tobytes()
    ctx.save_dcm(ds, REG)


def dreg_nan(ctx):
    dreg_put(ctx, lambda ds, g, dims, v: v.__setitem__(centre(v), np.nan))


def dreg_corner(ctx):
    ctx.use_dicom_registration()
    ds = ctx.dcm(REG)
    g, dims, v = vector_grid(ds)
    g.GridDimensions = [8, 8, 8]
    g.VectorGridData = np.ascontiguousarray(v[:8, :8, :8]).astype("<f4").tobytes()
    ctx.save_dcm(ds, REG)


def dreg_transposed(ctx):
    dreg_put(ctx, lambda ds, g, dims, v: setattr(g, "GridDimensions", [dims[1], dims[0], dims[2]]))


def dreg_orientation(ctx):
    dreg_put(ctx, lambda ds, g, dims, v: setattr(g, "ImageOrientationPatient", [1, 0, 0, 0.5, 1, 0]))


def dreg_post_singular(ctx):
    def f(ds, g, dims, v):
        for it in ds.DeformableRegistrationSequence:
            if "PostDeformationMatrixRegistrationSequence" in it:
                it.PostDeformationMatrixRegistrationSequence[0].FrameOfReferenceTransformationMatrix = \
                    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    dreg_put(ctx, f)


def rigid_reg(ctx, matrix, mtype):
    """Replace the registration with a Spatial Registration (rigid) from course 1 to course 2,
    written with pydicom from PS3.3 C.20.2: item 1 the registered frame (identity), item 2 the
    source frame with `matrix`."""
    d2 = ctx.dcm("course2/RD_course2.dcm")
    d1 = ctx.dcm("course1/RD_course1.dcm")
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.1"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "REG"
    for k in ("PatientID", "PatientName", "PatientBirthDate", "PatientSex", "StudyInstanceUID"):
        setattr(ds, k, getattr(d2, k))
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = d2.FrameOfReferenceUID

    def item(frame, m, t):
        it = Dataset()
        it.FrameOfReferenceUID = frame
        mr = Dataset()
        mr.RegistrationTypeCodeSequence = Sequence()
        ms = Dataset()
        ms.FrameOfReferenceTransformationMatrix = [float(x) for x in m]
        ms.FrameOfReferenceTransformationMatrixType = t
        mr.MatrixSequence = Sequence([ms])
        it.MatrixRegistrationSequence = Sequence([mr])
        return it
    ident = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    ds.RegistrationSequence = Sequence([item(d2.FrameOfReferenceUID, ident, "RIGID"),
                                        item(d1.FrameOfReferenceUID, matrix, mtype)])
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(str(ctx.p("registration/REG_rigid.dcm")), write_like_original=False)

    def edit(c):
        c["registrations"][0] = {"from": "course1", "to": "course2", "type": "rigid",
                                 "dicom": "registration/REG_rigid.dcm"}
    ctx.edit_case(edit)


def rigid_ok(ctx):
    rigid_reg(ctx, [1, 0, 0, 2, 0, 1, 0, -3, 0, 0, 1, 5, 0, 0, 0, 1], "RIGID")


def rigid_singular(ctx):
    rigid_reg(ctx, [1, 0, 0, 2, 0, 1, 0, -3, 0, 0, 0, 5, 0, 0, 0, 1], "AFFINE")


def rigid_scaled(ctx):
    rigid_reg(ctx, [1.2, 0, 0, 2, 0, 1.2, 0, -3, 0, 0, 1.2, 5, 0, 0, 0, 1], "RIGID")


def rigid_reflection(ctx):
    rigid_reg(ctx, [-1, 0, 0, 2, 0, 1, 0, -3, 0, 0, 1, 5, 0, 0, 0, 1], "RIGID")


def accumulated(ctx, proc):
    assert (ctx.out / "EQD2_cumulative.dcm").exists(), "no EQD2_cumulative.dcm"


def warp_like_not_covered(ctx):
    mha_corner(ctx)


CONSULT = ["consult", "{case}", "--out", "{out}", "--protocol", "care_s0", "--no-progress"]

WARP_LIKE = ["warp", "--moving", "{case_dir}/course1/RD_course1.dcm", "--field", "{case_dir}/" + MHA,
             "--like", "{case_dir}/course2/RD_course2.dcm", "--out", "{out}.mha"]

VARIANTS = [
    Variant("mha_nan", "one NaN vector in the MetaImage field", mha_nan, ACC,
            expect=["field_course1_to_course2.mha", "voxel (", "NaN"]),
    Variant("mha_inf", "one infinite vector component in the MetaImage field", mha_inf, ACC,
            expect=["field_course1_to_course2.mha", "voxel (", "infinite"]),
    Variant("mha_corner", "a field covering only a corner of the dose grid", mha_corner, ACC,
            expect=["field_course1_to_course2.mha", "RD_course2.dcm", "does not cover"]),
    Variant("mha_transposed", "DimSize with nx and ny swapped (same number of values)",
            mha_transposed, ACC, expect=["field_course1_to_course2.mha", "DimSize", "transposed"]),
    Variant("mha_sheared_direction", "a TransformMatrix with shear", mha_sheared_direction, ACC,
            expect=["field_course1_to_course2.mha", "TransformMatrix"]),
    Variant("mha_zero_spacing", "ElementSpacing 0 along y", mha_zero_spacing, ACC,
            expect=["field_course1_to_course2.mha", "ElementSpacing"]),
    Variant("dreg_nan", "one NaN vector in the DICOM deformable registration", dreg_nan, ACC,
            expect=["REG_course1_to_course2.dcm", "(0064,0009)", "NaN"]),
    Variant("dreg_corner", "a DICOM deformable grid covering only a corner of the dose grid",
            dreg_corner, ACC, expect=["REG_course1_to_course2.dcm", "RD_course2.dcm", "does not cover"]),
    Variant("dreg_transposed", "GridDimensions with x and y swapped (same number of values)",
            dreg_transposed, ACC, expect=["REG_course1_to_course2.dcm", "(0064,0007)", "transposed"]),
    Variant("dreg_orientation", "grid ImageOrientationPatient not orthonormal", dreg_orientation,
            ACC, expect=["REG_course1_to_course2.dcm", "(0020,0037)"]),
    Variant("dreg_post_singular", "a singular post-deformation matrix", dreg_post_singular, ACC,
            expect=["REG_course1_to_course2.dcm", "(3006,00C6)", "singular"]),
    Variant("rigid_ok", "a rigid Spatial Registration (translation only): accepted", rigid_ok, ACC,
            exit=0, unchanged=False, check=accumulated),
    Variant("rigid_singular", "a rigid registration whose matrix is singular", rigid_singular, ACC,
            expect=["REG_rigid.dcm", "(3006,00C6)", "singular"]),
    Variant("rigid_scaled", "a 'RIGID' matrix that scales by 1.2", rigid_scaled, ACC,
            expect=["REG_rigid.dcm", "(3006,00C6)", "(0070,030C)"]),
    Variant("rigid_reflection", "a 'RIGID' matrix that mirrors x", rigid_reflection, ACC,
            expect=["REG_rigid.dcm", "(3006,00C6)", "(0070,030C)"]),
    Variant("consult_mha_corner", "rert consult with a field covering a corner of the dose grid",
            mha_corner, CONSULT, expect=["field_course1_to_course2.mha", "RD_course2.dcm", "does not cover"]),
    Variant("consult_dreg_nan", "rert consult with a NaN vector in the DICOM registration",
            dreg_nan, CONSULT, expect=["REG_course1_to_course2.dcm", "(0064,0009)", "NaN"]),
    Variant("consult_mha_transposed", "rert consult with transposed MetaImage dimensions",
            mha_transposed, CONSULT, expect=["field_course1_to_course2.mha", "DimSize", "transposed"]),
    Variant("warp_like_not_covered", "rert warp --like onto a dose grid the field does not cover",
            warp_like_not_covered, WARP_LIKE,
            expect=["field_course1_to_course2.mha", "does not cover"]),
]
