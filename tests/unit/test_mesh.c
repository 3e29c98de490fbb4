/* Mesh conversion through assimp (src/model/mesh.c): formats, units and up
 * axis as rviz reads them, degenerate input, and bytes MuJoCo 2.2.2 accepts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mujoco/mujoco.h>

#include "dtw/err.h"
#include "model/model__mesh.h"

static char g_path[1024];

static const char *data_path(const char *name) {
  const char *root = getenv("DTW_TEST_DATA");
  snprintf(g_path, sizeof g_path, "%s/mesh/%s", root != NULL ? root : "tests/data", name);
  return g_path;
}

/* Header and vertex bounds of .msh bytes. */
typedef struct msh_view {
  int32_t nvert, nnormal, ntex, nface;
  float lo[3], hi[3];
} msh_view_t;

static msh_view_t view(const dtw__mesh_t *m) {
  msh_view_t v;
  int32_t h[4];
  memcpy(h, m->msh, sizeof h);
  v.nvert = h[0], v.nnormal = h[1], v.ntex = h[2], v.nface = h[3];
  assert_int_equal(m->size, 16 + 12 * (size_t)v.nvert + 12 * (size_t)v.nface);
  const float *p = (const float *)(m->msh + 16);
  for (int k = 0; k < 3; k++) v.lo[k] = INFINITY, v.hi[k] = -INFINITY;
  for (int i = 0; i < v.nvert; i++)
    for (int k = 0; k < 3; k++) {
      v.lo[k] = fminf(v.lo[k], p[3 * i + k]);
      v.hi[k] = fmaxf(v.hi[k], p[3 * i + k]);
    }
  /* every face indexes real vertices */
  const int32_t *f = (const int32_t *)(m->msh + 16 + 12 * (size_t)v.nvert);
  for (int i = 0; i < 3 * v.nface; i++) assert_true(f[i] >= 0 && f[i] < v.nvert);
  return v;
}

static void expect_box(const msh_view_t *v, const float lo[3], const float hi[3]) {
  for (int k = 0; k < 3; k++)
    if (fabsf(v->lo[k] - lo[k]) > 1e-5f || fabsf(v->hi[k] - hi[k]) > 1e-5f)
      fail_msg("axis %d: [%g, %g], expected [%g, %g]", k, v->lo[k], v->hi[k], lo[k], hi[k]);
}

static void convert_ok(const char *path, dtw__mesh_t *m) {
  char err[256] = "";
  int rc = dtw__mesh_convert(path, m, err, sizeof err);
  if (rc != 0) fail_msg("%s: %s (%s)", path, err, dtw_err_name(rc));
}

/* The unit cube in every text format: 8 shared vertices, 12 faces, a volume. */
static void test_cube_formats(void **state) {
  (void)state;
  static const char *const files[] = {"cube_ascii.stl", "cube.obj"};
  const float lo[3] = {-0.5f, -0.5f, -0.5f}, hi[3] = {0.5f, 0.5f, 0.5f};
  for (size_t i = 0; i < 2; i++) {
    dtw__mesh_t m = {0};
    convert_ok(data_path(files[i]), &m);
    msh_view_t v = view(&m);
    assert_int_equal(v.nvert, 8);
    assert_int_equal(v.nface, 12);
    assert_int_equal(v.nnormal, 0);
    assert_int_equal(v.ntex, 0);
    expect_box(&v, lo, hi);
    assert_true(dtw__mesh_is_solid(&m));
    dtw__mesh_fini(&m);
  }
}

/* Binary STL, as most ROS packages ship it (written here, 2 m cube). */
static void test_binary_stl(void **state) {
  (void)state;
  static const float V[8][3] = {{-1, -1, -1}, {1, -1, -1}, {1, 1, -1}, {-1, 1, -1},
                                {-1, -1, 1},  {1, -1, 1},  {1, 1, 1},  {-1, 1, 1}};
  static const int F[12][3] = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
                               {1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 4, 7}};
  char path[] = "/tmp/dtw_test_mesh_XXXXXX.stl";
  int fd = mkstemps(path, 4);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  char header[80] = "solid looks like ascii but is binary";
  uint32_t n = 12;
  fwrite(header, 1, 80, f);
  fwrite(&n, 4, 1, f);
  for (int i = 0; i < 12; i++) {
    float normal[3] = {0, 0, 0};
    uint16_t attr = 0;
    fwrite(normal, 4, 3, f);
    for (int k = 0; k < 3; k++) fwrite(V[F[i][k]], 4, 3, f);
    fwrite(&attr, 2, 1, f);
  }
  fclose(f);
  dtw__mesh_t m = {0};
  convert_ok(path, &m);
  unlink(path);
  msh_view_t v = view(&m);
  assert_int_equal(v.nvert, 8);
  assert_int_equal(v.nface, 12);
  const float lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
  expect_box(&v, lo, hi);
  dtw__mesh_fini(&m);
}

