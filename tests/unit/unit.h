/* A tiny unit-test harness: CHECK records a failure and goes on; main()
   ends with UNIT_DONE(), which prints the plain "N passed, N failed" line. */
#ifndef CINCH_UNIT_H
#define CINCH_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (cond)                                                                                      \
      unit_passed++;                                                                               \
    else {                                                                                         \
      unit_failed++;                                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *_a = (a), *_b = (b);                                                               \
    if (_a && _b && strcmp(_a, _b) == 0)                                                           \
      unit_passed++;                                                                               \
    else {                                                                                         \
      unit_failed++;                                                                               \
      fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)",         \
              _b ? _b : "(null)");                                                                 \
    }                                                                                              \
  } while (0)

#define UNIT_DONE()                                                                                \
  do {                                                                                             \
    printf("%s: %d passed, %d failed\n", __FILE__, unit_passed, unit_failed);                      \
    return unit_failed ? 1 : 0;                                                                    \
  } while (0)

#endif
