/* Robot emulator: the CSV recording a replay publishes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "robot__emu.h"

#define MAX_COLS 129 /* time + 64 positions + 64 velocities */
#define CELL_MAX 128

/* One line at a time out of a buffer (handles \n and \r\n). */
typedef struct line_iter {
  const char *p, *end;
  size_t lineno;
} line_iter_t;

static bool next_line(line_iter_t *it, const char **start, size_t *len) {
  if (it->p >= it->end) return false;
  const char *s = it->p;
  const char *nl = memchr(s, '\n', (size_t)(it->end - s));
  const char *e = nl ? nl : it->end;
  it->p = nl ? nl + 1 : it->end;
  it->lineno++;
  if (e > s && e[-1] == '\r') e--;
  *start = s;
  *len = (size_t)(e - s);
  return true;
}

static bool skippable(const char *s, size_t len) {
  while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
  return len == 0 || *s == '#';
}

/* Split a line at commas into trimmed cells (copied, NUL-terminated).
 * Returns the number of cells, or -1 when a cell or the count is too large. */
static int split_cells(const char *s, size_t len, char (*cells)[CELL_MAX], int max_cells) {
  int n = 0;
  size_t i = 0;
  for (;;) {
    size_t j = i;
    while (j < len && s[j] != ',') j++;
    size_t a = i, b = j;
    while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    if (n >= max_cells || b - a >= CELL_MAX) return -1;
    memcpy(cells[n], s + a, b - a);
    cells[n][b - a] = '\0';
    n++;
    if (j >= len) break;
    i = j + 1;
  }
  return n;
}

static int find_known(const char *name, const char *const *known, size_t n_known) {
  for (size_t i = 0; i < n_known; i++)
    if (strcmp(name, known[i]) == 0) return (int)i;
  return -1;
}

void dtw__replay_fini(dtw__replay_t *r) {
  free(r->names);
  free(r->model_index);
  free(r->time_s);
  free(r->position);
  free(r->velocity);
  memset(r, 0, sizeof *r);
}

/* Column roles from the header. */
typedef struct columns {
  int n;
  int joint[MAX_COLS];   /* replay joint index */
  bool is_vel[MAX_COLS];
} columns_t;

static int parse_header(const char *name, size_t lineno, char (*cells)[CELL_MAX], int n,
                        const char *const *known, size_t n_known, dtw__replay_t *r,
                        columns_t *cols, char *err, size_t errlen) {
  if (n < 2 || strcmp(cells[0], "time_s") != 0)
    return dtw_errf(err, errlen, DTW_EPARSE,
                    "%s:%zu: missing header: the first line must be time_s,<joint>,... "
                    "(found '%s')",
                    name, lineno, cells[0]);
  cols->n = n;
  /* positions first, so velocity columns can refer to any of them */
  for (int c = 1; c < n; c++) {
    size_t len = strlen(cells[c]);
    static const char k_vel[] = ".velocity";
    size_t vl = sizeof k_vel - 1;
    cols->is_vel[c] = len > vl && strcmp(cells[c] + len - vl, k_vel) == 0;
    if (cols->is_vel[c]) continue;
    int m = find_known(cells[c], known, n_known);
    if (m < 0)
      return dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: column %d: unknown joint '%s'", name,
                      lineno, c + 1, cells[c]);
    for (size_t k = 0; k < r->n_joints; k++)
      if (strcmp(r->names[k], cells[c]) == 0)
        return dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: column %d: joint '%s' appears twice",
                        name, lineno, c + 1, cells[c]);
    snprintf(r->names[r->n_joints], sizeof r->names[0], "%s", cells[c]);
    r->model_index[r->n_joints] = m;
    cols->joint[c] = (int)r->n_joints++;
  }
  for (int c = 1; c < n; c++) {
    if (!cols->is_vel[c]) continue;
    size_t base = strlen(cells[c]) - strlen(".velocity");
    cells[c][base] = '\0';
    cols->joint[c] = -1;
    for (size_t k = 0; k < r->n_joints; k++)
      if (strcmp(r->names[k], cells[c]) == 0) cols->joint[c] = (int)k;
    if (cols->joint[c] < 0)
      return dtw_errf(err, errlen, DTW_EPARSE,
                      "%s:%zu: column %d: velocity of '%s', which has no position column%s", name,
                      lineno, c + 1, cells[c],
                      find_known(cells[c], known, n_known) < 0 ? " (and is not a joint)" : "");
    r->has_velocity = true;
  }
  if (r->n_joints == 0)
    return dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: header names no joint position column",
                    name, lineno);
  return 0;
}

