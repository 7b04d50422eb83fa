/* limits.h — ceilings on the sizes an input file may declare, checked BEFORE anything is
 * allocated (issue 12 "sizes before allocation"; docs/io.md "Size checks").
 *
 * Every reader first checks that the sizes a header declares (Rows × Columns × NumberOfFrames,
 * GridDimensions, DimSize, NIfTI dim[], NumberOfContourPoints) agree with the bytes the file
 * actually holds, and then that the decoded result stays below these ceilings, so a 1 MB file
 * claiming gigabytes is refused in milliseconds with a message naming the field at fault, not
 * after an allocation of gigabytes. The ceilings are far above any head-and-neck export (a
 * clinical CT is 512×512×150 = 39 M values; a 2 mm dose grid of the whole head and neck is
 * ~ 3 M values) and below what the 2 GiB consult budget could hold.
 */
#ifndef RERT_LIMITS_H
#define RERT_LIMITS_H

/* Values (floats) in one decoded grid: a dose grid, an image series, or a vector field
 * (3 values per voxel). 2^28 values = 1 GiB as float (e.g. 1024 × 1024 × 256). */
#define RERT_MAX_GRID_VALUES ((size_t)1 << 28)

/* Points in one RTSTRUCT (all ROIs, all contours): 2^24 = 16.7 M points (400 MB as doubles). */
#define RERT_MAX_CONTOUR_POINTS ((size_t)1 << 24)

#endif
