/* Shared benchmark helpers (bench_common.h). */
#include "bench_common.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/sim.h"

int64_t bench_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * DTW_NS_PER_S + ts.tv_nsec;
}

/* Sum of utime+stime+cutime+cstime (fields 14-17) of every live process of
 * process group pgrp. */
static unsigned long long group_ticks(pid_t pgrp) {
  unsigned long long sum = 0;
  DIR *d = opendir("/proc");
  if (d == NULL) return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[300], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name may hold spaces and parentheses: fields start after the last ')' */
    char *p = strrchr(buf, ')');
    if (p == NULL) continue;
    int g;
    unsigned long long ut, st, cut, cst;
    if (sscanf(p + 2, "%*c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &g, &ut,
               &st, &cut, &cst) == 5 &&
        g == (int)pgrp)
      sum += ut + st + cut + cst;
  }
  closedir(d);
  return sum;
}

int bench_cpu_snap(bench_cpu_snapshot_t *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return -1;
  unsigned long long v[10] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                 &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 8) return -1;
  /* user nice system idle iowait irq softirq steal: busy = all but idle and iowait */
  out->busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  out->group_ticks = group_ticks(getpgrp());
  out->ticks_per_s = sysconf(_SC_CLK_TCK);
  out->wall_ns = dtw_clock_mono_ns();
  return 0;
}

double bench_neighbour_cores(const bench_cpu_snapshot_t *a, const bench_cpu_snapshot_t *b) {
  double wall = (double)(b->wall_ns - a->wall_ns) * 1e-9;
  if (!(wall > 0) || a->ticks_per_s <= 0) return 0.0;
  double busy = (double)(b->busy_ticks - a->busy_ticks);
  double ours = (double)b->group_ticks - (double)a->group_ticks;
  double other = (busy - ours) / (double)a->ticks_per_s / wall;
  return other > 0 ? other : 0.0;
}

bool bench_disturbed(double neighbour_cores) {
  const char *env = getenv("BENCH_QUIET_CORES");
  double quiet = env != NULL ? atof(env) : 0.25;
  return neighbour_cores > quiet;
}

void bench_neighbours_line(const bench_cpu_snapshot_t *a, const bench_cpu_snapshot_t *b,
                           char *line, size_t len) {
  double c = bench_neighbour_cores(a, b);
  snprintf(line, len, "neighbours %.2f cores over %.1f s%s", c,
           (double)(b->wall_ns - a->wall_ns) * 1e-9, bench_disturbed(c) ? " (disturbed)" : "");
}

void bench_round_begin(bench_cpu_snapshot_t *snap) { bench_cpu_snap(snap); }

bool bench_round_end(const bench_cpu_snapshot_t *snap) {
  bench_cpu_snapshot_t now;
  bench_cpu_snap(&now);
  char line[160];
  bench_neighbours_line(snap, &now, line, sizeof line);
  printf("         (%s)\n", line);
  return bench_disturbed(bench_neighbour_cores(snap, &now));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  if (n <= 0) return 0.0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int bench_bare_load(bench_bare_t *b, const dtw_robot_desc_t *desc, const char *integrator,
                    const char *who) {
  char err[1000] = "";
  char path[4096];
  memset(b, 0, sizeof *b);
  mjVFS *vfs = malloc(sizeof *vfs);
  if (vfs == NULL) return DTW_ENOMEM;
  /* the MJCF text as a file in a virtual directory next to its assets */
  mj_defaultVFS(vfs);
  size_t len = strlen(desc->mjcf);
  snprintf(path, sizeof path, "%s/__bench_model__.xml", desc->base_dir ? desc->base_dir : ".");
  mj_makeEmptyFileVFS(vfs, "__bench_model__.xml", (int)len);
  memcpy(vfs->filedata[vfs->nfile - 1], desc->mjcf, len);
  /* the description's in-memory files (converted meshes), as dtw_sim_create adds them */
  for (size_t i = 0; i < desc->n_assets; i++) {
    if (mj_makeEmptyFileVFS(vfs, desc->assets[i].name, (int)desc->assets[i].size) != 0) break;
    memcpy(vfs->filedata[vfs->nfile - 1], desc->assets[i].data, desc->assets[i].size);
  }
  b->m = mj_loadXML(path, vfs, err, sizeof err);
  mj_deleteVFS(vfs);
  free(vfs);
  if (b->m == NULL) {
    fprintf(stderr, "%s: mj_loadXML: %s\n", who, err);
    return DTW_EMODEL;
  }
  if (integrator != NULL && integrator[0] != '\0' && strcmp(integrator, "model") != 0) {
    int code = dtw_sim_integrator_code(integrator);
    if (code < 0) {
      fprintf(stderr, "%s: unknown integrator '%s'\n", who, integrator);
      return DTW_EINVAL;
    }
    b->m->opt.integrator = code;
  }
  b->d = mj_makeData(b->m);
  b->ctrl = calloc((size_t)b->m->nu + 1, sizeof *b->ctrl);
  if (b->d == NULL || b->ctrl == NULL) return DTW_ENOMEM;
  bench_bare_reset(b);
  return 0;
}

void bench_bare_set_effort(bench_bare_t *b, const char *joint, double effort) {
  int jnt = mj_name2id(b->m, mjOBJ_JOINT, joint);
  for (int a = 0; jnt >= 0 && a < b->m->nu; a++) {
    if (b->m->actuator_trntype[a] != mjTRN_JOINT || b->m->actuator_trnid[2 * a] != jnt) continue;
    double u = effort / (b->m->actuator_gear[6 * a] * b->m->actuator_gainprm[mjNGAIN * a]);
    if (b->m->actuator_ctrllimited[a])
      u = fmin(fmax(u, b->m->actuator_ctrlrange[2 * a]), b->m->actuator_ctrlrange[2 * a + 1]);
    b->ctrl[a] = u;
    return;
  }
}

void bench_bare_reset(bench_bare_t *b) {
  mj_resetData(b->m, b->d);
  if (b->m->nkey > 0) mj_resetDataKeyframe(b->m, b->d, 0);
  b->d->time = 0;
  mj_forward(b->m, b->d);
  mju_copy(b->d->ctrl, b->ctrl, b->m->nu);
}

double bench_bare_run(bench_bare_t *b, long nsteps) {
  bench_bare_reset(b);
  int64_t t0 = bench_cpu_ns();
  for (long i = 0; i < nsteps; i++) mj_step(b->m, b->d);
  return (double)nsteps * 1e9 / (double)(bench_cpu_ns() - t0);
}

void bench_bare_fini(bench_bare_t *b) {
  if (b->d) mj_deleteData(b->d);
  if (b->m) mj_deleteModel(b->m);
  free(b->ctrl);
  memset(b, 0, sizeof *b);
}

double bench_median_quiet(const double *v, const bool *disturbed, int n, int *used) {
  double *q = malloc((size_t)(n > 0 ? n : 1) * sizeof *q);
  if (q == NULL) return 0.0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (!disturbed[i]) q[k++] = v[i];
  if (used != NULL) *used = k;
  if (k == 0)
    for (int i = 0; i < n; i++) q[k++] = v[i];
  double m = bench_median(q, k);
  free(q);
  return m;
}

const char *bench_rounds_note(int used, int n, char *buf, size_t len) {
  if (used > 0)
    snprintf(buf, len, "median of %d undisturbed rounds of %d", used, n);
  else
    snprintf(buf, len, "DISTURBED: every round had neighbours, median of all %d", n);
  return buf;
}
