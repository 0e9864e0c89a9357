/* Docker's value syntaxes as the front end parses them: go-units byte
   sizes, exact --cpus rationals, and the human formats. */
#include <stdlib.h>

#include "frontend/fe.h"
#include "unit.h"

static int64_t bytes(const char *s, const char **msg)
{
  static char buf[256];
  int64_t v = -42;
  cn_error_t err = NULL;
  *msg = NULL;
  if (fe_parse_bytes(s, &v, &err) < 0) {
    snprintf(buf, sizeof buf, "%s", err->msg);
    *msg = buf;
    cn_error_release(&err);
    return -1;
  }
  return v;
}

static int64_t nano(const char *s, const char **msg)
{
  static char buf[256];
  int64_t v = -42;
  cn_error_t err = NULL;
  *msg = NULL;
  if (fe_parse_nanocpus(s, &v, &err) < 0) {
    snprintf(buf, sizeof buf, "%s", err->msg);
    *msg = buf;
    cn_error_release(&err);
    return -1;
  }
  return v;
}

int main(void)
{
  const char *m;
  /* Binary multipliers, any case, optional b/ib, one optional space. */
  CHECK(bytes("256M", &m) == 268435456 && m == NULL);
  CHECK(bytes("256m", &m) == 268435456);
  CHECK(bytes("256mb", &m) == 268435456);
  CHECK(bytes("256MiB", &m) == 268435456);
  CHECK(bytes("1.5g", &m) == 1610612736);
  CHECK(bytes("10 KB", &m) == 10240);
  CHECK(bytes("1024", &m) == 1024);
  CHECK(bytes("1024b", &m) == 1024);
  CHECK(bytes("0", &m) == 0);
  CHECK(bytes("1t", &m) == 1099511627776LL);
  CHECK(bytes("6m", &m) == 6291456);
  /* Errors carry go-units' messages. */
  CHECK(bytes("4x", &m) == -1);
  CHECK_STR(m, "invalid suffix: 'x'");
  CHECK(bytes("4mbb", &m) == -1);
  CHECK_STR(m, "invalid suffix: 'mbb'");
  CHECK(bytes("4bb", &m) == -1);
  CHECK_STR(m, "invalid suffix: 'bb'");
  CHECK(bytes("4kibx", &m) == -1);
  CHECK_STR(m, "invalid suffix: 'kibx'");
  CHECK(bytes("-1", &m) == -1);
  CHECK_STR(m, "invalid size: '-1'");
  CHECK(bytes("abc", &m) == -1);
  CHECK_STR(m, "invalid size: 'abc'");
  CHECK(bytes("", &m) == -1);
  CHECK(bytes("1.2.3m", &m) == -1);

  /* --cpus is exact: no binary floating point on the way. */
  CHECK(nano("0.5", &m) == 500000000);
  CHECK(nano("1.5", &m) == 1500000000);
  CHECK(nano("0.1", &m) == 100000000);
  CHECK(nano("0.01", &m) == 10000000);
  CHECK(nano("2", &m) == 2000000000);
  CHECK(nano("0.000000001", &m) == 1);
  CHECK(nano("1/4", &m) == 250000000);
  CHECK(nano("5e-1", &m) == 500000000);
  CHECK(nano("-1", &m) == -1000000000);
  CHECK(nano("0.0000000001", &m) == -1);
  CHECK_STR(m, "value is too precise");
  CHECK(nano("1/3", &m) == -1);
  CHECK_STR(m, "value is too precise");
  CHECK(nano("abc", &m) == -1);
  CHECK_STR(m, "failed to parse abc as a rational number");
  CHECK(nano("1.", &m) == 1000000000);
  CHECK(nano(".5", &m) == 500000000);
  CHECK(nano(".", &m) == -1);
  CHECK(nano("", &m) == -1);

  /* Human formats (stats, ps). */
  char *s;
  CHECK_STR(s = fe_format_bytes(268435456), "256MiB");
  free(s);
  CHECK_STR(s = fe_format_bytes(1536), "1.5KiB");
  free(s);
  CHECK_STR(s = fe_format_bytes(0), "0B");
  free(s);
  CHECK_STR(s = fe_format_decimal(1500000), "1.5MB");
  free(s);
  CHECK_STR(s = fe_format_duration(0), "Less than a second");
  free(s);
  CHECK_STR(s = fe_format_duration(5), "5 seconds");
  free(s);
  CHECK_STR(s = fe_format_duration(90), "About a minute");
  free(s);
  CHECK_STR(s = fe_format_duration(600), "10 minutes");
  free(s);
  UNIT_DONE();
}
