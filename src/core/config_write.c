/* Configuration output: `dtwin config dump` (a parameter file that reloads to
 * the same values) and `dtwin config docs` (the Markdown reference). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config__internal.h"
#include "dtw/err.h"
#include "dtw/yaml.h"

/* ---- dump ---- */

/* Shortest text that reads back as the same double, and as a float, not an int. */
static void fmt_double(double d, char *buf, size_t len) {
  if (isnan(d)) {
    snprintf(buf, len, ".nan");
    return;
  }
  if (isinf(d)) {
    snprintf(buf, len, d < 0 ? "-.inf" : ".inf");
    return;
  }
  if (d == floor(d) && fabs(d) < 1e15) { /* whole numbers read best as "250.0" */
    snprintf(buf, len, "%.1f", d);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  if (strpbrk(buf, ".e") == NULL) {
    size_t l = strlen(buf);
    if (l + 2 < len) memcpy(buf + l, ".0", 3);
  }
}

/* Length and code point of the UTF-8 sequence at p (1 and the byte itself when
 * it is not valid UTF-8: such bytes are written as they are). */
static size_t utf8_next(const unsigned char *p, uint32_t *cp) {
  size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
             : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n <= 1) {
    *cp = p[0];
    return 1;
  }
  uint32_t c = p[0] & (0x7f >> n);
  for (size_t k = 1; k < n; k++) {
    if ((p[k] & 0xc0) != 0x80) {
      *cp = p[0];
      return 1;
    }
    c = (c << 6) | (p[k] & 0x3f);
  }
  *cp = c;
  return n;
}

/* A string that a YAML reader takes back as exactly this text: quotes and
 * backslashes escaped, and every code point YAML does not keep as it is in a
 * double-quoted scalar -- controls, the line breaks NEL/LS/PS (folded into
 * spaces otherwise), the BOM and non-characters -- written as an escape. */
static void write_quoted(FILE *out, const char *s) {
  fputc('"', out);
  const unsigned char *p = (const unsigned char *)s;
  while (*p != '\0') {
    uint32_t c;
    size_t n = utf8_next(p, &c);
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", (int)c);
    else if (c == '\n')
      fputs("\\n", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c == 0x85)
      fputs("\\N", out);
    else if (c == 0x2028)
      fputs("\\L", out);
    else if (c == 0x2029)
      fputs("\\P", out);
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      fprintf(out, "\\x%02x", (unsigned)c);
    else if ((c >= 0xd800 && c < 0xe000) || c == 0xfeff || c == 0xfffe || c == 0xffff)
      fprintf(out, "\\u%04x", (unsigned)c);
    else
      fwrite(p, 1, n, out);
    p += n;
  }
  fputc('"', out);
}

/* Plain enum words stay plain; anything YAML might read differently is quoted. */
static bool plain_safe(const char *s) {
  double d;
  bool b;
  if (s[0] == '\0' || dtw_yaml_parse_double(s, &d) == 0 || dtw_yaml_parse_bool(s, &b) == 0)
    return false;
  if (!strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL") || !strcmp(s, "~"))
    return false;
  for (const char *p = s; *p != '\0'; p++) {
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p != s && ((*p >= '0' && *p <= '9') || *p == '-'));
    if (!ok) return false;
  }
  return true;
}

void dtw__config_write_value(FILE *out, const dtw_param_spec_t *sp, const val_t *v) {
  char buf[64];
  switch (sp->type) {
  case DTW_PT_BOOL: fputs(v->b ? "true" : "false", out); break;
  case DTW_PT_INT: fprintf(out, "%" PRId64, v->i); break;
  case DTW_PT_DOUBLE:
    fmt_double(v->d, buf, sizeof buf);
    fputs(buf, out);
    break;
  case DTW_PT_STRING: write_quoted(out, v->s != NULL ? v->s : ""); break;
  case DTW_PT_ENUM:
    if (v->s != NULL && plain_safe(v->s))
      fputs(v->s, out);
    else
      write_quoted(out, v->s != NULL ? v->s : "");
    break;
  }
}

