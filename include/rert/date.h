/* date.h — calendar dates and the interval between courses.
 *
 * Intervals between courses are measured in days and converted to months as days / 30.4375
 * (the mean Gregorian month), the convention stated in docs/conventions.md; years are
 * days / 365.25. Recovery models take months, so the same interval always gives the same step.
 */
#ifndef RERT_DATE_H
#define RERT_DATE_H

#include "rert/err.h"

typedef struct {
  int year, month, day;
} rert_date;

#define RERT_DAYS_PER_MONTH 30.4375
#define RERT_DAYS_PER_YEAR 365.25

/* Parse YYYY-MM-DD (also accepts DICOM YYYYMMDD). `what` names the field in the message. */
int date_parse(const char *s, const char *what, rert_date *out, rert_err *err);
/* Days since 1970-01-01 (proleptic Gregorian). */
long date_to_days(rert_date d);
rert_date date_from_days(long days);
/* b − a in days. */
long date_diff_days(rert_date a, rert_date b);
double date_interval_months(rert_date from, rert_date to);
void date_format(rert_date d, char buf[11]);
/* 0 = Monday … 6 = Sunday. */
int date_weekday(rert_date d);

#endif
