/* Shared between the files of spec/ only. */
#ifndef CINCH_SPEC_INTERNAL_H
#define CINCH_SPEC_INTERNAL_H

#include "spec/json_read.h"
#include "spec/spec.h"

/* Each parses one object found at `path` into a zeroed struct; on error the
   struct may be partly filled and is released by its clear function. */
int spec_parse_process_obj(json_object *o, const char *path, struct spec_process *p,
                           cn_error_t *err);
int spec_parse_linux_obj(json_object *o, const char *path, struct spec_linux *l, cn_error_t *err);
int spec_parse_resources_obj(json_object *o, const char *path, struct spec_resources *r,
                             cn_error_t *err);
int spec_parse_seccomp_obj(json_object *o, const char *path, struct spec_seccomp *s,
                           cn_error_t *err);
/* uidMappings / gidMappings arrays, in linux and in mounts. */
int spec_parse_id_maps(json_object *obj, const char *path, const char *key,
                       struct spec_id_map **out, size_t *n, cn_error_t *err);
/* Fails unless s is an absolute path: "<path>: must be an absolute path, got "x"". */
int spec_check_absolute(const char *s, const char *path, cn_error_t *err);

/* Known keys cinch cannot honour on this host are refused, naming the key. */
int spec_refuse_process(json_object *o, const char *path, const struct spec_process *p,
                        cn_error_t *err);
int spec_refuse_config(json_object *doc, const struct spec *s, cn_error_t *err);

void spec_linux_clear(struct spec_linux *l);
void spec_seccomp_clear(struct spec_seccomp *s);

#endif
