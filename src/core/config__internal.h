/* Internal layout of the configuration store, shared by config.c (tables,
 * loading, overrides, reading) and config_write.c (dump and docs). */
#ifndef DTW_CORE__CONFIG_H
#define DTW_CORE__CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dtw/config.h"

#define NAME_LEN 256 /* longest dotted parameter name we look up */
#define MSG_LEN 768  /* one problem's text */

/* One parameter value; strings (STRING and ENUM) are owned. */
typedef struct {
  bool set;
  bool b;
  int64_t i;
  double d;
  char *s;
} val_t;

typedef struct {
  const dtw_param_table_t *table;
  val_t *file; /* from parameter files, n_params */
  val_t *over; /* from dtw_config_set, n_params */
} cfg_node_t;

struct dtw_config {
  cfg_node_t *nodes;
  size_t n_nodes;
  size_t cap;
};

/* "qos__joint_states" -> "qos.joint_states" */
void dtw__config_dotted_name(const char *cname, char *buf, size_t len);
bool dtw__config_has_range(const dtw_param_spec_t *sp);
void dtw__config_fmt_num(double v, char *buf, size_t len);
const char *dtw__config_type_name(dtw_param_type_t t);
/* What a STRING parameter's format means in words, or NULL (no or unknown format). */
const char *dtw__config_format_name(const char *format);
/* The parameter's default as a value (strings malloc'd: dtw__config_val_clear). */
int dtw__config_default_value(const dtw_param_spec_t *sp, val_t *out, char *msg, size_t msglen);
void dtw__config_val_clear(val_t *v);
/* "an integer in [1, 10]", "one of: a, b": what a parameter accepts. */
void dtw__config_describe_expected(const dtw_param_spec_t *sp, char *buf, size_t len);
/* Scalar text (quoted: it was a quoted scalar) to a checked value of the parameter's
 * type; on failure msg says "what (expected ...)" and the code is EPARSE or ERANGE. */
int dtw__config_value_from_scalar(const dtw_param_spec_t *sp, const char *text, bool quoted,
                                  val_t *out, char *msg, size_t msglen);
/* Value into the struct field at base + sp->offset. */
void dtw__config_store_value(const dtw_param_spec_t *sp, const val_t *v, void *base);
/* Value as YAML text that reads back the same. */
void dtw__config_write_value(FILE *out, const dtw_param_spec_t *sp, const val_t *v);

#endif /* DTW_CORE__CONFIG_H */
