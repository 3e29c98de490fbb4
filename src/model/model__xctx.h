/* model__xctx.h - the xacro expander's state, shared by xacro.c (elements, scopes,
 * macros) and xacro_text.c (text evaluation, substitution args, xacro.* functions).
 *
 * Scoping follows ros/xacro: properties live in a chain of tables (a macro call
 * opens a table whose parent is the caller's: dynamic scope), macros in a parallel
 * chain; include ns="N" makes a namespace table N for both. */
#ifndef DTW_MODEL__XCTX_H
#define DTW_MODEL__XCTX_H

#include <stddef.h>

#include <libxml/tree.h>

#include "dtw/xacro.h"
#include "model__xacro.h"

typedef struct xfile {
  char *name; /* path used in messages */
  char *real; /* realpath, for include cycles; may equal name */
  char *dir;  /* base for relative includes and load_yaml */
  xmlDocPtr doc;
  struct xfile *next;
} xfile_t;

typedef enum { ENT_VALUE, ENT_LAZY, ENT_BLOCK, ENT_NS } ent_kind_t;

struct scope;

typedef struct entry {
  char *name; /* blocks are stored as "*name" (one element) or "**name" (children) */
  ent_kind_t kind;
  dtw__xval_t val;     /* ENT_VALUE */
  char *text;          /* ENT_LAZY: unevaluated text */
  int resolving;       /* ENT_LAZY: being evaluated (cycle check) */
  xmlNodePtr block;    /* ENT_BLOCK */
  int expanded;        /* ENT_BLOCK: nodes are output (copied, evaluated again) or source */
  xfile_t *file;       /* ENT_BLOCK source file */
  struct scope *ns;    /* ENT_NS: namespace table (owned by the context) */
  struct entry *next;
} entry_t;

typedef struct scope {
  struct scope *parent;
  entry_t *head;
  int is_ns; /* made by include ns= */
  struct scope *next_ns; /* namespace scopes: owned by the context's list, not the entry */
} scope_t;

typedef struct param {
  char *name; /* without the '*' */
  int block;  /* 0 value, 1 '*', 2 '**' */
  int forward;
  char *def; /* NULL = no default */
} param_t;

typedef struct macro {
  char *name;
  xmlNodePtr body;
  xfile_t *file;
  param_t *params;
  size_t n_params;
  struct macro *next;
} macro_t;

typedef struct mtable {
  struct mtable *parent;
  macro_t *head;
  macro_t *retired; /* replaced definitions, freed with the table */
  struct mns {
    char *name;
    struct mtable *t;
    struct mns *next;
  } *ns;
} mtable_t;

typedef struct xarg {
  char *name;
  char *value;
  struct xarg *next;
} xarg_t;

/* Where an element is processed: its file, property scope and macro table. */
typedef struct env {
  xfile_t *f;
  scope_t *s;
  mtable_t *mt;
} env_t;

#define XACRO_MAX_STACK 256

typedef struct xctx {
  const dtw_xacro_opts_t *opts;
  xmlDocPtr out;
  xfile_t *files;
  xfile_t *inc_stack[XACRO_MAX_STACK]; /* ros/xacro's filestack: includes only */
  int inc_depth;                       /* index of the top of inc_stack */
  const macro_t *mstack[XACRO_MAX_STACK];
  int max_inc, max_macro;
  int depth, macro_depth, lazy_depth;
  const char *resolving[128]; /* lazy properties being evaluated, for cycle messages */
  xarg_t *args;
  scope_t global;
  scope_t *ns_scopes; /* every namespace table, freed at the end (a redefined name may still
                         be in use by a macro running in it) */
  mtable_t macros;
  xmlNodePtr barrier; /* comment removal stops here (ros/xacro's marker text node) */
  xmlNodePtr floor;   /* ... and at the start of the sibling list being processed */
  long work;          /* budget: processed nodes, expression steps */
  long nodes_left;    /* budget: output nodes */
  long bytes_left;    /* budget: output text */
  char *err;
  size_t errlen;
} xctx_t;

#define XACRO_MAX_DEPTH 512      /* element + macro nesting while expanding */
#define XACRO_MAX_OUT_DEPTH 1024 /* depth of the output tree */
#define XACRO_MAX_LAZY_DEPTH 100 /* properties defined through other properties */
#define XACRO_DEFAULT_MAX_NODES 1000000L
#define XACRO_MAX_FILE_BYTES (64L << 20)
#define XACRO_MAX_GLOB 256

