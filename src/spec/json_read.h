/* Strict, typed reading of json-c values for the spec parsers.

   Every reader takes the JSON path of the value it reads ("linux.resources.
   memory.limit") and puts it at the head of any error, followed by what was
   expected and what was found, on one line:
     linux.resources.memory.limit: expected integer, got string "12Q"
   A member that is absent or JSON null counts as absent: Go-based engines
   write null for unset pointers, and runc treats both the same way. */
#ifndef CINCH_SPEC_JSON_READ_H
#define CINCH_SPEC_JSON_READ_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* Room for one JSON path; longer paths are cut (only error text uses them). */
#define JP_MAX 512

/* Child paths, written into buf (JP_MAX bytes), which is returned.  An empty
   parent gives a bare key, so a document read on its own ("update -r") gets
   paths like "memory.limit". */
const char *jp_key(char *buf, const char *parent, const char *key);
const char *jp_idx(char *buf, const char *parent, size_t i);

/* A string in JSON quotes with escapes, so any value stays on one line.
   Long values are cut with "...". Caller frees. */
char *jr_quote(const char *s);

/* Error helpers; all return -1. */
int jr_type_error(cn_error_t *err, const char *path, const char *expected, json_object *v);
int jr_missing(cn_error_t *err, const char *path);

/* Parses a whole document; `what` names it in syntax errors:
   "config.json: invalid JSON at line 3, column 7: unexpected character". */
int jr_parse(const char *text, size_t len, const char *what, json_object **out, cn_error_t *err);

/* The member `key` of obj, or NULL when absent or null. */
json_object *jr_get(json_object *obj, const char *key);

/* Readers of one value (v is not NULL). */
int jr_object(json_object *v, const char *path, cn_error_t *err);
int jr_array(json_object *v, const char *path, size_t *n, cn_error_t *err);
/* obj[key] as an array of SIZE-byte items parsed by FN, each into its zeroed
   slot under its own JSON path ("...key[i]").  Absent: *items stays NULL and
   *n 0.  *n counts a slot before FN fills it, so spec_free frees a partial
   array whole. */
typedef int jr_item_fn(json_object *item, const char *path, void *out, cn_error_t *err);
int jm_array(json_object *obj, const char *path, const char *key, size_t size, void **items,
             size_t *n, jr_item_fn *fn, cn_error_t *err);
int jr_string(json_object *v, const char *path, char **out, cn_error_t *err);
int jr_bool(json_object *v, const char *path, bool *out, cn_error_t *err);
int jr_int64(json_object *v, const char *path, int64_t *out, cn_error_t *err);
int jr_uint64(json_object *v, const char *path, uint64_t *out, cn_error_t *err);
int jr_int_range(json_object *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 cn_error_t *err);

/* Readers of the member `key` of obj: absent leaves *out alone and sets *has
   (when given) to false; present sets *out and *has to true.  With a NULL
   `has`, absent members are simply skipped.  Return 0 or -1. */
int jm_string(json_object *obj, const char *path, const char *key, char **out, bool *has,
              cn_error_t *err);
int jm_bool(json_object *obj, const char *path, const char *key, bool *out, bool *has,
            cn_error_t *err);
int jm_int64(json_object *obj, const char *path, const char *key, int64_t *out, bool *has,
             cn_error_t *err);
int jm_uint64(json_object *obj, const char *path, const char *key, uint64_t *out, bool *has,
              cn_error_t *err);
int jm_uint32(json_object *obj, const char *path, const char *key, uint32_t *out, bool *has,
              cn_error_t *err);
int jm_uint16(json_object *obj, const char *path, const char *key, uint16_t *out, bool *has,
              cn_error_t *err);
int jm_int(json_object *obj, const char *path, const char *key, int64_t min, int64_t max, int *out,
           bool *has, cn_error_t *err);
/* An array of strings, NULL-terminated; an empty array gives an empty vector. */
int jm_strv(json_object *obj, const char *path, const char *key, char ***out, cn_error_t *err);
/* An object whose values are all strings, in document order. */
int jm_kv(json_object *obj, const char *path, const char *key, struct spec_kv **out, size_t *n,
          cn_error_t *err);

/* Fails with "<path>.<key>: required field missing" when key is absent. */
int jm_require(json_object *obj, const char *path, const char *key, cn_error_t *err);

#endif
