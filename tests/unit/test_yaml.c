/* Tests for the YAML document tree (src/core/yaml.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/yaml.h"

/* Parse text that must load; the test fails with the parser's message otherwise. */
static void load_ok(const char *text, dtw_yaml_doc_t *doc) {
  char err[512] = "";
  int rc = dtw_yaml_load_buffer(text, strlen(text), "t.yaml", doc, err, sizeof err);
  if (rc != 0) fail_msg("unexpected failure: %s", err);
}

/* Parse text that must fail with code, and whose message contains want. */
static void load_fails(const char *text, int code, const char *want) {
  char err[512] = "";
  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_buffer(text, strlen(text), "t.yaml", &doc, err, sizeof err);
  if (rc != code) fail_msg("rc %d (%s), want %d for:\n%s", rc, err, code, text);
  if (strstr(err, want) == NULL) fail_msg("message '%s' lacks '%s'", err, want);
  assert_null(doc.root);
  assert_null(doc.file);
}

static void test_scalars(void **state) {
  (void)state;
  dtw_yaml_doc_t doc = {0};
  load_ok("a: 1\nb: 'two'\nc: \"3\"\nd: |\n  block\ne: plain text\nf:\n", &doc);
  const dtw_yaml_node_t *r = doc.root;
  assert_non_null(r);
  assert_int_equal(r->kind, DTW_YAML_MAPPING);
  assert_int_equal(r->count, 6);
  assert_string_equal(r->file, "t.yaml");
  assert_string_equal(dtw_yaml_get(r, "a")->text, "1");
  assert_false(dtw_yaml_get(r, "a")->quoted);
  assert_string_equal(dtw_yaml_get(r, "b")->text, "two");
  assert_true(dtw_yaml_get(r, "b")->quoted);
  assert_true(dtw_yaml_get(r, "c")->quoted);
  assert_string_equal(dtw_yaml_get(r, "d")->text, "block\n");
  assert_true(dtw_yaml_get(r, "d")->quoted);
  assert_string_equal(dtw_yaml_get(r, "e")->text, "plain text");
  assert_string_equal(dtw_yaml_get(r, "f")->text, "");
  assert_null(dtw_yaml_get(r, "zz"));
  assert_null(dtw_yaml_get(dtw_yaml_get(r, "a"), "x")); /* not a mapping */

  int64_t i = 0;
  double d = 0;
  bool b = true;
  const char *s = NULL;
  char err[256];
  assert_int_equal(dtw_yaml_as_int64(dtw_yaml_get(r, "a"), &i, err, sizeof err), 0);
  assert_int_equal(i, 1);
  assert_int_equal(dtw_yaml_as_double(dtw_yaml_get(r, "a"), &d, err, sizeof err), 0);
  assert_true(d == 1.0);
  /* quoted scalars are strings only */
  assert_int_equal(dtw_yaml_as_int64(dtw_yaml_get(r, "c"), &i, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:3: '3': expected an integer, got a quoted string"));
  assert_int_equal(dtw_yaml_as_bool(dtw_yaml_get(r, "e"), &b, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:6: 'plain text': expected true or false"));
  assert_int_equal(dtw_yaml_as_string(dtw_yaml_get(r, "c"), &s, err, sizeof err), 0);
  assert_string_equal(s, "3");
  assert_int_equal(dtw_yaml_as_string(r, &s, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:1: expected a string, got a mapping"));
  assert_int_equal(dtw_yaml_as_double(NULL, &d, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "missing value"));
  dtw_yaml_free(&doc);
  assert_null(doc.root);
}

static void test_nesting_and_positions(void **state) {
  (void)state;
  dtw_yaml_doc_t doc = {0};
  load_ok("# comment\n"
          "robot:\n"
          "  joints:\n"
          "    - name: knee\n"
          "      limits: [0.5, -1e3]\n"
          "    - {name: hip, limits: []}\n",
          &doc);
  const dtw_yaml_node_t *joints = dtw_yaml_get(dtw_yaml_get(doc.root, "robot"), "joints");
  assert_non_null(joints);
  assert_int_equal(joints->kind, DTW_YAML_SEQUENCE);
  assert_int_equal(joints->count, 2);
  assert_null(joints->keys);
  const dtw_yaml_node_t *knee = joints->items[0];
  assert_int_equal(knee->kind, DTW_YAML_MAPPING);
  assert_int_equal(knee->line, 4);
  assert_int_equal(knee->column, 7);
  const dtw_yaml_node_t *name = dtw_yaml_get(knee, "name");
  assert_int_equal(name->line, 4);
  assert_int_equal(name->column, 13);
  const dtw_yaml_node_t *lim = dtw_yaml_get(knee, "limits");
  assert_int_equal(lim->count, 2);
  assert_int_equal(lim->line, 5);
  double d = 0;
  char err[256];
  assert_int_equal(dtw_yaml_as_double(lim->items[1], &d, err, sizeof err), 0);
  assert_true(d == -1000.0);
  assert_int_equal(lim->items[1]->column, 21);
  const dtw_yaml_node_t *hip = joints->items[1];
  assert_string_equal(dtw_yaml_get(hip, "name")->text, "hip");
  assert_int_equal(hip->line, 6);
  assert_int_equal(dtw_yaml_get(hip, "limits")->count, 0);
  assert_int_equal(dtw_yaml_as_double(hip, &d, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:6: expected a number, got a mapping"));
  assert_int_equal(dtw_yaml_as_int64(lim, NULL, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:5: expected an integer, got a sequence"));
  dtw_yaml_free(&doc);
}

static void test_empty_documents(void **state) {
  (void)state;
  dtw_yaml_doc_t doc = {0};
  load_ok("", &doc);
  assert_null(doc.root);
  assert_string_equal(doc.file, "t.yaml");
  dtw_yaml_free(&doc);
  load_ok("# nothing\n", &doc);
  assert_null(doc.root);
  dtw_yaml_free(&doc);
  load_ok("---\n...\n", &doc);
  assert_null(doc.root);
  dtw_yaml_free(&doc);
  load_ok("'' \n", &doc); /* a quoted empty string is a value, not emptiness */
  assert_non_null(doc.root);
  dtw_yaml_free(&doc);
  dtw_yaml_doc_t zero = {0};
  dtw_yaml_free(&zero);
  dtw_yaml_free(NULL);
}

static void test_parse_bool(void **state) {
  (void)state;
  bool b = false;
  const char *yes[] = {"true", "True", "TRUE"};
  const char *no[] = {"false", "False", "FALSE"};
  const char *bad[] = {"yes", "no", "on", "off", "y", "1", "0", "tRue", "", " true"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(dtw_yaml_parse_bool(yes[i], &b), 0);
    assert_true(b);
    assert_int_equal(dtw_yaml_parse_bool(no[i], &b), 0);
    assert_false(b);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(dtw_yaml_parse_bool(bad[i], &b), DTW_EPARSE);
}

static void test_parse_int(void **state) {
  (void)state;
  int64_t v = 0;
  struct {
    const char *text;
    int64_t want;
  } ok[] = {{"0", 0},
            {"-17", -17},
            {"+5", 5},
            {"007", 7},
            {"0x1F", 31},
            {"0o17", 15},
            {"9223372036854775807", INT64_MAX},
            {"-9223372036854775808", INT64_MIN},
            {"0x7fffffffffffffff", INT64_MAX}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    assert_int_equal(dtw_yaml_parse_int64(ok[i].text, &v), 0);
    assert_true(v == ok[i].want);
  }
  const char *bad[] = {"",   "-",     "1.5",  "1e3",  "1_000", "0x",   "0xg",
                       "08o", "0o8",  "-0x1", " 1",   "1 ",    "abc",  "9223372036854775808",
                       "-9223372036854775809", "0x8000000000000000", ".inf"};
  v = 123;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (dtw_yaml_parse_int64(bad[i], &v) != DTW_EPARSE) fail_msg("accepted '%s'", bad[i]);
  }
  assert_true(v == 123); /* untouched on failure */
}

static void test_parse_double(void **state) {
  (void)state;
  double d = 0;
  struct {
    const char *text;
    double want;
  } ok[] = {{"1", 1.0},     {"-2.5", -2.5},   {".5", 0.5},     {"1.", 1.0},
            {"1e3", 1000},  {"-1.5E-2", -0.015}, {"+3", 3},    {"0x10", 16},
            {"0o10", 8},    {"1e-400", 0.0}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    assert_int_equal(dtw_yaml_parse_double(ok[i].text, &d), 0);
    assert_true(d == ok[i].want);
  }
  assert_int_equal(dtw_yaml_parse_double(".inf", &d), 0);
  assert_true(isinf(d) && d > 0);
  assert_int_equal(dtw_yaml_parse_double("-.Inf", &d), 0);
  assert_true(isinf(d) && d < 0);
  assert_int_equal(dtw_yaml_parse_double(".NaN", &d), 0);
  assert_true(isnan(d));
  const char *bad[] = {"", ".", "e3", "1e", "1.5.2", "inf", "nan", "-.nan", "1e999", "0x1p3",
                       "1,5", "abc", "1_0.0", " 1"};
  d = 7;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (dtw_yaml_parse_double(bad[i], &d) != DTW_EPARSE) fail_msg("accepted '%s'", bad[i]);
  }
  assert_true(d == 7);
}

static void test_refusals(void **state) {
  (void)state;
  load_fails("a: &x 1\nb: 2\n", DTW_EUNSUP, "t.yaml:1:4: anchors");
  load_fails("a: 1\nb: *x\n", DTW_EUNSUP, "t.yaml:2:4: aliases");
  load_fails("a: &x 1\nb: *x\n", DTW_EUNSUP, "anchors");
  load_fails("- [1, 2]\n- *x\n", DTW_EUNSUP, "t.yaml:2:3: aliases");
  load_fails("a: !!str 1\n", DTW_EUNSUP, "t.yaml:1:4: tags");
  load_fails("a: !custom {b: 1}\n", DTW_EUNSUP, "t.yaml:1:4: tags");
  load_fails("- &s [1]\n", DTW_EUNSUP, "t.yaml:1:3: anchors");
  load_fails("a: 1\nb: 2\na: 3\n", DTW_EPARSE, "t.yaml:3:1: duplicate key 'a' (first at line 1)");
  load_fails("? [a, b]\n: 1\n", DTW_EUNSUP, "t.yaml:1:3: mapping keys must be scalars");
  load_fails("{a: 1}: 2\n", DTW_EUNSUP, "mapping keys must be scalars");
  load_fails("a: 1\n---\nb: 2\n", DTW_EUNSUP, "t.yaml:2:1: multiple documents");
  load_fails("a: [1, 2\nb: 3\n", DTW_EPARSE, "t.yaml:");
  load_fails("a:\n  b: 1\n c: 2\n", DTW_EPARSE, "t.yaml:3:");
  load_fails("a: \"x\\0y\"\n", DTW_EPARSE, "t.yaml:1:4: scalar contains a NUL");
  load_fails("a: \xff\xfe\n", DTW_EPARSE, "t.yaml: byte");

  /* nesting: 64 levels are fine, 65 are refused */
  char deep[300];
  size_t o = 0;
  for (int i = 0; i < 65; i++) deep[o++] = '[';
  for (int i = 0; i < 65; i++) deep[o++] = ']';
  deep[o] = '\0';
  load_fails(deep, DTW_EUNSUP, "t.yaml:1:65: nesting deeper than 64");
  dtw_yaml_doc_t doc = {0};
  deep[o - 1] = '\0'; /* drop one ']' and the first '[': 64 levels */
  load_ok(deep + 1, &doc);
  assert_int_equal(doc.root->kind, DTW_YAML_SEQUENCE);
  dtw_yaml_free(&doc);
}

static void test_load_file(void **state) {
  (void)state;
  char path[1024], err[512];
  const char *dir = getenv("DTW_TEST_DATA");
  assert_non_null(dir);
  dtw_yaml_doc_t doc = {0};
  snprintf(path, sizeof path, "%s/config/good.yaml", dir);
  assert_int_equal(dtw_yaml_load_file(path, &doc, err, sizeof err), 0);
  assert_string_equal(doc.file, path);
  const dtw_yaml_node_t *twin = dtw_yaml_get(doc.root, "twin");
  assert_non_null(twin);
  assert_int_equal(twin->line, 7);
  assert_string_equal(dtw_yaml_get(twin, "ros__parameters")->file, path);
  dtw_yaml_free(&doc);

  snprintf(path, sizeof path, "%s/config/no_such_file.yaml", dir);
  assert_int_equal(dtw_yaml_load_file(path, &doc, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "no_such_file.yaml"));
  assert_int_equal(dtw_yaml_load_file(dir, &doc, err, sizeof err), DTW_EIO); /* a directory */
  assert_null(doc.root);
}

static void test_null_err_buffer(void **state) {
  (void)state;
  dtw_yaml_doc_t doc = {0};
  assert_int_equal(dtw_yaml_load_buffer("a: [", 4, NULL, &doc, NULL, 0), DTW_EPARSE);
  assert_int_equal(dtw_yaml_load_buffer("a: *x", 5, NULL, &doc, NULL, 0), DTW_EUNSUP);
  assert_int_equal(dtw_yaml_load_buffer("a: 1", 4, NULL, &doc, NULL, 0), 0);
  assert_string_equal(doc.file, "<buffer>");
  dtw_yaml_free(&doc);
  /* not NUL-terminated input: only len bytes are read */
  const char buf[] = {'a', ':', ' ', '1', '2'};
  assert_int_equal(dtw_yaml_load_buffer(buf, 4, "b", &doc, NULL, 0), 0);
  assert_string_equal(dtw_yaml_get(doc.root, "a")->text, "1");
  dtw_yaml_free(&doc);
}

/* Opt-in flags for readers with their own YAML rules (xacro.load_yaml): tags kept,
 * aliases sharing their anchored node, repeated keys kept. Without them: refused. */
static void test_reader_flags(void **state) {
  (void)state;
  char err[512] = "";
  dtw_yaml_doc_t doc = {0};
  const char *text = "a: !degrees 90\nb: &x {k: 1}\nc: *x\nd: 1\nd: 2\ne: &s word\nf: *s\n";
  unsigned all = DTW_YAML_KEEP_TAGS | DTW_YAML_ALIASES | DTW_YAML_DUPLICATE_KEYS;
  assert_int_equal(dtw_yaml_load_buffer_flags(text, strlen(text), "t.yaml", all, &doc, err,
                                              sizeof err), 0);
  const dtw_yaml_node_t *r = doc.root;
  assert_int_equal(r->count, 7);
  assert_string_equal(r->items[0]->tag, "!degrees");
  assert_string_equal(r->items[0]->text, "90");
  assert_null(r->items[1]->alias);
  assert_ptr_equal(r->items[2]->alias, r->items[1]);
  assert_int_equal(r->items[2]->kind, DTW_YAML_MAPPING);
  assert_int_equal(r->items[2]->count, 0);
  assert_string_equal(r->keys[3]->text, "d");
  assert_string_equal(r->keys[4]->text, "d");
  assert_string_equal(r->items[6]->text, "word");
  dtw_yaml_free(&doc);
  /* each flag alone, the rest still refused */
  assert_int_equal(dtw_yaml_load_buffer_flags(text, strlen(text), "t.yaml", DTW_YAML_KEEP_TAGS,
                                              &doc, err, sizeof err), DTW_EUNSUP);
  assert_non_null(strstr(err, "anchors"));
  const char *dup = "d: 1\nd: 2\n";
  assert_int_equal(dtw_yaml_load_buffer_flags(dup, strlen(dup), "t.yaml", DTW_YAML_ALIASES, &doc,
                                              err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "duplicate key"));
  /* an alias must follow its anchor's end; an alias key must be a scalar */
  const char *rec = "a: &x [1, *x]\n";
  assert_int_equal(dtw_yaml_load_buffer_flags(rec, strlen(rec), "t.yaml", all, &doc, err,
                                              sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "t.yaml:1:"));
  assert_non_null(strstr(err, "undefined alias '*x'"));
  const char *key = "a: &m {k: 1}\n? *m\n: 2\n";
  assert_int_equal(dtw_yaml_load_buffer_flags(key, strlen(key), "t.yaml", all, &doc, err,
                                              sizeof err), DTW_EUNSUP);
  assert_non_null(strstr(err, "mapping keys must be scalars"));
  assert_null(doc.root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars),        cmocka_unit_test(test_nesting_and_positions),
      cmocka_unit_test(test_empty_documents), cmocka_unit_test(test_parse_bool),
      cmocka_unit_test(test_parse_int),      cmocka_unit_test(test_parse_double),
      cmocka_unit_test(test_refusals),       cmocka_unit_test(test_load_file),
      cmocka_unit_test(test_null_err_buffer), cmocka_unit_test(test_reader_flags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
