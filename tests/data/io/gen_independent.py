"""gen_independent.py OUTDIR — an RT export written by pydicom, not by rert or DCMTK, with
geometry rert's own writers never produce: an RTDOSE with ImageOrientationPatient -1\0\0\0\-1\0,
16-bit pixels, DoseGridScaling 1.5e-4 and an ABSOLUTE GridFrameOffsetVector; a sagittal CT series
(IOP 0\1\0\0\0\-1, slice normal -x) with BitsStored 12, RescaleSlope 2, RescaleIntercept -1024
and InstanceNumbers running against the slice order. Used by tests/test_io_peer.c."""
import numpy as np, pydicom, sys
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out = sys.argv[1]
def base(sop_class, modality):
    fm = FileMetaDataset(); fm.MediaStorageSOPClassUID = sop_class; fm.MediaStorageSOPInstanceUID = generate_uid(); fm.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=fm, preamble=b"\0"*128)
    ds.SOPClassUID = sop_class; ds.SOPInstanceUID = fm.MediaStorageSOPInstanceUID; ds.Modality = modality
    ds.PatientID = "IND1"; ds.PatientName = "Ind^Gen"; ds.StudyInstanceUID = "1.2.3.1"; ds.FrameOfReferenceUID = "1.2.3.9"
    ds.is_little_endian = True; ds.is_implicit_VR = False
    return ds
# dose: IOP (-1,0,0, 0,-1,0) -> normal (0,0,1); 16-bit; absolute GFOV
nx, ny, nz = 4, 3, 5
ds = base("1.2.840.10008.5.1.4.1.1.481.2", "RTDOSE"); ds.SeriesInstanceUID = "1.2.3.5"
ds.ImagePositionPatient = [50.0, 40.0, -20.0]; ds.ImageOrientationPatient = [-1,0,0,0,-1,0]
ds.PixelSpacing = [2.0, 3.0]  # row spacing (y) 2, column spacing (x) 3
ds.Rows, ds.Columns, ds.NumberOfFrames = ny, nx, nz
ds.GridFrameOffsetVector = [-20.0 + 2.5*k for k in range(nz)]
ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"; ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 0
ds.DoseUnits = "GY"; ds.DoseType = "PHYSICAL"; ds.DoseSummationType = "PLAN"; ds.DoseGridScaling = "1.5e-4"
arr = (np.arange(nz*ny*nx, dtype=np.uint16).reshape(nz, ny, nx) * 97) % 60000
ds.PixelData = arr.tobytes(); ds.save_as(out + "/dose.dcm", write_like_original=False)
# CT: sagittal IOP (0,1,0, 0,0,-1): normal = (1,0,0)*(-1)? u x v = (1*-1-0*0, 0*0-0*-1, 0*0-1*0) = (-1,0,0)
for k, x in enumerate([30.0, 27.5, 25.0]):
    c = base("1.2.840.10008.5.1.4.1.1.2", "CT"); c.SeriesInstanceUID = "1.2.3.7"
    c.ImagePositionPatient = [x, -10.0, 60.0]; c.ImageOrientationPatient = [0,1,0,0,0,-1]; c.PixelSpacing = [1.5, 0.5]
    c.Rows, c.Columns = 2, 3; c.InstanceNumber = 10 - k
    c.SamplesPerPixel = 1; c.PhotometricInterpretation = "MONOCHROME2"; c.BitsAllocated = 16; c.BitsStored = 12; c.HighBit = 11; c.PixelRepresentation = 0
    c.RescaleSlope = "2"; c.RescaleIntercept = "-1024"
    px = (np.arange(6, dtype=np.uint16).reshape(2,3) + 100*k)
    c.PixelData = px.tobytes(); c.save_as(out + "/ct_%d.dcm" % k, write_like_original=False)
