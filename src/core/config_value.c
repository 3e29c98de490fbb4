/* Parameter values: text to typed value with the type, range, choice and
 * format checks (the one place they are made), defaults, and reading or
 * writing one parameter of a settings struct (dtw/config.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config__internal.h"
#include "dtw/config.h"
#include "dtw/err.h"
#include "dtw/ros_names.h"
#include "dtw/yaml.h"

void dtw__config_val_clear(val_t *v) {
  free(v->s);
  memset(v, 0, sizeof *v);
}

/* C field name -> file name: "qos__joint_states" -> "qos.joint_states". */
void dtw__config_dotted_name(const char *cname, char *buf, size_t len) {
  size_t o = 0;
  for (const char *p = cname; *p != '\0' && o + 1 < len; p++) {
    if (p[0] == '_' && p[1] == '_') {
      buf[o++] = '.';
      p++;
    } else {
      buf[o++] = *p;
    }
  }
  buf[o] = '\0';
}

static bool name_matches(const char *cname, const char *dotted) {
  char buf[NAME_LEN];
  dtw__config_dotted_name(cname, buf, sizeof buf);
  return strcmp(buf, dotted) == 0;
}

int dtw_param_find(const dtw_param_table_t *t, const char *dotted) {
  if (t == NULL || dotted == NULL) return -1;
  for (size_t i = 0; i < t->n_params; i++)
    if (name_matches(t->params[i].name, dotted)) return (int)i;
  return -1;
}


/* ---- values ---- */

bool dtw__config_has_range(const dtw_param_spec_t *sp) { return !(sp->min == 0 && sp->max == 0); }

void dtw__config_fmt_num(double v, char *buf, size_t len) { snprintf(buf, len, "%.15g", v); }

const char *dtw__config_type_name(dtw_param_type_t t) {
  switch (t) {
  case DTW_PT_BOOL: return "bool";
  case DTW_PT_INT: return "int";
  case DTW_PT_DOUBLE: return "double";
  case DTW_PT_STRING: return "string";
  case DTW_PT_ENUM: return "enum";
  }
  return "?";
}

/* "choices" a|b|c written as "a, b, c". */
static void list_choices(const char *choices, char *buf, size_t len) {
  size_t o = 0;
  for (const char *p = choices != NULL ? choices : ""; *p != '\0' && o + 3 < len; p++) {
    if (*p == '|') {
      buf[o++] = ',';
      buf[o++] = ' ';
    } else {
      buf[o++] = *p;
    }
  }
  buf[o] = '\0';
}

/* What a parameter accepts, for "(expected ...)". */
void dtw__config_describe_expected(const dtw_param_spec_t *sp, char *buf, size_t len) {
  char lo[32], hi[32], ch[256];
  dtw__config_fmt_num(sp->min, lo, sizeof lo);
  dtw__config_fmt_num(sp->max, hi, sizeof hi);
  switch (sp->type) {
  case DTW_PT_BOOL:
    snprintf(buf, len, "true or false");
    break;
  case DTW_PT_INT:
    if (dtw__config_has_range(sp))
      snprintf(buf, len, "an integer in [%s, %s]", lo, hi);
    else
      snprintf(buf, len, "an integer");
    break;
  case DTW_PT_DOUBLE:
    if (dtw__config_has_range(sp))
      snprintf(buf, len, "a number in [%s, %s]", lo, hi);
    else
      snprintf(buf, len, "a number");
    break;
  case DTW_PT_STRING:
    if (dtw__config_has_range(sp))
      snprintf(buf, len, "a string of length [%s, %s]", lo, hi);
    else
      snprintf(buf, len, "a string of at most %zu characters", sp->size > 0 ? sp->size - 1 : 0);
    break;
  case DTW_PT_ENUM:
    list_choices(sp->choices, ch, sizeof ch);
    snprintf(buf, len, "one of: %s", ch);
    break;
  }
}

static bool is_choice(const char *choices, const char *text) {
  size_t tl = strlen(text);
  const char *p = choices != NULL ? choices : "";
  for (;;) {
    const char *bar = strchr(p, '|');
    size_t l = bar != NULL ? (size_t)(bar - p) : strlen(p);
    if (l == tl && strncmp(p, text, l) == 0) return true;
    if (bar == NULL) return false;
    p = bar + 1;
  }
}

/* [-+]?[0-9]+: a decimal integer, whatever its size */
static bool is_decimal(const char *text) {
  if (*text == '-' || *text == '+') text++;
  size_t digits = strspn(text, "0123456789");
  return digits > 0 && text[digits] == '\0';
}

/* ---- string formats ------------------------------------------------------
 * A STRING parameter whose choices field names a format ("@ros_node_name",
 * "@ros_namespace", "@ros_remappings") is checked with the rules the node will
 * apply when it starts, so `config check` refuses what the node would refuse. */