/* Help text on one line (no newlines in a comment). */
static void write_oneline(FILE *out, const char *s) {
  for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) fputc(*p == '\n' ? ' ' : *p, out);
}

/* "default X, range [a, b]" */
static void write_facts(FILE *out, const dtw_param_spec_t *sp) {
  char lo[32], hi[32];
  const char *def = sp->def != NULL ? sp->def : "";
  fprintf(out, "default %s", def[0] != '\0' ? def : "\"\"");
  dtw__config_fmt_num(sp->min, lo, sizeof lo);
  dtw__config_fmt_num(sp->max, hi, sizeof hi);
  if (sp->type == DTW_PT_ENUM)
    fprintf(out, ", choices %s", sp->choices);
  else if (sp->type == DTW_PT_STRING && dtw__config_has_range(sp))
    fprintf(out, ", length [%s, %s]", lo, hi);
  else if (sp->type != DTW_PT_BOOL && sp->type != DTW_PT_STRING && dtw__config_has_range(sp))
    fprintf(out, ", range [%s, %s]", lo, hi);
  if (sp->type == DTW_PT_STRING && dtw__config_format_name(sp->choices) != NULL)
    fprintf(out, ", %s", dtw__config_format_name(sp->choices));
}

typedef struct {
  FILE *out;
  const cfg_node_t *node;
  bool *done;
} dumper_t;

/* Write every parameter under prefix ("" or "qos."), opening a nested map per group. */
static int dump_level(dumper_t *D, const char *prefix, int indent) {
  const dtw_param_table_t *t = D->node->table;
  char name[NAME_LEN], sub[NAME_LEN], msg[MSG_LEN];
  size_t pl = strlen(prefix);
  for (size_t i = 0; i < t->n_params; i++) {
    if (D->done[i]) continue;
    const dtw_param_spec_t *sp = &t->params[i];
    dtw__config_dotted_name(sp->name, name, sizeof name);
    if (strncmp(name, prefix, pl) != 0) continue;
    const char *rest = name + pl, *dot = strchr(rest, '.');
    if (dot != NULL) {
      int n = snprintf(sub, sizeof sub, "%s%.*s.", prefix, (int)(dot - rest), rest);
      if (n < 0 || (size_t)n >= sizeof sub) return DTW_EINVAL;
      fprintf(D->out, "%*s%.*s:\n", indent, "", (int)(dot - rest), rest);
      int rc = dump_level(D, sub, indent + 2);
      if (rc < 0) return rc;
      continue;
    }
    /* effective value: override, else file, else default */
    val_t def = {0};
    const val_t *v = D->node->over[i].set ? &D->node->over[i]
                     : D->node->file[i].set ? &D->node->file[i]
                                             : NULL;
    if (v == NULL) {
      int rc = dtw__config_default_value(sp, &def, msg, sizeof msg);
      if (rc < 0) return rc;
      v = &def;
    }
    fprintf(D->out, "%*s# ", indent, "");
    write_oneline(D->out, sp->help);
    fputs(" (", D->out);
    write_facts(D->out, sp);
    fprintf(D->out, ")\n%*s%s: ", indent, "", rest);
    dtw__config_write_value(D->out, sp, v);
    fputc('\n', D->out);
    dtw__config_val_clear(&def);
    D->done[i] = true;
  }
  return 0;
}

int dtw_config_dump(const dtw_config_t *cfg, FILE *out) {
  if (cfg == NULL || out == NULL) return DTW_EINVAL;
  fputs("# dtwin effective configuration (ROS 2 parameter file)\n", out);
  for (size_t n = 0; n < cfg->n_nodes; n++) {
    const dtw_param_table_t *t = cfg->nodes[n].table;
    fputs("\n# ", out);
    write_oneline(out, t->summary);
    fprintf(out, "\n%s:\n  ros__parameters:%s\n", t->node, t->n_params == 0 ? " {}" : "");
    bool *done = calloc(t->n_params + 1, sizeof *done);
    if (done == NULL) return DTW_ENOMEM;
    dumper_t D = {out, &cfg->nodes[n], done};
    int rc = dump_level(&D, "", 4);
    free(done);
    if (rc < 0) return rc;
  }
  return ferror(out) ? DTW_EIO : 0;
}

