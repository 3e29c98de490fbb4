/* bench_load - what loading a published robot costs against MuJoCo compiling
 * the MJCF dtwin generates for it.
 *
 *   bench_load [--rounds N]
 *
 * For each robot of the corpus ($DTW_ROBOT_CORPUS, else ../shared/robots next
 * to $DTW_SOURCE_DIR): dtwin's load is dtw_model_load (xacro expansion,
 * URDF parsing, mesh conversion with assimp, MJCF generation; MJCF input:
 * includes and the MuJoCo 3 translation) plus dtw_sim_create (MuJoCo compile
 * with the in-memory meshes, data, joint table, placement). The baseline is
 * plain MuJoCo compiling the resulting MJCF text and meshes
 * (bench_bare_load: mj_loadXML + mj_makeData). Both run N rounds,
 * alternating; CPU time of this thread; medians. dtwin is timed twice: with
 * the mesh conversion cache (a private one, filled by a first load: the
 * usual case from the second start of a robot on) and without it
 * (DTW_MESH_CACHE=off: every mesh parsed by assimp, a first start). The xacro
 * robots are loaded from their .xacro files; if the expander refuses one,
 * from the ros/xacro expansion in expected/ (said so in the output).
 * Goal: cached ratio <= 2. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/model.h"
#include "dtw/sim.h"

#define MAX_ROUNDS 32

typedef struct robot {
  const char *label;
  const char *file;     /* under the corpus */
  const char *fallback; /* expected/ expansion for a xacro file, or NULL */
  const char *args[4];
  size_t n_args;
} robot_t;

static const robot_t k_robots[] = {
    {"H1 (URDF)", "h1_description/urdf/h1.urdf", NULL, {NULL}, 0},
    {"H1 + hands (URDF)", "h1_description/urdf/h1_with_hand.urdf", NULL, {NULL}, 0},
    {"G1 23 dof (URDF)", "g1_description/g1_23dof.urdf", NULL, {NULL}, 0},
    {"H1 (MJCF)", "h1_description/mjcf/h1.xml", NULL, {NULL}, 0},
    {"G1 23 dof (MJCF, MuJoCo 3)", "g1_description/g1_23dof.xml", NULL, {NULL}, 0},
    {"H1 + hands (MJCF)", "h1_description/mjcf/h1_with_hand.xml", NULL, {NULL}, 0},
    {"UR5e (xacro)", "ur_description/urdf/ur.urdf.xacro", "expected/ur5e.urdf",
     {"name=ur", "ur_type=ur5e"}, 2},
    {"FR3 (xacro)", "franka_description/robots/fr3/fr3.urdf.xacro", "expected/fr3.urdf",
     {NULL}, 0},
};

/* dtwin's whole load; fills desc (for the baseline) on the first call. */
static int load(const char *corpus, const char *path, const robot_t *r, dtw_robot_desc_t *desc,
                double *cpu_ms, char *err, size_t errlen) {
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.package_path = corpus;
  o.xacro_args = r->args;
  o.n_xacro_args = r->n_args;
  dtw_sim_t *sim = NULL;
  int64_t t0 = bench_cpu_ns();
  int rc = dtw_model_load(path, &o, desc, err, errlen);
  if (rc == 0) rc = dtw_sim_create(desc, &sim, err, errlen);
  *cpu_ms = (double)(bench_cpu_ns() - t0) / 1e6;
  dtw_sim_destroy(sim);
  return rc;
}

static double bare_ms(const dtw_robot_desc_t *desc) {
  bench_bare_t b;
  int64_t t0 = bench_cpu_ns();
  int rc = bench_bare_load(&b, desc, NULL, "bench_load");
  double ms = (double)(bench_cpu_ns() - t0) / 1e6;
  bench_bare_fini(&b);
  return rc == 0 ? ms : -1;
}

