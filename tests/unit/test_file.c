/* dtw_file_read: whole regular files only, bounded, errors naming the path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/file.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/dtw_test_file_XXXXXX");
  return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char *out, size_t len) { snprintf(out, len, "%s/%s", dir, name); }

static void test_reads_a_regular_file(void **state) {
  (void)state;
  char p[128], err[256], *data = NULL;
  size_t len = 0;
  path_of("a.txt", p, sizeof p);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs("hello\n", f);
  fclose(f);
  assert_int_equal(dtw_file_read(p, 0, &data, &len, err, sizeof err), 0);
  assert_int_equal(len, 6);
  assert_string_equal(data, "hello\n");
  free(data);
  /* larger than allowed */
  assert_int_equal(dtw_file_read(p, 5, &data, &len, err, sizeof err), DTW_ERANGE);
  assert_non_null(strstr(err, "6 bytes, more than the 5 allowed"));
}

static void test_refuses_what_is_not_a_regular_file(void **state) {
  (void)state;
  char p[128], err[256], *data = NULL;
  path_of("missing", p, sizeof p);
  assert_int_equal(dtw_file_read(p, 0, &data, NULL, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "missing: cannot open"));
  /* a FIFO without a writer: refused at once, not waited on */
  path_of("fifo", p, sizeof p);
  assert_int_equal(mkfifo(p, 0600), 0);
  assert_int_equal(dtw_file_read(p, 0, &data, NULL, err, sizeof err), DTW_EIO);
  assert_non_null(strstr(err, "fifo: not a regular file"));
  /* a directory, a device */
  assert_int_equal(dtw_file_read(dir, 0, &data, NULL, err, sizeof err), DTW_EIO);
  assert_int_equal(dtw_file_read("/dev/zero", 0, &data, NULL, err, sizeof err), DTW_EIO);
  assert_null(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_a_regular_file),
      cmocka_unit_test(test_refuses_what_is_not_a_regular_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