static int parse_number(const char *cell, double *out) {
  if (cell[0] == '\0') return -1;
  char *end;
  errno = 0;
  double v = strtod(cell, &end);
  if (*end != '\0' || errno == ERANGE || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int dtw__replay_parse(const char *data, size_t len, const char *name, const char *const *known,
                      size_t n_known, dtw__replay_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  char(*cells)[CELL_MAX] = malloc(MAX_COLS * sizeof *cells);
  if (cells == NULL) return DTW_ENOMEM;
  dtw__replay_t r = {0};
  columns_t cols = {0};
  line_iter_t it = {data, data + len, 0};
  const char *s;
  size_t sl;

  /* the header: the first line that is not blank or a comment */
  bool have_header = false;
  while (next_line(&it, &s, &sl)) {
    if (skippable(s, sl)) continue;
    have_header = true;
    break;
  }
  if (!have_header) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: missing header (empty file)", name,
                  it.lineno > 0 ? it.lineno : 1);
    goto out;
  }
  size_t header_line = it.lineno;
  int n = split_cells(s, sl, cells, MAX_COLS);
  if (n < 0) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: header has too many or too long columns",
                  name, header_line);
    goto out;
  }
  r.names = calloc(MAX_COLS, sizeof *r.names);
  r.model_index = calloc(MAX_COLS, sizeof *r.model_index);
  if (r.names == NULL || r.model_index == NULL) {
    rc = DTW_ENOMEM;
    goto out;
  }
  if ((rc = parse_header(name, header_line, cells, n, known, n_known, &r, &cols, err, errlen)) < 0)
    goto out;

  /* size the rows, then fill them */
  line_iter_t count_it = it;
  size_t rows = 0;
  while (next_line(&count_it, &s, &sl))
    if (!skippable(s, sl)) rows++;
  if (rows == 0) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: no rows after the header", name,
                  header_line);
    goto out;
  }
  r.time_s = calloc(rows, sizeof(double));
  r.position = calloc(rows * r.n_joints, sizeof(double));
  if (r.has_velocity) r.velocity = calloc(rows * r.n_joints, sizeof(double));
  if (r.time_s == NULL || r.position == NULL || (r.has_velocity && r.velocity == NULL)) {
    rc = DTW_ENOMEM;
    goto out;
  }
  while (next_line(&it, &s, &sl)) {
    if (skippable(s, sl)) continue;
    int m = split_cells(s, sl, cells, MAX_COLS);
    if (m != cols.n) {
      rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: %d cells, the header has %d", name,
                    it.lineno, m < 0 ? MAX_COLS + 1 : m, cols.n);
      goto out;
    }
    size_t row = r.n_rows;
    for (int c = 0; c < m; c++) {
      double v;
      if (parse_number(cells[c], &v) < 0) {
        rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: column %d: '%s' is not a number", name,
                      it.lineno, c + 1, cells[c]);
        goto out;
      }
      if (c == 0)
        r.time_s[row] = v;
      else if (cols.is_vel[c])
        r.velocity[row * r.n_joints + (size_t)cols.joint[c]] = v;
      else
        r.position[row * r.n_joints + (size_t)cols.joint[c]] = v;
    }
    if (row > 0 && !(r.time_s[row] > r.time_s[row - 1])) {
      rc = dtw_errf(err, errlen, DTW_EPARSE,
                    "%s:%zu: time_s %g is not after the previous row's %g (times must increase)",
                    name, it.lineno, r.time_s[row], r.time_s[row - 1]);
      goto out;
    }
    if (row == 0 && r.time_s[0] < 0) {
      rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%zu: time_s %g is negative", name, it.lineno,
                    r.time_s[0]);
      goto out;
    }
    r.n_rows++;
  }
  *out = r;
  memset(&r, 0, sizeof r);
out:
  dtw__replay_fini(&r);
  free(cells);
  return rc;
}

int dtw__replay_load(const char *path, const char *const *known, size_t n_known,
                     dtw__replay_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return dtw_errf(err, errlen, errno == ENOENT ? DTW_ENOENT : DTW_EIO, "%s: %s", path,
                    strerror(errno));
  int rc = 0;
  char *buf = NULL;
  long size;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    rc = dtw_errf(err, errlen, DTW_EIO, "%s: cannot read: %s", path, strerror(errno));
    goto out;
  }
  buf = malloc((size_t)size + 1);
  if (buf == NULL) {
    rc = DTW_ENOMEM;
    goto out;
  }
  if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
    rc = dtw_errf(err, errlen, DTW_EIO, "%s: short read", path);
    goto out;
  }
  rc = dtw__replay_parse(buf, (size_t)size, path, known, n_known, out, err, errlen);
out:
  free(buf);
  fclose(f);
  return rc;
}
