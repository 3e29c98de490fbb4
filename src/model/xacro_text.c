/* xacro_text.c - text evaluation for the xacro expander: ${...} expressions,
 * $(...) substitution args (arg, find, env, optenv, dirname, eval, cwd) as
 * ros/xacro's substitution_args.py resolves them, package lookup, and the
 * functions of the xacro namespace that need the expander (load_yaml, arg,
 * print_location, message, warning, error, fatal, abs_filename). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtw/err.h"
#include "model__xacro.h"
#include "model__xctx.h"

int dtw__xfunc_id(const char *name, int first, int last);

typedef struct lookup_user {
  xctx_t *c;
  scope_t *scope;
  int subst_eval; /* $(eval ...): names are the args */
} lookup_user_t;

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- packages -------------------------------------------------------------------------- */

/* Search DIR/pkg in a colon-separated list (with an optional middle part such as "share"). */
static char *search_pkg(const char *list, const char *mid, const char *pkg) {
  const char *p = list;
  while (p != NULL && *p != '\0') {
    const char *colon = strchr(p, ':');
    size_t l = colon != NULL ? (size_t)(colon - p) : strlen(p);
    if (l > 0) {
      size_t need = l + strlen(mid) + strlen(pkg) + 3;
      char *path = malloc(need);
      if (path == NULL) return NULL;
      snprintf(path, need, "%.*s/%s%s%s", (int)l, p, mid, *mid ? "/" : "", pkg);
      if (is_dir(path)) return path;
      free(path);
    }
    p = colon != NULL ? colon + 1 : NULL;
  }
  return NULL;
}

char *dtw__xfind_package(xctx_t *c, const char *pkg, char *msg, size_t msglen) {
  const char *given = c->opts != NULL ? c->opts->package_path : NULL;
  const char *rpp = getenv("ROS_PACKAGE_PATH"), *app = getenv("AMENT_PREFIX_PATH");
  char *path = NULL;
  if (pkg[0] != '\0' && strchr(pkg, '/') == NULL && strcmp(pkg, "..") != 0) {
    if (given != NULL) path = search_pkg(given, "", pkg);
    if (path == NULL) path = search_pkg(rpp, "", pkg);
    if (path == NULL) path = search_pkg(app, "share", pkg);
  }
  if (path != NULL) {
    /* absolute, as ament's get_package_share_directory gives it: includes under it must
     * not be taken relative to the including file */
    char *real = realpath(path, NULL);
    if (real != NULL) {
      free(path);
      path = real;
    }
  }
  if (path == NULL)
    dtw_errf(msg, msglen, DTW_ENOENT,
             "package '%.80s' not found (searched: package path '%.200s', ROS_PACKAGE_PATH "
             "'%.200s', AMENT_PREFIX_PATH '%.200s' as DIR/share/%.80s)",
             pkg, given != NULL ? given : "", rpp != NULL ? rpp : "", app != NULL ? app : "", pkg);
  return path;
}

/* ---- substitution args ----------------------------------------------------------------- */

/* Absolute directory of the file being processed (ros/xacro: abspath(dirname(file))). */
static char *abs_dirname(xctx_t *c) {
  const char *dir = c->inc_stack[c->inc_depth]->dir;
  char *real = realpath(dir, NULL);
  if (real != NULL) return real;
  if (dir[0] == '/') return strdup(dir);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) return NULL;
  size_t need = strlen(cwd) + strlen(dir) + 2;
  char *p = malloc(need);
  if (p != NULL) snprintf(p, need, "%s/%s", cwd, dir);
  return p;
}

