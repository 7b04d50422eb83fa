/* report_fixture.h — a complete synthetic report (every block type, every section) for the
 * renderer tests, built from closed-form volumes: dose D(r) = max(0, 80 − r/mm) Gy around the
 * origin, a 25 mm "recurrence" sphere at the origin and a 15 mm organ sphere at (40, 0, 0). */
#ifndef RERT_TEST_REPORT_FIXTURE_H
#define RERT_TEST_REPORT_FIXTURE_H

#include "rert/report.h"

/* grid: 64×64×40 voxels of 3 mm, centred on the origin */
int fixture_dose(rert_volume *dose, rert_err *err);
int fixture_sphere_mask(rert_volume *mask, const rert_volume *like, const double c[3],
                        double radius_mm, rert_err *err);
int fixture_report(rert_report *r, const char *created_utc, rert_err *err);

#endif
