/* The published robots of the corpus ($DTW_ROBOT_CORPUS, see ../shared/robots/README.md)
 * expanded natively must be the same robots ros/xacro made of them (the expected URDF files):
 * compared structurally with urdf_compare.h. Exits 77 (skipped) without the corpus.
 *
 * Also a compare mode for the integration test of `dtwin model xacro`:
 *   unit_test_xacro_corpus --compare GOT.urdf WANT.urdf   (exit 0 same, 1 different) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "unit/urdf_compare.h"

static char g_corpus[1024];
static char g_err[2048];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static xmlDocPtr read_doc(const char *path) {
  xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
  if (d == NULL) fail_msg("cannot parse %s", path);
  return d;
}

/* Expand corpus file rel with args; prints the time taken. */
static xmlDocPtr expand(const char *rel, const char *const *args, size_t n_args) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", g_corpus, rel);
  dtw_xacro_opts_t o = {.package_path = g_corpus, .args = args, .n_args = n_args};
  xmlDocPtr doc = NULL;
  double t0 = now_ms();
  int r = dtw_xacro_expand_file(path, &o, &doc, g_err, sizeof g_err);
  double t1 = now_ms();
  if (r != 0) fail_msg("%s: %s", rel, g_err);
  print_message("expanded %s in %.2f ms\n", rel, t1 - t0);
  return doc;
}

static void expect_same(xmlDocPtr got, const char *expected_rel) {
  char path[1200], why[512];
  snprintf(path, sizeof path, "%s/%s", g_corpus, expected_rel);
  xmlDocPtr want = read_doc(path);
  int diffs = urdf_compare(got, want, why, sizeof why);
  xmlFreeDoc(want);
  if (diffs != 0) fail_msg("%d differences from %s, first: %s", diffs, expected_rel, why);
}

static const char *const g_ur_args[] = {"name:=ur", "ur_type:=ur5e"};

static void test_ur5e(void **state) {
  (void)state;
  xmlDocPtr doc = expand("ur_description/urdf/ur.urdf.xacro", g_ur_args, 2);
  expect_same(doc, "expected/ur5e.urdf");
  xmlFreeDoc(doc);
}

static void test_fr3(void **state) {
  (void)state;
  xmlDocPtr doc = expand("franka_description/robots/fr3/fr3.urdf.xacro", NULL, 0);
  expect_same(doc, "expected/fr3.urdf");
  xmlFreeDoc(doc);
}

/* The comparison must see a wrong value: change one thing at a time in the native
 * expansion and expect a difference naming it. */
static void mutate_and_expect(const char *xpath_attr_elem, const char *attr, const char *value,
                              const char *needle) {
  xmlDocPtr doc = expand("ur_description/urdf/ur.urdf.xacro", g_ur_args, 2);
  /* find the first element with the given name path "link|joint:name/child" */
  char elname[64], objname[64], child[64];
  assert_int_equal(sscanf(xpath_attr_elem, "%63[^:]:%63[^/]/%63s", elname, objname, child), 3);
  xmlNodePtr target = NULL;
  for (xmlNodePtr k = xmlDocGetRootElement(doc)->children; k != NULL && target == NULL; k = k->next) {
    if (!ucmp_is(k, elname)) continue;
    char *nm = ucmp_attr(k, "name");
    if (strcmp(nm, objname) == 0) {
      if (strcmp(child, ".") == 0) {
        target = k;
      } else {
        /* a/b descends */
        char path[64];
        snprintf(path, sizeof path, "%s", child);
        target = k;
        for (char *part = strtok(path, "/"); part != NULL && target != NULL; part = strtok(NULL, "/"))
          target = ucmp_child(target, part);
      }
    }
    free(nm);
  }
  assert_non_null(target);
  xmlSetProp(target, (const xmlChar *)attr, (const xmlChar *)value);
  char path[1200], why[512];
  snprintf(path, sizeof path, "%s/expected/ur5e.urdf", g_corpus);
  xmlDocPtr want = read_doc(path);
  int diffs = urdf_compare(doc, want, why, sizeof why);
  xmlFreeDoc(want);
  xmlFreeDoc(doc);
  if (diffs == 0) fail_msg("changing %s %s to %s went unnoticed", xpath_attr_elem, attr, value);
  if (strstr(why, needle) == NULL) fail_msg("difference '%s' does not name '%s'", why, needle);
}

static void test_comparison_detects_differences(void **state) {
  (void)state;
  /* a relative change of 1e-6 in one origin coordinate */
  mutate_and_expect("joint:shoulder_lift_joint/origin", "rpy", "1.5707979 0 0",
                    "joint 'shoulder_lift_joint' <origin rpy>");
  mutate_and_expect("joint:elbow_joint/limit", "upper", "3.2", "joint 'elbow_joint' <limit upper>");
  mutate_and_expect("joint:wrist_3_joint/.", "type", "continuous", "joint 'wrist_3_joint' <joint type>");
  mutate_and_expect("joint:wrist_1_joint/parent", "link", "base_link", "<parent link>");
  mutate_and_expect("link:forearm_link/inertial/mass", "value", "2.8461", "<mass value>");
  mutate_and_expect("link:wrist_2_link/inertial/inertia", "izz", "0.002", "<inertia izz>");
  mutate_and_expect("link:upper_arm_link/collision/geometry/mesh", "filename",
                    "package://ur_description/meshes/ur5e/collision/forearm.stl", "<mesh filename>");
  mutate_and_expect("link:upper_arm_link/collision/geometry/mesh", "scale", "1 1 2", "<mesh scale>");
  mutate_and_expect("joint:shoulder_pan_joint/axis", "xyz", "0 1 0", "<axis xyz>");
  mutate_and_expect("link:base_link_inertia/.", "name", "base_link_inertia2", "missing");
}

/* compare mode for tests/integration/test_model_xacro.sh */
static int compare_files(const char *got_path, const char *want_path) {
  xmlDocPtr got = xmlReadFile(got_path, NULL, XML_PARSE_NONET);
  xmlDocPtr want = xmlReadFile(want_path, NULL, XML_PARSE_NONET);
  if (got == NULL || want == NULL) {
    fprintf(stderr, "cannot parse %s\n", got == NULL ? got_path : want_path);
    xmlFreeDoc(got);
    xmlFreeDoc(want);
    return 2;
  }
  char why[512];
  int diffs = urdf_compare(got, want, why, sizeof why);
  xmlFreeDoc(got);
  xmlFreeDoc(want);
  if (diffs != 0) {
    fprintf(stderr, "%s differs from %s in %d places, first: %s\n", got_path, want_path, diffs, why);
    return 1;
  }
  printf("%s: same robot as %s\n", got_path, want_path);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--compare") == 0) return compare_files(argv[2], argv[3]);
  const char *corpus = getenv("DTW_ROBOT_CORPUS");
  struct stat st;
  if (corpus == NULL || stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "robot corpus not found (DTW_ROBOT_CORPUS=%s): skipped\n",
            corpus != NULL ? corpus : "");
    return 77;
  }
  snprintf(g_corpus, sizeof g_corpus, "%s", corpus);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ur5e),
      cmocka_unit_test(test_fr3),
      cmocka_unit_test(test_comparison_detects_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