/* ros/xacro's convert_value(value, 'auto') for names inside $(eval). */
static int auto_value(const char *s, dtw__xval_t *out) {
  size_t len = strlen(s);
  long long iv;
  double fv;
  if (strchr(s, '.') != NULL ? dtw__xval_parse_float(s, len, &fv) == 0
                             : dtw__xval_parse_int(s, len, &iv) == 0) {
    if (strchr(s, '.') != NULL) dtw__xval_set_float(out, fv);
    else dtw__xval_set_int(out, iv);
    return 0;
  }
  if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
    dtw__xval_set_bool(out, strcasecmp(s, "true") == 0);
    return 0;
  }
  return dtw__xval_set_str(out, s, len);
}

static int set_result(dtw__xval_t *out, char *s, char *msg, size_t msglen) {
  if (s == NULL) return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
  memset(out, 0, sizeof *out);
  out->kind = DTW__XV_STR;
  out->s = s;
  out->len = strlen(s);
  return 0;
}

/* Split the words of a substitution (split on spaces, empty words dropped). */
static int split_words(const char *s, char words[][256], int max) {
  int n = 0;
  while (*s != '\0') {
    while (*s == ' ') s++;
    if (*s == '\0') break;
    size_t l = strcspn(s, " ");
    if (n == max || l >= 256) return -1;
    memcpy(words[n], s, l);
    words[n][l] = '\0';
    n++;
    s += l;
  }
  return n;
}

static int xcall(void *user, int fn, const dtw__xval_t *args, int nargs, dtw__xval_t *out,
                 char *err, size_t errlen);
static int lookup_cb(void *user, const char *name, dtw__xval_t *out, char *err, size_t errlen);
static int ns_lookup_cb(void *user, void *ns, const char *name, dtw__xval_t *out, char *err,
                        size_t errlen);

/* $(find pkg) occurrences in text (a value that came from $(arg ...)) resolved; other
 * known substitutions are left, unknown ones refused, as ros/xacro's second pass does. */
static int resolve_finds(xctx_t *c, char **text, char *msg, size_t msglen) {
  const char *p = *text, *q;
  dtw__xbuf_t b = {0};
  while ((q = strstr(p, "$(")) != NULL) {
    const char *end = strchr(q + 2, ')');
    if (end == NULL) break;
    char words[4][256], inner[600];
    size_t il = (size_t)(end - q - 2);
    int n = il < sizeof inner ? (memcpy(inner, q + 2, il), inner[il] = '\0', split_words(inner, words, 4))
                              : -1;
    dtw__xbuf_add(&b, p, (size_t)(q - p));
    if (n == 2 && strcmp(words[0], "find") == 0) {
      char *dir = dtw__xfind_package(c, words[1], msg, msglen);
      if (dir == NULL) {
        free(b.s);
        return DTW_ENOENT;
      }
      dtw__xbuf_str(&b, dir);
      free(dir);
    } else if (n > 0 && (strcmp(words[0], "env") == 0 || strcmp(words[0], "optenv") == 0 ||
                         strcmp(words[0], "dirname") == 0 || strcmp(words[0], "arg") == 0 ||
                         strcmp(words[0], "find") == 0)) {
      dtw__xbuf_add(&b, q, (size_t)(end + 1 - q));
    } else {
      free(b.s);
      return dtw_errf(msg, msglen, DTW_EUNSUP, "unknown substitution command in '%.80s'", *text);
    }
    p = end + 1;
  }
  dtw__xbuf_str(&b, p);
  if (b.err != 0) {
    free(b.s);
    return dtw_errf(msg, msglen, b.err, "substitution result too long");
  }
  free(*text);
  *text = b.s;
  return 0;
}