/* ---- docs ---- */

/* Table cell text: '|' would end the cell, newlines would end the row. */
static void md_cell(FILE *out, const char *s) {
  for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
    if (*p == '|')
      fputs("\\|", out);
    else
      fputc(*p == '\n' ? ' ' : *p, out);
  }
}

int dtw_param_write_md(const dtw_param_table_t *t, FILE *out) {
  char name[NAME_LEN], lo[32], hi[32];
  if (t == NULL || out == NULL) return DTW_EINVAL;
  fputs("| name | type | default | range/choices | description |\n"
        "|------|------|---------|---------------|-------------|\n",
        out);
  for (size_t i = 0; i < t->n_params; i++) {
    const dtw_param_spec_t *sp = &t->params[i];
    dtw__config_dotted_name(sp->name, name, sizeof name);
    fprintf(out, "| `%s` | %s | ", name, dtw__config_type_name(sp->type));
    if (sp->def == NULL) {
      fputs("required", out);
    } else if (sp->def[0] == '\0') {
      fputs("`\"\"`", out);
    } else {
      fputc('`', out);
      md_cell(out, sp->def);
      fputc('`', out);
    }
    fputs(" | ", out);
    dtw__config_fmt_num(sp->min, lo, sizeof lo);
    dtw__config_fmt_num(sp->max, hi, sizeof hi);
    if (sp->type == DTW_PT_ENUM) {
      for (const char *p = sp->choices; *p != '\0'; p++) {
        if (p == sp->choices) fputc('`', out);
        if (*p == '|')
          fputs("`, `", out);
        else
          fputc(*p, out);
      }
      fputc('`', out);
    } else if (sp->type == DTW_PT_STRING &&
               (dtw__config_has_range(sp) || dtw__config_format_name(sp->choices))) {
      const char *format = dtw__config_format_name(sp->choices);
      if (dtw__config_has_range(sp)) fprintf(out, "length [%s, %s]", lo, hi);
      if (format != NULL) fprintf(out, "%s%s", dtw__config_has_range(sp) ? ", " : "", format);
    } else if (sp->type != DTW_PT_BOOL && dtw__config_has_range(sp)) {
      fprintf(out, "[%s, %s]", lo, hi);
    } else {
      fputs("-", out);
    }
    fputs(" | ", out);
    md_cell(out, sp->help);
    fputs(" |\n", out);
  }
  return ferror(out) ? DTW_EIO : 0;
}

int dtw_config_write_docs(const dtw_param_table_t *const *tables, size_t n, FILE *out) {
  if ((tables == NULL && n > 0) || out == NULL) return DTW_EINVAL;
  fputs("# Configuration reference\n\n"
        "Generated from the parameter tables in the source; do not edit by hand.\n\n"
        "Settings come from a ROS 2 parameter file (`<node>: ros__parameters: {...}`; nested\n"
        "maps give dotted names; `/**` applies to every node having the parameter) and from\n"
        "`--set node.param=value`. Precedence: default < file < `--set`.\n",
        out);
  for (size_t k = 0; k < n; k++) {
    const dtw_param_table_t *t = tables[k];
    fprintf(out, "\n## %s\n\n", t->node);
    if (t->summary != NULL && t->summary[0] != '\0') {
      write_oneline(out, t->summary);
      fputs("\n\n", out);
    }
    int rc = dtw_param_write_md(t, out);
    if (rc < 0) return rc;
  }
  return ferror(out) ? DTW_EIO : 0;
}