const char *dtw__config_format_name(const char *format) {
  if (format == NULL) return NULL;
  if (strcmp(format, DTW_FORMAT_ROS_NODE_NAME) == 0) return "a ROS 2 node name";
  if (strcmp(format, DTW_FORMAT_ROS_NAMESPACE) == 0) return "a ROS 2 namespace";
  if (strcmp(format, DTW_FORMAT_ROS_REMAPPINGS) == 0) return "ROS 2 remapping rules from:=to";
  return NULL;
}

static int check_format(const char *format, const char *text, char *msg, size_t msglen) {
  char why[256] = "";
  int rc = 0;
  if (format == NULL || format[0] != '@') return 0;
  if (strcmp(format, DTW_FORMAT_ROS_NODE_NAME) == 0) {
    rc = dtw_ros_validate_node_name(text, why, sizeof why);
  } else if (strcmp(format, DTW_FORMAT_ROS_NAMESPACE) == 0) {
    rc = dtw_ros_validate_namespace(text, why, sizeof why);
  } else if (strcmp(format, DTW_FORMAT_ROS_REMAPPINGS) == 0) {
    char rule[DTW_PARAM_STRING_MAX];
    for (const char *p = text; *p != '\0' && rc == 0;) {
      size_t n = strcspn(p, " \t");
      if (n > 0 && n < sizeof rule) {
        dtw_ros_remap_t r;
        memcpy(rule, p, n);
        rule[n] = '\0';
        rc = dtw_ros_remap_parse(rule, &r, why, sizeof why);
      }
      p += n;
      p += strspn(p, " \t");
    }
  }
  if (rc < 0) return dtw_errf(msg, msglen, DTW_EINVAL, "%s", why);
  return 0;
}

int dtw__config_value_from_scalar(const dtw_param_spec_t *sp, const char *text, bool quoted,
                             val_t *out, char *msg, size_t msglen) {
  char exp[320];
  val_t v = {.set = true};
  dtw__config_describe_expected(sp, exp, sizeof exp);
  switch (sp->type) {
  case DTW_PT_BOOL:
    if (quoted || dtw_yaml_parse_bool(text, &v.b) < 0)
      return dtw_errf(msg, msglen, DTW_EPARSE, "'%.64s' is not a boolean (expected %s)", text,
                      exp);
    break;
  case DTW_PT_INT: {
    double d;
    if (quoted)
      return dtw_errf(msg, msglen, DTW_EPARSE, "'%.64s' is a quoted string (expected %s)", text,
                      exp);
    if (dtw_yaml_parse_int64(text, &v.i) < 0) {
      if (is_decimal(text))
        return dtw_errf(msg, msglen, DTW_ERANGE,
                        "%.64s is outside the 64-bit integer range (expected %s)", text, exp);
      if (dtw_yaml_parse_double(text, &d) == 0)
        return dtw_errf(msg, msglen, DTW_EPARSE, "%.64s is not an integer (expected %s)", text,
                        exp);
      return dtw_errf(msg, msglen, DTW_EPARSE, "'%.64s' is not an integer (expected %s)", text,
                      exp);
    }
    if (dtw__config_has_range(sp) && ((double)v.i < sp->min || (double)v.i > sp->max))
      return dtw_errf(msg, msglen, DTW_ERANGE, "%" PRId64 " is out of range (expected %s)", v.i,
                      exp);
    break;
  }
  case DTW_PT_DOUBLE:
    if (quoted)
      return dtw_errf(msg, msglen, DTW_EPARSE, "'%.64s' is a quoted string (expected %s)", text,
                      exp);
    if (dtw_yaml_parse_double(text, &v.d) < 0)
      return dtw_errf(msg, msglen, DTW_EPARSE, "'%.64s' is not a number (expected %s)", text,
                      exp);
    if (isnan(v.d))
      return dtw_errf(msg, msglen, DTW_ERANGE, "NaN is not allowed (expected %s)", exp);
    if (dtw__config_has_range(sp) && (v.d < sp->min || v.d > sp->max))
      return dtw_errf(msg, msglen, DTW_ERANGE, "%.64s is out of range (expected %s)", text, exp);
    break;
  case DTW_PT_STRING: {
    size_t l = strlen(text);
    if (l >= sp->size)
      return dtw_errf(msg, msglen, DTW_ERANGE,
                      "string of %zu characters is too long (expected %s)", l, exp);
    if (dtw__config_has_range(sp) && ((double)l < sp->min || (double)l > sp->max))
      return dtw_errf(msg, msglen, DTW_ERANGE,
                      "string of %zu characters is out of range (expected %s)", l, exp);
    int rc = check_format(sp->choices, text, msg, msglen);
    if (rc < 0) return rc;
    break;
  }
  case DTW_PT_ENUM:
    if (!is_choice(sp->choices, text) || strlen(text) >= sp->size)
      return dtw_errf(msg, msglen, DTW_ERANGE, "'%.64s' is not a valid choice (expected %s)",
                      text, exp);
    break;
  default:
    return dtw_errf(msg, msglen, DTW_EINVAL, "parameter has an unknown type");
  }
  if (sp->type == DTW_PT_STRING || sp->type == DTW_PT_ENUM) {
    v.s = strdup(text);
    if (v.s == NULL) return dtw_errf(msg, msglen, DTW_ENOMEM, "out of memory");
  }
  *out = v;
  return 0;
}

