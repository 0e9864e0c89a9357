/* Docker's value syntaxes: go-units byte sizes ("256M", "1.5g", "10 KiB"),
   --cpus as an exact rational (no float rounding: "0.1" is 100000000 ns),
   and the human formats `ps` and `stats` print. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/fe.h"

/* go-units RAMInBytes: a float, one optional space, an optional suffix
   k/m/g/t/p (any case) with an optional "b" or "ib"; binary multipliers. */
int fe_parse_bytes(const char *s, int64_t *out, cn_error_t *err)
{
  const char *sep = NULL;
  for (const char *p = s; *p; p++)
    if (isdigit((unsigned char)*p) || *p == '.' || *p == ' ')
      sep = p;
  if (sep == NULL)
    return cn_error_set(err, EINVAL, "invalid size: '%s'", s);
  size_t numlen = (size_t)(sep - s) + (*sep == ' ' ? 0 : 1);
  _cleanup_free_ char *num = strndup(s, numlen);
  const char *sfx_orig = sep + 1;

  char *end = NULL;
  errno = 0;
  double size = strtod(num, &end);
  if (num[0] == '\0' || *end != '\0' || isspace((unsigned char)num[0]))
    return cn_error_set(err, EINVAL, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
  if (size < 0)
    return cn_error_set(err, EINVAL, "invalid size: '%s'", s);
  size_t sl = strlen(sfx_orig);
  if (sl == 0) {
    *out = (int64_t)size;
    return 0;
  }
  if (sl > 3)
    return cn_error_set(err, EINVAL, "invalid suffix: '%s'", sfx_orig);
  char sfx[4] = { 0 };
  for (size_t i = 0; i < sl; i++)
    sfx[i] = (char)tolower((unsigned char)sfx_orig[i]);
  if (sfx[0] == 'b') {
    if (sl > 1)
      return cn_error_set(err, EINVAL, "invalid suffix: '%s'", sfx);
    *out = (int64_t)size;
    return 0;
  }
  static const char units[] = "kmgtp";
  const char *u = strchr(units, sfx[0]);
  if (u == NULL)
    return cn_error_set(err, EINVAL, "invalid suffix: '%s'", sfx);
  size *= pow(1024.0, (double)(u - units + 1));
  if ((sl == 2 && sfx[1] != 'b') || (sl == 3 && strcmp(sfx + 1, "ib") != 0))
    return cn_error_set(err, EINVAL, "invalid suffix: '%s'", sfx);
  /* Go's int64(float) saturates nowhere; clamp instead of invoking UB. */
  *out = size >= 9.2e18 ? INT64_MAX : (int64_t)size;
  return 0;
}

/* big.Rat-style: [+-]digits[.digits][e[+-]digits] or a/b; the value times
   1e9 must be an integer. */
int fe_parse_nanocpus(const char *s, int64_t *out, cn_error_t *err)
{
  const char *p = s;
  bool neg = false;
  __int128 num = 0, den = 1;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  const char *slash = strchr(p, '/');
  int digits = 0;
  if (slash) {
    char *e1 = NULL, *e2 = NULL;
    if (!isdigit((unsigned char)*p))
      goto bad;
    errno = 0;
    unsigned long long a = strtoull(p, &e1, 10);
    if (e1 != slash || errno || !isdigit((unsigned char)slash[1]))
      goto bad;
    unsigned long long b = strtoull(slash + 1, &e2, 10);
    if (*e2 || errno || b == 0)
      goto bad;
    num = a;
    den = b;
  } else {
    for (; isdigit((unsigned char)*p); p++, digits++) {
      num = num * 10 + (*p - '0');
      if (num > (__int128)1 << 100)
        goto bad;
    }
    if (*p == '.') {
      p++;
      for (; isdigit((unsigned char)*p); p++, digits++) {
        num = num * 10 + (*p - '0');
        den *= 10;
        if (num > (__int128)1 << 100 || den > (__int128)1 << 100)
          goto bad;
      }
    }
    if (digits == 0)
      goto bad;
    if (*p == 'e' || *p == 'E') {
      p++;
      char *e = NULL;
      errno = 0;
      long x = strtol(p, &e, 10);
      if (e == p || *e || errno || x > 30 || x < -30)
        goto bad;
      for (; x > 0; x--)
        num *= 10;
      for (; x < 0; x++)
        den *= 10;
    } else if (*p) {
      goto bad;
    }
  }
  __int128 scaled = num * 1000000000;
  if (scaled % den != 0)
    return cn_error_set(err, EINVAL, "value is too precise");
  scaled /= den;
  if (scaled > INT64_MAX)
    goto bad;
  *out = neg ? -(int64_t)scaled : (int64_t)scaled;
  return 0;
bad:
  return cn_error_set(err, EINVAL, "failed to parse %s as a rational number", s);
}

/* go-units BytesSize (binary, 4 significant digits, "KiB"...). */
char *fe_format_bytes(double size)
{
  static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  int i = 0;
  while (size >= 1024 && i < 6) {
    size /= 1024;
    i++;
  }
  return xasprintf("%.4g%s", size, u[i]);
}

/* go-units HumanSize (decimal, "kB", "MB"), which BLOCK I/O uses. */
char *fe_format_decimal(double size)
{
  static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  int i = 0;
  while (size >= 1000 && i < 6) {
    size /= 1000;
    i++;
  }
  return xasprintf("%.4g%s", size, u[i]);
}

/* go-units HumanDuration, as `docker ps` prints it ("Up 5 seconds"). */
char *fe_format_duration(int64_t secs)
{
  if (secs < 1)
    return xstrdup("Less than a second");
  if (secs == 1)
    return xstrdup("1 second");
  if (secs < 60)
    return xasprintf("%" PRId64 " seconds", secs);
  int64_t m = secs / 60;
  if (m == 1)
    return xstrdup("About a minute");
  if (m < 60)
    return xasprintf("%" PRId64 " minutes", m);
  int64_t h = (secs + 1800) / 3600;
  if (h == 1)
    return xstrdup("About an hour");
  if (h < 48)
    return xasprintf("%" PRId64 " hours", h);
  if (h < 24 * 7 * 2)
    return xasprintf("%" PRId64 " days", h / 24);
  if (h < 24 * 30 * 2)
    return xasprintf("%" PRId64 " weeks", h / 24 / 7);
  if (h < 24 * 365 * 2)
    return xasprintf("%" PRId64 " months", h / 24 / 30);
  return xasprintf("%" PRId64 " years", h / 24 / 365);
}
