#include "spec/json_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* Paths are built for every value read, so plain copies rather than
   snprintf; a cut path ends in "..." rather than silently. */
static size_t jp_append(char *buf, size_t at, const char *s, size_t n)
{
  if (at + n >= JP_MAX) {
    n = at < JP_MAX - 4 ? JP_MAX - 4 - at : 0;
    memcpy(buf + at, s, n);
    strcpy(buf + at + n, "...");
    return JP_MAX - 1;
  }
  memcpy(buf + at, s, n);
  buf[at + n] = '\0';
  return at + n;
}

const char *jp_key(char *buf, const char *parent, const char *key)
{
  size_t at = 0;
  if (parent && *parent) {
    at = jp_append(buf, 0, parent, strlen(parent));
    at = jp_append(buf, at, ".", 1);
  }
  jp_append(buf, at, key, strlen(key));
  return buf;
}

const char *jp_idx(char *buf, const char *parent, size_t i)
{
  char num[24];
  size_t n = sizeof num;
  num[--n] = ']';
  do
    num[--n] = (char)('0' + i % 10);
  while ((i /= 10) > 0);
  num[--n] = '[';
  size_t at = parent ? jp_append(buf, 0, parent, strlen(parent)) : 0;
  jp_append(buf, at, num + n, sizeof num - n);
  return buf;
}

#define QUOTE_MAX 120

char *jr_quote(const char *s)
{
  _cleanup_free_ char *cut = NULL;
  if (strlen(s) > QUOTE_MAX) {
    cut = xmalloc(QUOTE_MAX + 4);
    memcpy(cut, s, QUOTE_MAX);
    strcpy(cut + QUOTE_MAX, "...");
    s = cut;
  }
  json_object *j = json_object_new_string(s);
  char *r = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(j);
  return r;
}

/* How a value reads in an error: `string "12Q"`, `number 1.5`, `object`. */
static char *describe(json_object *v)
{
  switch (json_object_get_type(v)) {
  case json_type_null:
    return xstrdup("null");
  case json_type_boolean:
    return xstrdup(json_object_get_boolean(v) ? "boolean true" : "boolean false");
  case json_type_int:
  case json_type_double:
    return xasprintf("number %s", json_object_to_json_string(v));
  case json_type_string: {
    _cleanup_free_ char *q = jr_quote(json_object_get_string(v));
    return xasprintf("string %s", q);
  }
  case json_type_array:
    return xstrdup("array");
  case json_type_object:
    return xstrdup("object");
  }
  return xstrdup("unknown value");
}

int jr_type_error(cn_error_t *err, const char *path, const char *expected, json_object *v)
{
  _cleanup_free_ char *got = describe(v);
  return cn_error_set(err, EINVAL, "%s: expected %s, got %s", path, expected, got);
}

int jr_missing(cn_error_t *err, const char *path)
{
  return cn_error_set(err, EINVAL, "%s: required field missing", path);
}

static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && text[i]; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

int jr_parse(const char *text, size_t len, const char *what, json_object **out, cn_error_t *err)
{
  json_tokener *tok = json_tokener_new();
  if (tok == NULL)
    abort();
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error e = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  json_tokener_free(tok);

  if (doc == NULL || e != json_tokener_success) {
    json_object_put(doc);
    size_t line, col;
    line_col(text, end, &line, &col);
    const char *desc
        = e == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(e);
    return cn_error_set(err, EINVAL, "%s: invalid JSON at line %zu, column %zu: %s", what, line,
                        col, desc);
  }
  if (strlen(text) < len) {
    json_object_put(doc);
    return cn_error_set(err, EINVAL, "%s: invalid JSON: NUL byte at offset %zu", what,
                        strlen(text));
  }
  if (!json_object_is_type(doc, json_type_object)) {
    _cleanup_free_ char *got = describe(doc);
    json_object_put(doc);
    return cn_error_set(err, EINVAL, "%s: expected a JSON object at the top level, got %s", what,
                        got);
  }
  *out = doc;
  return 0;
}

json_object *jr_get(json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
    return NULL;
  return v;
}

int jr_object(json_object *v, const char *path, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_object))
    return jr_type_error(err, path, "object", v);
  return 0;
}

int jr_array(json_object *v, const char *path, size_t *n, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_array))
    return jr_type_error(err, path, "array", v);
  *n = json_object_array_length(v);
  return 0;
}

int jm_array(json_object *obj, const char *path, const char *key, size_t size, void **items,
             size_t *n, jr_item_fn *fn, cn_error_t *err)
{
  char ap[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(obj, key);
  size_t len = 0;
  if (v == NULL)
    return 0;
  jp_key(ap, path, key);
  if (jr_array(v, ap, &len, err) < 0)
    return -1;
  char *arr = xcalloc(len, size);
  *items = arr;
  for (size_t i = 0; i < len; i++) {
    *n = i + 1;
    if (fn(json_object_array_get_idx(v, i), jp_idx(ep, ap, i), arr + i * size, err) < 0)
      return -1;
  }
  return 0;
}

int jr_string(json_object *v, const char *path, char **out, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_string))
    return jr_type_error(err, path, "string", v);
  const char *s = json_object_get_string(v);
  if (strlen(s) != (size_t)json_object_get_string_len(v))
    return cn_error_set(err, EINVAL, "%s: string contains a NUL character", path);
  free(*out);
  *out = xstrdup(s);
  return 0;
}

int jr_bool(json_object *v, const char *path, bool *out, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_boolean))
    return jr_type_error(err, path, "boolean", v);
  *out = json_object_get_boolean(v);
  return 0;
}

/* json-c keeps integers above INT64_MAX as unsigned; get_int64 clamps them,
   get_uint64 gives them back. */