int main(int argc, char **argv) {
  int rounds = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: bench_load [--rounds N]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "bench_load: need 1 <= --rounds <= %d\n", MAX_ROUNDS);
    return 2;
  }
  char corpus[4096];
  const char *env = getenv("DTW_ROBOT_CORPUS"), *src = getenv("DTW_SOURCE_DIR");
  snprintf(corpus, sizeof corpus, "%s", env != NULL ? env : "");
  if (env == NULL) snprintf(corpus, sizeof corpus, "%s/../shared/robots", src ? src : ".");
  if (access(corpus, R_OK) != 0) {
    printf("bench_load: no robot corpus at %s (set DTW_ROBOT_CORPUS): skipped\n", corpus);
    return 0;
  }
  dtw_log_set_level(DTW_LOG_ERROR); /* the corpus's ignored bits are known */
  char cache[] = "/tmp/dtw_bench_cache_XXXXXX";
  if (mkdtemp(cache) == NULL) {
    perror("bench_load: mkdtemp");
    return 1;
  }
  printf("corpus: %s, %d rounds, CPU time of this thread, medians\n", corpus, rounds);
  printf("%-28s %6s %9s %9s %9s %7s %7s\n", "robot", "meshes", "bare ms", "dtwin ms",
         "cold ms", "ratio", "cold");
  int status = 0;
  double worst = 0, worst_cold = 0;
  for (size_t i = 0; i < sizeof k_robots / sizeof k_robots[0]; i++) {
    const robot_t *r = &k_robots[i];
    char path[4300], err[1024] = "";
    snprintf(path, sizeof path, "%s/%s", corpus, r->file);
    const char *note = "";
    dtw_robot_desc_t desc = {0};
    double ours[MAX_ROUNDS], cold[MAX_ROUNDS], bare[MAX_ROUNDS], ratio[MAX_ROUNDS],
        ratio_cold[MAX_ROUNDS], first;
    setenv("DTW_MESH_CACHE", cache, 1);
    /* warm-up (page cache, the mesh cache), and the desc for the baseline */
    int rc = load(corpus, path, r, &desc, &first, err, sizeof err);
    if (rc != 0 && r->fallback != NULL) {
      snprintf(path, sizeof path, "%s/%s", corpus, r->fallback);
      note = "  (xacro refused: timed on the ros/xacro expansion)";
      rc = load(corpus, path, r, &desc, &first, err, sizeof err);
    }
    if (rc != 0) {
      printf("%-28s FAILED: %s\n", r->label, err);
      status = 1;
      continue;
    }
    for (int k = 0; k < rounds && rc == 0; k++) {
      dtw_robot_desc_t again = {0};
      double b = bare_ms(&desc);
      setenv("DTW_MESH_CACHE", cache, 1);
      rc = load(corpus, path, r, &again, &ours[k], err, sizeof err);
      dtw_robot_desc_fini(&again);
      setenv("DTW_MESH_CACHE", "off", 1);
      if (rc == 0) rc = load(corpus, path, r, &again, &cold[k], err, sizeof err);
      dtw_robot_desc_fini(&again);
      if (rc != 0 || b <= 0) {
        status = 1;
        break;
      }
      bare[k] = b;
      ratio[k] = ours[k] / b;
      ratio_cold[k] = cold[k] / b;
    }
    if (rc != 0) {
      printf("%-28s FAILED: %s\n", r->label, err);
      dtw_robot_desc_fini(&desc);
      continue;
    }
    double rt = bench_median(ratio, rounds), rc_ = bench_median(ratio_cold, rounds);
    if (rt > worst) worst = rt;
    if (rc_ > worst_cold) worst_cold = rc_;
    printf("%-28s %6zu %9.1f %9.1f %9.1f %7.2f %7.2f%s\n", r->label, desc.n_assets,
           bench_median(bare, rounds), bench_median(ours, rounds), bench_median(cold, rounds),
           rt, rc_, note);
    dtw_robot_desc_fini(&desc);
  }
  printf("worst ratio dtwin/bare: %.2f with the mesh cache (goal <= 2), %.2f without\n", worst,
         worst_cold);
  /* the private cache goes (a flat directory of entries) */
  DIR *d = opendir(cache);
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
    char f[300];
    if (e->d_name[0] != '.' && snprintf(f, sizeof f, "%s/%s", cache, e->d_name) < (int)sizeof f)
      unlink(f);
  }
  if (d != NULL) closedir(d);
  rmdir(cache);
  return status;
}