/* Collada as rviz reads it: <unit meter> and node transforms applied,
 * <up_axis> ignored (Z_UP would otherwise be turned into Y_UP). */
static void test_collada_unit_and_up_axis(void **state) {
  (void)state;
  dtw__mesh_t m = {0};
  convert_ok(data_path("cube_mm_zup.dae"), &m);
  msh_view_t v = view(&m);
  assert_int_equal(v.nvert, 8);
  assert_int_equal(v.nface, 12);
  /* 1000 mm -> 1 m; lifted 500 mm along the file's own z */
  const float lo[3] = {-0.5f, -0.5f, 0}, hi[3] = {0.5f, 0.5f, 1};
  expect_box(&v, lo, hi);
  assert_true(dtw__mesh_is_solid(&m));
  dtw__mesh_fini(&m);
}

static void expect_failure(const char *path, int code, const char *message) {
  dtw__mesh_t m = {0};
  char err[256] = "";
  int rc = dtw__mesh_convert(path, &m, err, sizeof err);
  if (rc != code || strstr(err, message) == NULL)
    fail_msg("%s: %s '%s', expected %s '%s'", path, dtw_err_name(rc), err, dtw_err_name(code),
             message);
  assert_null(m.msh);
}

static void test_degenerate_and_unreadable(void **state) {
  (void)state;
  /* a flat mesh converts (a visual may be flat) but is not solid */
  dtw__mesh_t m = {0};
  convert_ok(data_path("flat.stl"), &m);
  assert_int_equal(view(&m).nvert, 4);
  assert_false(dtw__mesh_is_solid(&m));
  dtw__mesh_fini(&m);

  char missing[1024];
  snprintf(missing, sizeof missing, "%s", data_path("nothere.stl"));
  expect_failure(missing, DTW_ENOENT, "cannot open: No such file");
  expect_failure(data_path("triangle.stl"), DTW_EMODEL, "only 3 distinct vertices");
  expect_failure(data_path("points.obj"), DTW_EMODEL, "no triangles");
  expect_failure(data_path("not_a_mesh.xyz"), DTW_EUNSUP, "not a mesh format assimp reads");
  char empty[] = "/tmp/dtw_test_mesh_XXXXXX.stl";
  int fd = mkstemps(empty, 4);
  assert_true(fd >= 0);
  close(fd);
  expect_failure(empty, DTW_EMODEL, "empty");
  unlink(empty);
}

/* MuJoCo 2.2.2 reads the bytes from its virtual file system. */
static void test_mujoco_reads_msh(void **state) {
  (void)state;
  dtw__mesh_t m = {0};
  convert_ok(data_path("cube_mm_zup.dae"), &m);
  static mjVFS vfs;
  mj_defaultVFS(&vfs);
  static const char xml[] =
      "<mujoco><asset><mesh name='c' file='dtw_0_cube.msh' scale='2 2 2'/></asset>"
      "<worldbody><body><freejoint/><geom type='mesh' mesh='c' density='1000'/></body>"
      "</worldbody></mujoco>";
  assert_int_equal(mj_makeEmptyFileVFS(&vfs, "m.xml", (int)strlen(xml)), 0);
  memcpy(vfs.filedata[vfs.nfile - 1], xml, strlen(xml));
  assert_int_equal(mj_makeEmptyFileVFS(&vfs, "dtw_0_cube.msh", (int)m.size), 0);
  memcpy(vfs.filedata[vfs.nfile - 1], m.msh, m.size);
  char err[512] = "";
  mjModel *model = mj_loadXML("/nonexistent/m.xml", &vfs, err, sizeof err);
  mj_deleteVFS(&vfs);
  if (model == NULL) fail_msg("%s", err);
  assert_int_equal(model->nmesh, 1);
  assert_int_equal(model->mesh_vertnum[0], 8);
  assert_int_equal(model->mesh_facenum[0], 12);
  /* a 2 m cube of water: 8000 kg */
  assert_true(fabs(model->body_mass[1] - 8000) < 1);
  mj_deleteModel(model);
  dtw__mesh_fini(&m);
}


