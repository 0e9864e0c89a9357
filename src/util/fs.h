/* Small file helpers with the error contract.  Writers never create or
   truncate: they are for kernel files (cgroup, proc) where a missing file is
   an error worth naming. */
#ifndef CINCH_FS_H
#define CINCH_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Reads a whole file; *out is NUL-terminated; len may be NULL. */
int cn_read_file(const char *path, char **out, size_t *len, cn_error_t *err);
int cn_read_file_at(int dirfd, const char *path, char **out, size_t *len, cn_error_t *err);
/* Writes data to an existing file in one write(2).  The error names the file
   and the value: "write /sys/fs/cgroup/pids/c1/pids.max \"5\": Invalid argument". */
int cn_write_file(const char *path, const char *data, cn_error_t *err);
int cn_write_file_at(int dirfd, const char *name, const char *data, cn_error_t *err);
/* Creates or replaces a regular file atomically (write to temp, rename). */
int cn_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                         cn_error_t *err);
int cn_mkdir_p(const char *path, mode_t mode, cn_error_t *err);
/* Removes a tree; a missing path is not an error. */
int cn_rm_rf(const char *path, cn_error_t *err);
bool cn_path_exists(const char *path);

#endif
