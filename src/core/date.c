/* date.c — Gregorian date arithmetic for course intervals (include/rert/date.h).
 * Days-from-civil follows the well-known era/day-of-era decomposition, valid for all years. */
#include "rert/date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

int date_parse(const char *s, const char *what, rert_date *out, rert_err *err) {
  int y = 0, m = 0, d = 0;
  size_t n = s ? strlen(s) : 0;
  int ok = 0;
  if (n == 10 && s[4] == '-' && s[7] == '-') {
    ok = 1;
    for (size_t i = 0; i < n; i++)
      if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) ok = 0;
    if (ok) ok = sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3;
  } else if (n == 8) {
    ok = 1;
    for (size_t i = 0; i < n; i++)
      if (!isdigit((unsigned char)s[i])) ok = 0;
    if (ok) ok = sscanf(s, "%4d%2d%2d", &y, &m, &d) == 3;
  }
  if (!ok || y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return rert_err_set(err, RERT_EINPUT, "%s: '%s' is not a valid date (expected YYYY-MM-DD)",
                        what ? what : "date", s ? s : "");
  out->year = y;
  out->month = m;
  out->day = d;
  return RERT_OK;
}

long date_to_days(rert_date dt) {
  long y = dt.year, m = dt.month, d = dt.day;
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

rert_date date_from_days(long z) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long y = yoe + era * 400;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1;
  long m = mp + (mp < 10 ? 3 : -9);
  rert_date r = {(int)(y + (m <= 2)), (int)m, (int)d};
  return r;
}

long date_diff_days(rert_date a, rert_date b) { return date_to_days(b) - date_to_days(a); }

double date_interval_months(rert_date from, rert_date to) {
  return (double)date_diff_days(from, to) / RERT_DAYS_PER_MONTH;
}

void date_format(rert_date d, char buf[11]) {
  unsigned y = (unsigned)d.year % 10000u, m = (unsigned)d.month % 13u, dd = (unsigned)d.day % 32u;
  snprintf(buf, 11, "%04u-%02u-%02u", y, m, dd);
}

int date_weekday(rert_date d) {
  long days = date_to_days(d); /* 1970-01-01 was a Thursday (3) */
  long w = (days + 3) % 7;
  return (int)(w < 0 ? w + 7 : w);
}