static bool is_big_unsigned(json_object *v)
{
  return json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX;
}

int jr_int64(json_object *v, const char *path, int64_t *out, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_int))
    return jr_type_error(err, path, "integer", v);
  if (is_big_unsigned(v))
    return cn_error_set(err, ERANGE,
                        "%s: value %" PRIu64 " out of range (%" PRId64 " to %" PRId64 ")", path,
                        json_object_get_uint64(v), INT64_MIN, INT64_MAX);
  *out = json_object_get_int64(v);
  return 0;
}

int jr_uint64(json_object *v, const char *path, uint64_t *out, cn_error_t *err)
{
  if (!json_object_is_type(v, json_type_int))
    return jr_type_error(err, path, "non-negative integer", v);
  int64_t i = json_object_get_int64(v);
  if (i < 0)
    return cn_error_set(err, ERANGE, "%s: expected non-negative integer, got %" PRId64, path, i);
  *out = is_big_unsigned(v) ? json_object_get_uint64(v) : (uint64_t)i;
  return 0;
}

int jr_int_range(json_object *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 cn_error_t *err)
{
  int64_t i;
  if (jr_int64(v, path, &i, err) < 0)
    return -1;
  if (i < min || i > max)
    return cn_error_set(err, ERANGE,
                        "%s: value %" PRId64 " out of range (%" PRId64 " to %" PRId64 ")", path, i,
                        min, max);
  *out = i;
  return 0;
}

static void set_has(bool *has, bool v)
{
  if (has)
    *has = v;
}

int jm_string(json_object *obj, const char *path, const char *key, char **out, bool *has,
              cn_error_t *err)
{
  char p[JP_MAX];
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  return v ? jr_string(v, jp_key(p, path, key), out, err) : 0;
}

int jm_bool(json_object *obj, const char *path, const char *key, bool *out, bool *has,
            cn_error_t *err)
{
  char p[JP_MAX];
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  return v ? jr_bool(v, jp_key(p, path, key), out, err) : 0;
}

int jm_int64(json_object *obj, const char *path, const char *key, int64_t *out, bool *has,
             cn_error_t *err)
{
  char p[JP_MAX];
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  return v ? jr_int64(v, jp_key(p, path, key), out, err) : 0;
}

int jm_uint64(json_object *obj, const char *path, const char *key, uint64_t *out, bool *has,
              cn_error_t *err)
{
  char p[JP_MAX];
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  return v ? jr_uint64(v, jp_key(p, path, key), out, err) : 0;
}

int jm_uint32(json_object *obj, const char *path, const char *key, uint32_t *out, bool *has,
              cn_error_t *err)
{
  char p[JP_MAX];
  int64_t i;
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  if (v == NULL)
    return 0;
  if (jr_int_range(v, jp_key(p, path, key), 0, UINT32_MAX, &i, err) < 0)
    return -1;
  *out = (uint32_t)i;
  return 0;
}

int jm_uint16(json_object *obj, const char *path, const char *key, uint16_t *out, bool *has,
              cn_error_t *err)
{
  char p[JP_MAX];
  int64_t i;
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  if (v == NULL)
    return 0;
  if (jr_int_range(v, jp_key(p, path, key), 0, UINT16_MAX, &i, err) < 0)
    return -1;
  *out = (uint16_t)i;
  return 0;
}

int jm_int(json_object *obj, const char *path, const char *key, int64_t min, int64_t max, int *out,
           bool *has, cn_error_t *err)
{
  char p[JP_MAX];
  int64_t i;
  json_object *v = jr_get(obj, key);
  set_has(has, v != NULL);
  if (v == NULL)
    return 0;
  if (jr_int_range(v, jp_key(p, path, key), min, max, &i, err) < 0)
    return -1;
  *out = (int)i;
  return 0;
}

int jm_strv(json_object *obj, const char *path, const char *key, char ***out, cn_error_t *err)
{
  char p[JP_MAX], ep[JP_MAX];
  size_t n = 0;
  json_object *v = jr_get(obj, key);
  if (v == NULL)
    return 0;
  jp_key(p, path, key);
  if (jr_array(v, p, &n, err) < 0)
    return -1;
  _cleanup_strv_ char **r = xcalloc(n + 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    if (jr_string(json_object_array_get_idx(v, i), jp_idx(ep, p, i), &r[i], err) < 0)
      return -1;
  cn_strv_free(*out);
  *out = steal_pointer(&r);
  return 0;
}

int jm_kv(json_object *obj, const char *path, const char *key, struct spec_kv **out, size_t *n,
          cn_error_t *err)
{
  char p[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(obj, key);
  if (v == NULL)
    return 0;
  jp_key(p, path, key);
  if (jr_object(v, p, err) < 0)
    return -1;
  size_t len = json_object_object_length(v), i = 0;
  struct spec_kv *kv = xcalloc(len, sizeof *kv);
  json_object_object_foreach(v, k, val)
  {
    char *s = NULL;
    jp_key(ep, p, k);
    if (val == NULL ? jr_type_error(err, ep, "string", val) : jr_string(val, ep, &s, err)) {
      for (size_t j = 0; j < i; j++) {
        free(kv[j].key);
        free(kv[j].value);
      }
      free(kv);
      return -1;
    }
    kv[i].key = xstrdup(k);
    kv[i].value = s;
    i++;
  }
  *out = kv;
  *n = i;
  return 0;
}

int jm_require(json_object *obj, const char *path, const char *key, cn_error_t *err)
{
  char p[JP_MAX];
  if (jr_get(obj, key) == NULL)
    return jr_missing(err, jp_key(p, path, key));
  return 0;
}