/* Files of a directory, "tmp." ones apart. */
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
    if (strstr(e->d_name, ".msh") != NULL) n++;
  if (d != NULL) closedir(d);
  return n;
}

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
    char f[600];
    if (e->d_name[0] == '.') continue;
    snprintf(f, sizeof f, "%s/%s", dir, e->d_name);
    unlink(f);
  }
  if (d != NULL) closedir(d);
  rmdir(dir);
}

/* The conversion cache: same result from it, corrupt entries ignored, a
 * bound kept, and no cache when it cannot be written or is turned off. */
static void test_cache(void **state) {
  (void)state;
  char dir[] = "/tmp/dtw_test_cache_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char sub[300];
  snprintf(sub, sizeof sub, "%s/a/b", dir); /* created on first use */
  setenv("DTW_MESH_CACHE", sub, 1);
  dtw__mesh_t fresh = {0}, cached = {0}, again = {0};
  convert_ok(data_path("cube_mm_zup.dae"), &fresh);
  assert_int_equal(count_entries(sub), 1);
  convert_ok(data_path("cube_mm_zup.dae"), &cached);
  assert_int_equal(cached.size, fresh.size);
  assert_memory_equal(cached.msh, fresh.msh, fresh.size);

  /* a damaged entry is a miss, and is replaced */
  DIR *d = opendir(sub);
  char entry[600] = "";
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strstr(e->d_name, ".msh") != NULL) snprintf(entry, sizeof entry, "%s/%s", sub, e->d_name);
  closedir(d);
  assert_int_equal(truncate(entry, 100), 0);
  convert_ok(data_path("cube_mm_zup.dae"), &again);
  assert_memory_equal(again.msh, fresh.msh, fresh.size);
  struct stat st;
  assert_int_equal(stat(entry, &st), 0);
  assert_true(st.st_size > 100);

  /* bounded: old entries beyond DTW_MESH_CACHE_MAX_MB go first */
  char old[600];
  for (int i = 0; i < 3; i++) {
    snprintf(old, sizeof old, "%s/%032d.msh", sub, i);
    FILE *f = fopen(old, "wb");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 600 * 1024), 0);
    fclose(f);
    struct timespec t[2] = {{.tv_sec = 1000 + i}, {.tv_sec = 1000 + i}};
    utimensat(AT_FDCWD, old, t, 0);
  }
  setenv("DTW_MESH_CACHE_MAX_MB", "1", 1);
  unlink(entry);
  dtw__mesh_t m = {0};
  convert_ok(data_path("cube.obj"), &m); /* a put: trims */
  dtw__mesh_fini(&m);
  snprintf(old, sizeof old, "%s/%032d.msh", sub, 0);
  assert_int_not_equal(access(old, F_OK), 0);
  snprintf(old, sizeof old, "%s/%032d.msh", sub, 1);
  assert_int_not_equal(access(old, F_OK), 0); /* down to 3/4 of the bound */
  snprintf(old, sizeof old, "%s/%032d.msh", sub, 2);
  assert_int_equal(access(old, F_OK), 0); /* the most recent stays */
  unsetenv("DTW_MESH_CACHE_MAX_MB");

  /* off, or unwritable: converted all the same */
  setenv("DTW_MESH_CACHE", "off", 1);
  char path[256];
  assert_false(dtw__mesh_cache_dir(path, sizeof path));
  convert_ok(data_path("cube_ascii.stl"), &m);
  dtw__mesh_fini(&m);
  setenv("DTW_MESH_CACHE", "/proc/dtw-cannot-write-here", 1);
  convert_ok(data_path("cube_ascii.stl"), &m);
  dtw__mesh_fini(&m);
  setenv("DTW_MESH_CACHE", "off", 1);
  dtw__mesh_fini(&fresh);
  dtw__mesh_fini(&cached);
  dtw__mesh_fini(&again);
  remove_dir(sub);
  snprintf(sub, sizeof sub, "%s/a", dir);
  rmdir(sub);
  rmdir(dir);
}

int main(void) {
  setenv("DTW_MESH_CACHE", "off", 1); /* test_cache turns it on where it wants it */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cube_formats),
      cmocka_unit_test(test_binary_stl),
      cmocka_unit_test(test_collada_unit_and_up_axis),
      cmocka_unit_test(test_degenerate_and_unreadable),
      cmocka_unit_test(test_mujoco_reads_msh),
      cmocka_unit_test(test_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