/* ---- xacro_scope.c: helpers ---- */
char *dtw__xstrndup(const char *s, size_t n);
char *dtw__xstrdup(const char *s);
long dtw__xline(xmlNodePtr n);
/* "file:line: message" into c->err; returns code. */
int dtw__xerr(xctx_t *c, const xfile_t *f, xmlNodePtr n, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A xacro prefix ("xacro", any URI) or a known xacro URI (any prefix). */
int dtw__xis_xacro_ns(const xmlNs *ns);
/* The xacro local name of an element ("property"), or NULL for a plain element. */
const char *dtw__xname(xmlNodePtr n);
int dtw__xis_xacro_attr(xmlAttrPtr a);
/* Plain attribute name's value, or NULL; dtw__xattr_xacro: the xacro:name attribute's. */
const char *dtw__xattr(xmlNodePtr n, const char *name);
const char *dtw__xattr_xacro(xmlNodePtr n, const char *name);
/* Charge the budgets; DTW_ERANGE with a located message when spent. */
int dtw__xspend_work(xctx_t *c, const xfile_t *f, xmlNodePtr n, long units);
int dtw__xspend_output(xctx_t *c, const xfile_t *f, xmlNodePtr n, long nodes, size_t bytes);
/* A Python identifier that is not a keyword (ros/xacro's is_valid_name). */
int dtw__xis_identifier(const char *s);

/* ---- xacro_scope.c: property tables and args ---- */
void dtw__xentry_clear(entry_t *e);
void dtw__xscope_fini(scope_t *s);
entry_t *dtw__xscope_find_local(scope_t *s, const char *name);
entry_t *dtw__xscope_find(scope_t *s, const char *name, scope_t **owner);
/* The entry for name in s, new or reset to empty; NULL when out of memory. */
entry_t *dtw__xscope_slot(scope_t *s, const char *name);
/* xacro's Table._setitem: literal conversion, then lazy if still text and allowed.
 * Takes *val. DTW_ENOMEM, DTW_EUNSUP (a namespace value). */
int dtw__xscope_set(scope_t *s, const char *name, dtw__xval_t *val, int lazy);
/* Value of property name seen from scope s, evaluating a lazy definition in its own
 * table. DTW__XNOTFOUND (no message) when undefined. */
int dtw__xprop_resolve(xctx_t *c, scope_t *s, const char *name, dtw__xval_t *out, char *msg,
                       size_t msglen);
const char *dtw__xarg_find(const xctx_t *c, const char *name);
int dtw__xarg_add(xctx_t *c, const char *name, size_t nlen, const char *value, size_t vlen);

/* ---- xacro_macro.c ---- */
void dtw__xmt_fini(mtable_t *t);
int dtw__xdefine_macro(xctx_t *c, const env_t *env, xmlNodePtr n);
/* A call of macro name (via_call: xacro:call, whose macro= is not a parameter). */
int dtw__xmacro_call(xctx_t *c, const env_t *env, xmlNodePtr n, const char *name, xmlNodePtr out,
                     xmlNodePtr ns_target, int via_call);

/* ---- xacro_file.c ---- */
/* Read a whole regular file; DTW_ENOENT / DTW_EIO / DTW_ERANGE with errno text in msg. */
int dtw__xread_file(const char *path, char **data, size_t *len, char *msg, size_t msglen);
/* Parse data into f->doc; "name:line: XML error: ..." in c->err on failure. */
int dtw__xparse_xml(xctx_t *c, xfile_t *f, const char *data, size_t len);
/* A new file record (name, directory, realpath) in c's list; NULL when out of memory. */
xfile_t *dtw__xfile_new(xctx_t *c, const char *name);
/* eval_text to a malloc'd string / to get_boolean_value, "file:line: what: msg" on error. */
int dtw__xeval_str(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                   char **out, size_t *olen);
int dtw__xeval_bool(xctx_t *c, const env_t *env, xmlNodePtr n, const char *what, const char *text,
                    int *out);

/* ---- xacro.c ---- */
/* Expand src's children into out. attr_target: the output element xacro:attribute sets
 * attributes on (NULL when the parent is a xacro element, which ros/xacro drops);
 * ns_target: where namespace declarations of included files and macro bodies go. */
int dtw__xprocess_children(xctx_t *c, const env_t *env, xmlNodePtr src, xmlNodePtr out,
                           xmlNodePtr attr_target, xmlNodePtr ns_target);
/* ros/xacro's import_xml_namespaces: declarations of src (not xacro's) onto dst. */
void dtw__xlift_namespaces(xmlNodePtr dst, xmlNodePtr src);

/* ---- xacro_text.c ---- */
/* xacro's eval_text: ${expr}, $(ext), $${ / $$( escapes, plain text. A text that
 * is exactly one ${...} keeps the value's type; anything else becomes a str.
 * msg gets a message without location. */
int dtw__xtext_eval(xctx_t *c, scope_t *s, const char *text, size_t len, dtw__xval_t *out,
                    char *msg, size_t msglen);
/* Directory of package pkg (malloc'd) or NULL with msg naming the path searched. */
char *dtw__xfind_package(xctx_t *c, const char *pkg, char *msg, size_t msglen);
/* Print ros/xacro's location report (macro and include stack) to stderr. */
void dtw__xprint_location(const xctx_t *c);

#endif /* DTW_MODEL__XCTX_H */
