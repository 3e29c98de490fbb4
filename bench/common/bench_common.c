/* Shared benchmark helpers (bench_common.h). */
#include "bench_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtw/clock.h"
#include "dtw/err.h"

int64_t bench_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * DTW_NS_PER_S + ts.tv_nsec;
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

int bench_bare_load(bench_bare_t *b, const dtw_robot_desc_t *desc, const char *who) {
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