/* One $(...) with its text already evaluated: ros/xacro's eval_extension. */
static int eval_extension(xctx_t *c, scope_t *s, const char *text, dtw__xval_t *out, char *msg,
                          size_t msglen) {
  char words[16][256];
  if (strcmp(text, "cwd") == 0) {
    char buf[4096];
    if (getcwd(buf, sizeof buf) == NULL)
      return dtw_errf(msg, msglen, DTW_EIO, "$(cwd): %s", strerror(errno));
    return set_result(out, strdup(buf), msg, msglen);
  }
  if (strncmp(text, "eval ", 5) == 0) {
    const char *expr = text + 5;
    if (strstr(expr, "__") != NULL)
      return dtw_errf(msg, msglen, DTW_EUNSUP,
                      "$(eval ...) may not contain double underscore expressions");
    lookup_user_t u = {c, s, 1};
    dtw__xexpr_ctx_t ectx = {.lookup = lookup_cb, .user = &u, .budget = &c->work, .xcall = xcall,
                             .ns_lookup = ns_lookup_cb};
    dtw__xval_t v;
    int r = dtw__xexpr_eval(expr, strlen(expr), &ectx, &v, msg, msglen);
    if (r < 0) return r;
    char *str = NULL;
    r = dtw__xval_to_str(&v, &str, NULL);
    dtw__xval_fini(&v);
    if (r < 0) return dtw_errf(msg, msglen, r, "$(eval): result too long");
    return set_result(out, str, msg, msglen);
  }
  int n = split_words(text, words, 16);
  if (n < 0) return dtw_errf(msg, msglen, DTW_ERANGE, "$(%.60s): too many or too long words", text);
  if (n == 0) return dtw_errf(msg, msglen, DTW_EPARSE, "empty substitution $()");
  const char *cmd = words[0];
  if (strcmp(cmd, "arg") == 0) {
    if (n != 2)
      return dtw_errf(msg, msglen, DTW_EPARSE, "$(arg var) takes exactly one name ($(%.60s))", text);
    const char *v = dtw__xarg_find(c, words[1]);
    if (v == NULL)
      return dtw_errf(msg, msglen, DTW_ENOENT, "undefined substitution argument '%s'", words[1]);
    char *res = strdup(v);
    int r;
    if (res != NULL && strstr(res, "$(") != NULL && (r = resolve_finds(c, &res, msg, msglen)) < 0) {
      free(res);
      return r;
    }
    return set_result(out, res, msg, msglen);
  }
  if (strcmp(cmd, "find") == 0) {
    if (n != 2)
      return dtw_errf(msg, msglen, DTW_EPARSE, "$(find pkg) takes exactly one package ($(%.60s))",
                      text);
    char *dir = dtw__xfind_package(c, words[1], msg, msglen);
    if (dir == NULL) return DTW_ENOENT;
    return set_result(out, dir, msg, msglen);
  }
  if (strcmp(cmd, "env") == 0 || strcmp(cmd, "optenv") == 0) {
    int opt = cmd[0] == 'o';
    if (n < 2 || (!opt && n != 2))
      return dtw_errf(msg, msglen, DTW_EPARSE, "$(%s) needs %s ($(%.60s))", cmd,
                      opt ? "a variable name" : "exactly one variable name", text);
    const char *v = getenv(words[1]);
    if (v == NULL && !opt)
      return dtw_errf(msg, msglen, DTW_ENOENT, "environment variable '%s' is not set", words[1]);
    if (v != NULL) return set_result(out, strdup(v), msg, msglen);
    dtw__xbuf_t b = {0};
    dtw__xbuf_add(&b, "", 0);
    for (int k = 2; k < n; k++) {
      if (k > 2) dtw__xbuf_add(&b, " ", 1);
      dtw__xbuf_str(&b, words[k]);
    }
    if (b.err != 0) {
      free(b.s);
      return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
    }
    return set_result(out, b.s, msg, msglen);
  }
  if (strcmp(cmd, "dirname") == 0) return set_result(out, abs_dirname(c), msg, msglen);
  return dtw_errf(msg, msglen, DTW_EUNSUP,
                  "unknown substitution command '%.40s' in $(%.60s) (valid: arg, find, env, "
                  "optenv, dirname, eval, cwd)",
                  cmd, text);
}

/* ---- expressions ----------------------------------------------------------------------- */

