/* variants.h — structure-set variants of the phantom for the issue-13 tests
 * (tests/structures/make_variants.py, pydicom): generated once per build directory and
 * shared by the test executables, safely when CTest runs them in parallel. */
#ifndef RERT_TEST_VARIANTS_H
#define RERT_TEST_VARIANTS_H

/* Path of variant v (a directory with case.json), NULL when /usr/bin/python3 lacks pydicom.
 * The phantom is written by `rert phantom` into build_dir/test_structures_data/phantom. */
const char *structure_variant(const char *source_dir, const char *build_dir, const char *v);

#endif