int dtw__config_default_value(const dtw_param_spec_t *sp, val_t *out, char *msg, size_t msglen) {
  bool text_type = sp->type == DTW_PT_STRING || sp->type == DTW_PT_ENUM;
  return dtw__config_value_from_scalar(sp, sp->def != NULL ? sp->def : "", text_type, out, msg, msglen);
}

void dtw__config_store_value(const dtw_param_spec_t *sp, const val_t *v, void *base) {
  char *field = (char *)base + sp->offset;
  switch (sp->type) {
  case DTW_PT_BOOL: memcpy(field, &v->b, sizeof v->b); break;
  case DTW_PT_INT: memcpy(field, &v->i, sizeof v->i); break;
  case DTW_PT_DOUBLE: memcpy(field, &v->d, sizeof v->d); break;
  case DTW_PT_STRING:
  case DTW_PT_ENUM: snprintf(field, sp->size, "%s", v->s != NULL ? v->s : ""); break;
  }
}

int dtw_param_defaults(const dtw_param_table_t *table, void *out) {
  char msg[MSG_LEN];
  if (table == NULL || out == NULL) return DTW_EINVAL;
  /* check every default before writing anything */
  for (size_t i = 0; i < table->n_params; i++) {
    val_t v;
    if (table->params[i].def == NULL) continue; /* required: no default */
    if (dtw__config_default_value(&table->params[i], &v, msg, sizeof msg) < 0) return DTW_EINVAL;
    dtw__config_val_clear(&v);
  }
  memset(out, 0, table->struct_size);
  for (size_t i = 0; i < table->n_params; i++) {
    val_t v;
    if (table->params[i].def == NULL) continue;
    if (dtw__config_default_value(&table->params[i], &v, msg, sizeof msg) < 0) return DTW_ENOMEM;
    dtw__config_store_value(&table->params[i], &v, out);
    dtw__config_val_clear(&v);
  }
  return 0;
}

/* ---- one parameter of a struct, for readers with their own file layout ---- */

/* A value of the struct's field, strings borrowed (not to be cleared). */
static void load_value(const dtw_param_spec_t *sp, const void *base, val_t *v) {
  const char *field = (const char *)base + sp->offset;
  memset(v, 0, sizeof *v);
  v->set = true;
  switch (sp->type) {
  case DTW_PT_BOOL: memcpy(&v->b, field, sizeof v->b); break;
  case DTW_PT_INT: memcpy(&v->i, field, sizeof v->i); break;
  case DTW_PT_DOUBLE: memcpy(&v->d, field, sizeof v->d); break;
  case DTW_PT_STRING:
  case DTW_PT_ENUM: v->s = (char *)field; break;
  }
}

int dtw_param_read_yaml(const dtw_param_spec_t *sp, const dtw_yaml_node_t *val, void *base,
                        char *msg, size_t msglen) {
  char exp[320];
  if (sp == NULL || base == NULL) return dtw_errf(msg, msglen, DTW_EINVAL, "no parameter");
  if (val == NULL) return dtw_errf(msg, msglen, DTW_EPARSE, "missing value");
  if (val->kind != DTW_YAML_SCALAR) {
    dtw__config_describe_expected(sp, exp, sizeof exp);
    return dtw_errf(msg, msglen, DTW_EPARSE, "got a %s (expected %s)",
                    val->kind == DTW_YAML_SEQUENCE ? "sequence" : "mapping", exp);
  }
  val_t v;
  int rc = dtw__config_value_from_scalar(sp, val->text, val->quoted, &v, msg, msglen);
  if (rc < 0) return rc;
  dtw__config_store_value(sp, &v, base);
  dtw__config_val_clear(&v);
  return 0;
}

int dtw_param_write_value(const dtw_param_spec_t *sp, const void *base, FILE *out) {
  val_t v;
  if (sp == NULL || base == NULL || out == NULL) return DTW_EINVAL;
  load_value(sp, base, &v);
  dtw__config_write_value(out, sp, &v);
  return ferror(out) ? DTW_EIO : 0;
}
