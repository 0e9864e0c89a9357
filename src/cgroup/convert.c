/* Conversions between the OCI (v1-shaped) values and the v2 files. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"

/* The log-based mapping of current runc/crun: it keeps the v1 default (1024)
   on the v2 default (100) and spreads the ends (2 -> 1, 262144 -> 10000). */
uint64_t cg_shares_to_weight(uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2((double)shares);
  double e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (uint64_t)ceil(pow(10, e));
}

/* blkio.weight 10..1000 onto io.weight 1..10000, linearly. */
uint64_t cg_blkio_weight_to_io_weight(uint64_t w)
{
  if (w == 0)
    return 0;
  return 1 + (w - 10) * 9999 / 990;
}

int cg_swap_to_v2(int64_t limit, int64_t swap, int64_t *out, cn_error_t *err)
{
  if (limit == -1 && swap == 0) {
    *out = -1;
    return 0;
  }
  if (swap == -1 || swap == 0) {
    *out = swap;
    return 0;
  }
  if (limit == -1) {
    *out = swap;
    return 0;
  }
  if (limit == 0)
    return cn_error_set(
        err, EINVAL, "linux.resources.memory.swap: unable to set swap limit without memory limit");
  if (swap < limit)
    return cn_error_set(err, EINVAL,
                        "linux.resources.memory.swap: memory+swap limit (%lld) should be >= memory "
                        "limit (%lld)",
                        (long long)swap, (long long)limit);
  *out = swap - limit;
  return 0;
}

int cg_parse_cpuset(const char *s, uint64_t mask[16])
{
  memset(mask, 0, 16 * sizeof(uint64_t));
  const char *p = s;
  while (*p == ' ' || *p == '\n')
    p++;
  if (*p == '\0')
    return 0;
  for (;;) {
    char *end;
    errno = 0;
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (end == p || errno)
      return -1;
    p = end;
    if (*p == '-') {
      p++;
      b = strtoul(p, &end, 10);
      if (end == p || errno || b < a)
        return -1;
      p = end;
    }
    if (b >= 1024)
      return -1;
    for (unsigned long i = a; i <= b; i++)
      mask[i / 64] |= 1ULL << (i % 64);
    if (*p == ',') {
      p++;
      continue;
    }
    while (*p == ' ' || *p == '\n')
      p++;
    return *p == '\0' ? 0 : -1;
  }
}

uint64_t cg_hugepage_bytes(const char *ps)
{
  char *end;
  errno = 0;
  unsigned long long n = strtoull(ps, &end, 10);
  if (end == ps || errno || n == 0)
    return 0;
  if (strcmp(end, "KB") == 0)
    return n << 10;
  if (strcmp(end, "MB") == 0)
    return n << 20;
  if (strcmp(end, "GB") == 0)
    return n << 30;
  return 0;
}