static int lookup_cb(void *user, const char *name, dtw__xval_t *out, char *err, size_t errlen) {
  lookup_user_t *u = user;
  if (!u->subst_eval) return dtw__xprop_resolve(u->c, u->scope, name, out, err, errlen);
  /* $(eval): helper functions, then the args (typed), then true/false */
  int id = dtw__xfunc_id(name, DTW__XF_EVAL_ARG, DTW__XF_EVAL_FIND);
  if (id != 0) return dtw__xval_set_func(out, id, NULL) < 0 ? DTW_ENOMEM : 0;
  const char *v = dtw__xarg_find(u->c, name);
  if (v != NULL) return auto_value(v, out) < 0 ? DTW_ENOMEM : 0;
  if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0) {
    dtw__xval_set_bool(out, name[0] == 't');
    return 0;
  }
  return DTW__XNOTFOUND;
}

static int ns_lookup_cb(void *user, void *ns, const char *name, dtw__xval_t *out, char *err,
                        size_t errlen) {
  lookup_user_t *u = user;
  return dtw__xprop_resolve(u->c, ns, name, out, err, errlen);
}

/* Join str(args) with spaces. */
static char *join_args(const dtw__xval_t *args, int nargs) {
  dtw__xbuf_t b = {0};
  dtw__xbuf_add(&b, "", 0);
  for (int k = 0; k < nargs; k++) {
    if (k > 0) dtw__xbuf_add(&b, " ", 1);
    dtw__xbuf_value(&b, &args[k], 0);
  }
  if (b.err != 0) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

/* The current file's directory joined with a relative path (ros/xacro's abs_filename_spec). */
static char *rel_to_current(xctx_t *c, const char *fname) {
  if (fname[0] == '/') return strdup(fname);
  const char *dir = c->inc_stack[c->inc_depth]->dir;
  size_t need = strlen(dir) + strlen(fname) + 2;
  char *p = malloc(need);
  if (p != NULL) snprintf(p, need, "%s/%s", dir, fname);
  return p;
}

static int xcall(void *user, int fn, const dtw__xval_t *args, int nargs, dtw__xval_t *out,
                 char *err, size_t errlen) {
  lookup_user_t *u = user;
  xctx_t *c = u->c;
  int r;
  memset(out, 0, sizeof *out);
  switch (fn) {
  case DTW__XF_LOAD_YAML:
  case DTW__XF_ABS_FILENAME: {
    if (args[0].kind != DTW__XV_STR)
      return dtw_errf(err, errlen, DTW_EPARSE, "xacro.%s() needs a file name, not %s",
                      fn == DTW__XF_LOAD_YAML ? "load_yaml" : "abs_filename",
                      dtw__xval_type_name(&args[0]));
    char *path = rel_to_current(c, args[0].s);
    if (path == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    if (fn == DTW__XF_ABS_FILENAME) return set_result(out, path, err, errlen);
    struct stat st;
    int missing = stat(path, &st) != 0;
    if (missing || !S_ISREG(st.st_mode)) {
      r = dtw_errf(err, errlen, missing && errno == ENOENT ? DTW_ENOENT : DTW_EIO,
                   "xacro.load_yaml: cannot read '%.200s': %s", path,
                   missing ? strerror(errno) : "not a regular file");
      free(path);
      return r;
    }
    char msg[512];
    r = dtw__xyaml_load(path, &c->work, out, msg, sizeof msg);
    if (r < 0) dtw_errf(err, errlen, r, "xacro.load_yaml('%.120s'): %s", args[0].s, msg);
    free(path);
    return r;
  }
  case DTW__XF_ARG:
  case DTW__XF_EVAL_ARG: {
    const char *v = args[0].kind == DTW__XV_STR ? dtw__xarg_find(c, args[0].s) : NULL;
    if (v == NULL)
      return dtw_errf(err, errlen, DTW_ENOENT, "undefined substitution argument '%.80s'",
                      args[0].kind == DTW__XV_STR ? args[0].s : "?");
    r = fn == DTW__XF_ARG ? dtw__xval_set_str(out, v, strlen(v)) : auto_value(v, out);
    return r < 0 ? dtw_errf(err, errlen, DTW_ENOMEM, "out of memory") : 0;
  }
  case DTW__XF_MESSAGE:
  case DTW__XF_WARNING:
  case DTW__XF_ERROR: {
    char *text = join_args(args, nargs);
    if (text == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    fprintf(stderr, "%s%s\n", fn == DTW__XF_WARNING ? "warning: " : fn == DTW__XF_ERROR ? "error: " : "",
            text);
    free(text);
    return set_result(out, strdup(""), err, errlen);
  }
  case DTW__XF_PRINT_LOCATION:
    dtw__xprint_location(c);
    return set_result(out, strdup(""), err, errlen);
  case DTW__XF_FATAL: {
    char *text = join_args(args, nargs);
    r = dtw_errf(err, errlen, DTW_EMODEL, "xacro.fatal: %s", text != NULL ? text : "?");
    free(text);
    return r;
  }
  case DTW__XF_EVAL_DIRNAME:
    return set_result(out, abs_dirname(c), err, errlen);
  case DTW__XF_EVAL_ENV:
  case DTW__XF_EVAL_OPTENV: {
    if (args[0].kind != DTW__XV_STR) return dtw_errf(err, errlen, DTW_EPARSE, "env(): needs a name");
    const char *v = getenv(args[0].s);
    if (v == NULL && fn == DTW__XF_EVAL_ENV)
      return dtw_errf(err, errlen, DTW_ENOENT, "environment variable '%.80s' is not set", args[0].s);
    if (v == NULL) {
      if (nargs > 1) return dtw__xval_copy(out, &args[1]) < 0 ? DTW_ENOMEM : 0;
      v = "";
    }
    return set_result(out, strdup(v), err, errlen);
  }
  case DTW__XF_EVAL_FIND: {
    if (args[0].kind != DTW__XV_STR) return dtw_errf(err, errlen, DTW_EPARSE, "find(): needs a name");
    char *dir = dtw__xfind_package(c, args[0].s, err, errlen);
    if (dir == NULL) return DTW_ENOENT;
    return set_result(out, dir, err, errlen);
  }
  default:
    return dtw_errf(err, errlen, DTW_EUNSUP, "function %d is not available", fn);
  }
}

void dtw__xprint_location(const xctx_t *c) {
  const char *what = "when instantiating macro:";
  for (int k = c->macro_depth - 1; k >= 0; k--) {
    const macro_t *m = c->mstack[k];
    fprintf(stderr, "%s %s (%s)\n", what, m->name, m->file != NULL ? m->file->name : "???");
    what = "instantiated from:";
  }
  what = c->macro_depth > 0 ? "in file:" : "when processing file:";
  for (int k = c->inc_depth; k >= 0; k--) {
    fprintf(stderr, "%s %s\n", what, c->inc_stack[k]->name);
    what = "included from:";
  }
}

/* ---- eval_text ------------------------------------------------------------------------- */

int dtw__xtext_eval(xctx_t *c, scope_t *s, const char *text, size_t len, dtw__xval_t *out,
                    char *msg, size_t msglen) {
  dtw__xbuf_t buf = {0};
  dtw__xval_t single;
  int ntok = 0, r = 0;
  size_t i = 0;
  memset(&single, 0, sizeof single);
  memset(out, 0, sizeof *out);
  while (i < len) {
    dtw__xval_t v;
    memset(&v, 0, sizeof v);
    if (text[i] != '$') {
      /* TEXT: a run without '$' */
      const char *d = memchr(text + i, '$', len - i);
      size_t n = d != NULL ? (size_t)(d - (text + i)) : len - i;
      r = dtw__xval_set_str(&v, text + i, n);
      i += n;
    } else {
      size_t k = 0;
      while (i + k < len && text[i + k] == '$') k++;
      char next = i + k < len ? text[i + k] : '\0';
      if (k >= 2 && (next == '{' || next == '(')) {
        /* $${ or $$( : one dollar less, the rest is text */
        r = dtw__xval_set_str(&v, text + i + 1, k);
        i += k + 1;
      } else if (k == 1 && (next == '{' || next == '(')) {
        char close = next == '{' ? '}' : ')';
        const char *end = memchr(text + i + 2, close, len - i - 2);
        if (end == NULL) {
          r = dtw_errf(msg, msglen, DTW_EPARSE, "invalid expression: unterminated '$%c' in '%.60s'",
                       next, text + i);
          goto fail;
        }
        size_t ilen = (size_t)(end - (text + i + 2));
        dtw__xval_t inner;
        char *istr = NULL;
        size_t islen = 0;
        /* substitutions inside the braces first, as xacro does */
        if ((r = dtw__xtext_eval(c, s, text + i + 2, ilen, &inner, msg, msglen)) < 0) goto fail;
        r = dtw__xval_to_str(&inner, &istr, &islen);
        dtw__xval_fini(&inner);
        if (r < 0) goto nomem;
        if (close == '}') {
          lookup_user_t u = {c, s, 0};
          dtw__xexpr_ctx_t ectx = {.lookup = lookup_cb, .user = &u, .budget = &c->work,
                                   .xcall = xcall, .ns_lookup = ns_lookup_cb};
          char emsg[640];
          r = dtw__xexpr_eval(istr, islen, &ectx, &v, emsg, sizeof emsg);
          if (r < 0) {
            if (strstr(emsg, "when evaluating") != NULL)
              dtw_errf(msg, msglen, r, "%s", emsg);
            else if (islen > 100)
              dtw_errf(msg, msglen, r, "%s when evaluating '${%.90s...}'", emsg, istr);
            else
              dtw_errf(msg, msglen, r, "%s when evaluating '${%s}'", emsg, istr);
          }
        } else {
          r = eval_extension(c, s, istr, &v, msg, msglen);
        }
        free(istr);
        if (r < 0) goto fail;
        i = (size_t)(end - text) + 1;
      } else if (k == 1) {
        /* '$' followed by text (not { ( $), or a lone '$' at the end */
        size_t j = i + 1;
        while (j < len && text[j] != '$' && text[j] != '{' && text[j] != '(') j++;
        if (j == i + 1 && j < len) {
          r = dtw_errf(msg, msglen, DTW_EPARSE, "invalid expression: '%.60s'", text + i);
          goto fail;
        }
        r = dtw__xval_set_str(&v, text + i, j - i);
        i = j;
      } else {
        r = dtw_errf(msg, msglen, DTW_EPARSE,
                     "invalid expression: '%.60s' ($$ must be followed by { or ( to escape it)",
                     text + i);
        goto fail;
      }
    }
    if (r < 0) goto nomem;
    ntok++;
    if (ntok == 1) {
      single = v;
      continue;
    }
    if (ntok == 2) {
      dtw__xbuf_value(&buf, &single, 0);
      dtw__xval_fini(&single);
    }
    dtw__xbuf_value(&buf, &v, 0);
    dtw__xval_fini(&v);
    if (buf.err != 0) {
      r = buf.err == DTW_ERANGE
              ? dtw_errf(msg, msglen, DTW_ERANGE, "text longer than %zu bytes", (size_t)DTW__XSTR_MAX)
              : dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
      goto fail;
    }
  }
  if (ntok == 0)
    return dtw__xval_set_str(out, "", 0) < 0 ? dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory")
                                             : 0;
  if (ntok == 1) {
    *out = single;
    return 0;
  }
  out->kind = DTW__XV_STR;
  out->s = buf.s;
  out->len = buf.len;
  return 0;
nomem:
  r = dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
fail:
  dtw__xval_fini(&single);
  free(buf.s);
  return r;
}
