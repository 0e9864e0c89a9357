#ifndef CINCH_TIMEFMT_H
#define CINCH_TIMEFMT_H

/* Now, as RFC 3339 with nanoseconds in UTC ("2026-11-22T20:41:53.123456789Z"),
   the form OCI state and Docker's inspect use. */
char *cn_now_rfc3339(void);

#endif
