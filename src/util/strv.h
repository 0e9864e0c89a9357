/* NULL-terminated string vectors (argv, env). */
#ifndef CINCH_STRV_H
#define CINCH_STRV_H

#include <stddef.h>

size_t cn_strv_len(char *const *v);
char **cn_strv_dup(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void cn_strv_push(char ***v, const char *s);
void cn_strv_free(char **v);

#endif
