/* Tests for the configuration system (src/core/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/config.h"
#include "dtw/err.h"
#include "dtw/log.h"

/* One parameter of each type, ranges, enums and nested names. */
#define TWIN_PARAMS(X)                                                                     \
  X(BOOL, enabled, "true", 0, 0, NULL, "Run the node")                                     \
  X(INT, queue_depth, "10", 1, 1000, NULL, "History depth")                                \
  X(DOUBLE, rate_hz, "100.0", 1, 10000, NULL, "Publish rate")                              \
  X(STRING, frame_prefix, "", 0, 0, NULL, "Prefix for TF frames")                          \
  X(STRING, robot_name, "robot", 1, 16, NULL, "Robot name")                                \
  X(ENUM, mode, "sim", 0, 0, "sim|real|replay", "Operating mode")                          \
  X(ENUM, qos__joint_states, "sensor_data", 0, 0, "sensor_data|reliable", "QoS of | joint_states") \
  X(DOUBLE, qos__deadline_s, "0.5", 0, 10, NULL, "Deadline")                               \
  X(INT, ros_domain_id, "0", 0, 232, NULL, "DDS domain")                                   \
  X(INT, big, "-5", 0, 0, NULL, "Any int")
DTW_PARAM_STRUCT(twin_settings_t, TWIN_PARAMS);
#define DTW_PARAM_STYPE twin_settings_t
DTW_PARAM_TABLE(twin_table, "twin", "Test twin node", TWIN_PARAMS);
#undef DTW_PARAM_STYPE

#define BRIDGE_PARAMS(X)                                    \
  X(INT, ros_domain_id, "0", 0, 232, NULL, "DDS domain")    \
  X(DOUBLE, rate_hz, "50", 1, 500, NULL, "Bridge rate")
DTW_PARAM_STRUCT(bridge_settings_t, BRIDGE_PARAMS);
#define DTW_PARAM_STYPE bridge_settings_t
DTW_PARAM_TABLE(bridge_table, "bridge", "Test bridge node", BRIDGE_PARAMS);
#undef DTW_PARAM_STYPE

/* A table whose default is outside its range: must be refused at register. */
#define BAD_PARAMS(X) X(INT, n, "5000", 0, 10, NULL, "bad default")
DTW_PARAM_STRUCT(bad_settings_t, BAD_PARAMS);
#define DTW_PARAM_STYPE bad_settings_t
DTW_PARAM_TABLE(bad_table, "bad", "Bad", BAD_PARAMS);
#undef DTW_PARAM_STYPE

/* A parameter that is also a group: refused. */
#define CLASH_PARAMS(X)                          \
  X(INT, qos, "1", 0, 0, NULL, "a")              \
  X(INT, qos__depth, "1", 0, 0, NULL, "b")
DTW_PARAM_STRUCT(clash_settings_t, CLASH_PARAMS);
#define DTW_PARAM_STYPE clash_settings_t
DTW_PARAM_TABLE(clash_table, "clash", "Clash", CLASH_PARAMS);
#undef DTW_PARAM_STYPE

static dtw_config_t *new_config(void) {
  dtw_config_t *cfg = NULL;
  assert_int_equal(dtw_config_create(&cfg), 0);
  assert_int_equal(dtw_config_register(cfg, &twin_table), 0);
  assert_int_equal(dtw_config_register(cfg, &bridge_table), 0);
  return cfg;
}

static void data_path(const char *name, char *buf, size_t len) {
  const char *dir = getenv("DTW_TEST_DATA");
  assert_non_null(dir);
  snprintf(buf, len, "%s/config/%s", dir, name);
}

/* Fail unless err has a line containing every one of a, b (both may be NULL). */
static void assert_line(const char *err, const char *a, const char *b) {
  const char *line = err;
  while (line != NULL && *line != '\0') {
    const char *end = strchr(line, '\n');
    size_t l = end != NULL ? (size_t)(end - line) : strlen(line);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)l, line);
    if ((a == NULL || strstr(buf, a)) && (b == NULL || strstr(buf, b))) return;
    line = end != NULL ? end + 1 : NULL;
  }
  fail_msg("no line with '%s' and '%s' in:\n%s", a, b ? b : "", err);
}

static int count_lines(const char *s) {
  int n = s[0] != '\0';
  for (; *s != '\0'; s++) n += *s == '\n';
  return n;
}

static void test_macros_and_defaults(void **state) {
  (void)state;
  assert_int_equal(twin_table.n_params, 10);
  assert_int_equal(twin_table.struct_size, sizeof(twin_settings_t));
  assert_string_equal(twin_table.params[6].name, "qos__joint_states");
  assert_int_equal(twin_table.params[6].offset, offsetof(twin_settings_t, qos__joint_states));
  assert_int_equal(twin_table.params[6].size, DTW_PARAM_ENUM_MAX);
  assert_int_equal(twin_table.params[3].size, DTW_PARAM_STRING_MAX);
  assert_true(twin_table.params[1].max == 1000);

  twin_settings_t s;
  memset(&s, 0xAB, sizeof s);
  assert_int_equal(dtw_param_defaults(&twin_table, &s), 0);
  assert_true(s.enabled);
  assert_int_equal(s.queue_depth, 10);
  assert_true(s.rate_hz == 100.0);
  assert_string_equal(s.frame_prefix, "");
  assert_string_equal(s.robot_name, "robot");
  assert_string_equal(s.mode, "sim");
  assert_string_equal(s.qos__joint_states, "sensor_data");
  assert_true(s.qos__deadline_s == 0.5);
  assert_int_equal(s.big, -5);

  dtw_config_t *cfg = new_config();
  twin_settings_t g;
  char err[256];
  assert_int_equal(dtw_config_get(cfg, "twin", &g, err, sizeof err), 0);
  assert_memory_equal(&g, &s, sizeof s);
  assert_int_equal(dtw_config_get(cfg, "nope", &g, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "nope"));
  dtw_config_destroy(cfg);
  dtw_config_destroy(NULL);
}

static void test_register_checks(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  dtw_log_set_level(DTW_LOG_OFF); /* the refusals log an ERROR line each */
  assert_int_equal(dtw_config_register(cfg, &twin_table), DTW_EINVAL); /* twice */
  assert_int_equal(dtw_config_register(cfg, &bad_table), DTW_EINVAL);
  assert_int_equal(dtw_config_register(cfg, &clash_table), DTW_EINVAL);
  dtw_log_set_level(DTW_LOG_INFO);
  bad_settings_t b;
  assert_int_equal(dtw_param_defaults(&bad_table, &b), DTW_EINVAL);
  dtw_config_destroy(cfg);
}

static void test_load_file(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char path[1024], err[2048] = "";
  data_path("good.yaml", path, sizeof path);
  int rc = dtw_config_load_file(cfg, path, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  twin_settings_t t;
  bridge_settings_t b;
  assert_int_equal(dtw_config_get(cfg, "twin", &t, err, sizeof err), 0);
  assert_int_equal(dtw_config_get(cfg, "/bridge", &b, err, sizeof err), 0);
  assert_false(t.enabled);
  assert_int_equal(t.queue_depth, 32);
  assert_true(t.rate_hz == 250.0); /* the node's own entry beats the wildcard */
  assert_string_equal(t.frame_prefix, "robot1/");
  assert_string_equal(t.mode, "replay");
  assert_string_equal(t.qos__joint_states, "reliable");
  assert_true(t.qos__deadline_s == 1.5);
  assert_int_equal(t.ros_domain_id, 42); /* from the wildcard */
  assert_string_equal(t.robot_name, "robot"); /* default */
  assert_int_equal(b.ros_domain_id, 42);
  assert_true(b.rate_hz == 100.0); /* /bridge beats the wildcard's 200 */

  /* files layer: a second file changes only what it names */
  data_path("layered.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), 0);
  assert_int_equal(dtw_config_get(cfg, "twin", &t, err, sizeof err), 0);
  assert_int_equal(t.queue_depth, 99);
  assert_string_equal(t.mode, "replay");

  /* an empty file is no change */
  data_path("empty.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), 0);
  data_path("missing.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), DTW_ENOENT);
  assert_non_null(strstr(err, "missing.yaml"));
  dtw_config_destroy(cfg);
}

static void test_wildcard_applies_to_every_node(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char err[1024];
  const char *doc = "/**:\n  ros__parameters:\n    rate_hz: 300\n";
  /* 300 fits twin's range but not bridge's [1, 500]? it does; 600 does not */
  assert_int_equal(dtw_config_load_buffer(cfg, doc, strlen(doc), "w.yaml", err, sizeof err), 0);
  twin_settings_t t;
  bridge_settings_t b;
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  dtw_config_get(cfg, "bridge", &b, err, sizeof err);
  assert_true(t.rate_hz == 300.0 && b.rate_hz == 300.0);

  doc = "/**:\n  ros__parameters:\n    rate_hz: 600\n";
  assert_int_equal(dtw_config_load_buffer(cfg, doc, strlen(doc), "w.yaml", err, sizeof err),
                   DTW_ERANGE);
  assert_line(err, "w.yaml:3: /**.rate_hz: 600 is out of range", "(for node bridge)");
  assert_int_equal(count_lines(err), 1);

  doc = "'**':\n  ros__parameters:\n    frame_prefix: x\n    nothing_has_this: 1\n";
  assert_int_equal(dtw_config_load_buffer(cfg, doc, strlen(doc), "w.yaml", err, sizeof err),
                   DTW_ENOENT);
  assert_line(err, "w.yaml:4: /**.nothing_has_this: unknown parameter", "no registered node");
  assert_int_equal(count_lines(err), 1);
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  assert_string_equal(t.frame_prefix, ""); /* unchanged: the load failed */

  /* the node's own entry wins even when the wildcard comes later in the file */
  doc = "twin:\n  ros__parameters:\n    rate_hz: 250\n"
        "/**:\n  ros__parameters:\n    rate_hz: 400\n";
  assert_int_equal(dtw_config_load_buffer(cfg, doc, strlen(doc), "w.yaml", err, sizeof err), 0);
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  dtw_config_get(cfg, "bridge", &b, err, sizeof err);
  assert_true(t.rate_hz == 250.0 && b.rate_hz == 400.0);

  /* two wildcard entries for one parameter */
  doc = "/**:\n  ros__parameters:\n    rate_hz: 20\n'**':\n  ros__parameters:\n    rate_hz: 30\n";
  assert_int_equal(dtw_config_load_buffer(cfg, doc, strlen(doc), "w.yaml", err, sizeof err),
                   DTW_EPARSE);
  assert_line(err, "w.yaml:6: /**.rate_hz: set twice (first at line 3)", "(for node twin)");
  assert_line(err, "w.yaml:6: /**.rate_hz: set twice (first at line 3)", "(for node bridge)");
  dtw_config_destroy(cfg);
}

static void test_every_error_is_reported(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char path[1024], err[8192];
  data_path("good.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), 0);
  twin_settings_t before, after;
  bridge_settings_t bbefore, bafter;
  dtw_config_get(cfg, "twin", &before, err, sizeof err);
  dtw_config_get(cfg, "bridge", &bbefore, err, sizeof err);

  data_path("errors.yaml", path, sizeof path);
  int rc = dtw_config_load_file(cfg, path, err, sizeof err);
  assert_true(rc < 0);
  char f[1100];
  snprintf(f, sizeof f, "%s:", path);
  const char *want[][2] = {
      {":3: twin.enabled: 'yes' is not a boolean", "(expected true or false)"},
      {":4: twin.queue_depth: 1.5 is not an integer", "(expected an integer in [1, 1000])"},
      {":5: twin.rate_hz: 0.5 is out of range", "(expected a number in [1, 10000])"},
      {":6: twin.frame_prefix: got a sequence", "(expected a string"},
      {":7: twin.mode: 'flying' is not a valid choice", "(expected one of: sim, real, replay)"},
      {":9: twin.qos.joint_states: 'best_effort' is not a valid choice",
       "sensor_data, reliable"},
      {":10: twin.qos.deadlin_s: unknown parameter", "(did you mean 'qos.deadline_s'?)"},
      {":11: twin.robot_name: string of 25 characters is out of range", "length [1, 16]"},
      {":12: twin.queue_dept: unknown parameter", "(did you mean 'queue_depth'?)"},
      {":13: twn: unknown node", "(did you mean 'twin'?)"},
      {":16: bridge: missing ros__parameters", NULL},
      {":20: /**.no_such_param: unknown parameter", NULL},
      {":21: /**.ros_domain_id: '7' is a quoted string", "(for node twin)"},
      {":21: /**.ros_domain_id: '7' is a quoted string", "(for node bridge)"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    char a[1400];
    snprintf(a, sizeof a, "%s%s", path, want[i][0]); /* file:line at the start */
    assert_line(err, a, want[i][1]);
  }
  assert_int_equal(count_lines(err), 14);
  assert_int_equal(rc, DTW_EPARSE); /* the first problem's code; problems in file order */
  char first[1200];
  snprintf(first, sizeof first, "%s:3: ", path);
  assert_int_equal(strncmp(err, first, strlen(first)), 0);
  assert_non_null(strstr(err, f));

  /* unchanged on failure */
  dtw_config_get(cfg, "twin", &after, err, sizeof err);
  dtw_config_get(cfg, "bridge", &bafter, err, sizeof err);
  assert_memory_equal(&before, &after, sizeof before);
  assert_memory_equal(&bbefore, &bafter, sizeof bbefore);

  /* a tiny buffer still gets a terminated prefix of the text */
  char small[40];
  assert_true(dtw_config_load_file(cfg, path, small, sizeof small) < 0);
  assert_true(strlen(small) < sizeof small);
  assert_true(dtw_config_load_file(cfg, path, NULL, 0) < 0);
  dtw_config_destroy(cfg);
}

static void test_layout_errors(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char path[1024], err[2048];
  data_path("not_a_map.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "not_a_map.yaml:1: expected a mapping of node names"));

  data_path("duplicate.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), DTW_EPARSE);
  assert_line(err, "duplicate.yaml:5: twin.qos.joint_states: set twice (first at line 4)", NULL);

  const char *docs[][2] = {
      {"twin:\n  ros__parameters: 5\n", "b.yaml:2: twin.ros__parameters: expected a mapping"},
      {"twin:\n", "b.yaml:1: twin: missing ros__parameters"},
      {"twin:\n  ros__parameters: {}\n  extra: 1\n",
       "b.yaml:3: twin.extra: unexpected key (expected only ros__parameters)"},
      {"twin:\n  ros__parameters:\n    enabled: {a: 1}\n",
       "b.yaml:3: twin.enabled: got a mapping (expected true or false)"},
      {"twin:\n  ros__parameters:\n    qos: 3\n", "b.yaml:3: twin.qos: unknown parameter"},
      {"twin:\n  ros__parameters:\n    rate_hz: .nan\n", "b.yaml:3: twin.rate_hz: NaN"},
      {"twin:\n  ros__parameters:\n    rate_hz: '5'\n",
       "b.yaml:3: twin.rate_hz: '5' is a quoted string (expected a number in [1, 10000])"},
      {"twin:\n  ros__parameters:\n    big: 99999999999999999999\n",
       "b.yaml:3: twin.big: 99999999999999999999 is outside the 64-bit integer range"},
      {"twin: {ros__parameters: {frame_prefix: [1]}}\n", "b.yaml:1: twin.frame_prefix: got a"},
      {"a: &x 1\n", "b.yaml:1:4: anchors"},
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    int rc = dtw_config_load_buffer(cfg, docs[i][0], strlen(docs[i][0]), "b.yaml", err,
                                    sizeof err);
    if (rc >= 0 || strstr(err, docs[i][1]) == NULL)
      fail_msg("doc %zu: rc %d, '%s' lacks '%s'", i, rc, err, docs[i][1]);
  }
  /* an empty ros__parameters and nested maps with dotted keys are fine */
  const char *ok = "twin:\n  ros__parameters:\n    qos:\n      deadline_s: 2\n"
                   "bridge:\n  ros__parameters:\n";
  assert_int_equal(dtw_config_load_buffer(cfg, ok, strlen(ok), "b.yaml", err, sizeof err), 0);
  twin_settings_t t;
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  assert_true(t.qos__deadline_s == 2.0); /* DOUBLE accepts an int */
  dtw_config_destroy(cfg);
}

static void test_overrides(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char path[1024], err[1024];
  twin_settings_t t;
  /* set before load: the override still wins over the file */
  assert_int_equal(dtw_config_set(cfg, "twin.queue_depth=7", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.qos.joint_states=sensor_data", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.frame_prefix='a: b'", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "/twin.robot_name=\"123\"", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "/**.ros_domain_id=9", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.enabled=True", err, sizeof err), 0);
  data_path("good.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), 0);
  assert_int_equal(dtw_config_get(cfg, "twin", &t, err, sizeof err), 0);
  assert_int_equal(t.queue_depth, 7);                      /* override > file 0x20 */
  assert_string_equal(t.qos__joint_states, "sensor_data"); /* override > file */
  assert_string_equal(t.frame_prefix, "a: b");
  assert_string_equal(t.robot_name, "123");
  assert_int_equal(t.ros_domain_id, 9);
  assert_true(t.enabled);
  assert_string_equal(t.mode, "replay"); /* file > default */
  bridge_settings_t b;
  dtw_config_get(cfg, "bridge", &b, err, sizeof err);
  assert_int_equal(b.ros_domain_id, 9);
  /* a later override replaces an earlier one */
  assert_int_equal(dtw_config_set(cfg, "twin.queue_depth=8", err, sizeof err), 0);
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  assert_int_equal(t.queue_depth, 8);
  /* an empty value is an empty string */
  assert_int_equal(dtw_config_set(cfg, "twin.frame_prefix=", err, sizeof err), 0);
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  assert_string_equal(t.frame_prefix, "");
  dtw_config_destroy(cfg);
}

static void test_set_errors(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char err[1024];
  const struct {
    const char *set;
    int rc;
    const char *want;
  } cases[] = {
      {"twin.rate_hz=abc", DTW_EPARSE,
       "--set twin.rate_hz=abc: twin.rate_hz: 'abc' is not a number (expected a number in"},
      {"twin.queue_depth=1.5", DTW_EPARSE, "twin.queue_depth: 1.5 is not an integer"},
      {"twin.queue_depth=5000", DTW_ERANGE, "twin.queue_depth: 5000 is out of range"},
      {"twin.enabled=yes", DTW_EPARSE, "twin.enabled: 'yes' is not a boolean"},
      {"twin.mode=fake", DTW_ERANGE, "twin.mode: 'fake' is not a valid choice"},
      {"twin.rate_hz=[1, 2]", DTW_EPARSE, "twin.rate_hz: got a sequence"},
      {"twin.rate_hz=a: b", DTW_EPARSE, "twin.rate_hz: got a mapping"},
      {"twin.rate_hz=&x 1", DTW_EUNSUP, "--set twin.rate_hz=&x 1: --set:1:1: anchors"},
      {"twin.rat_hz=5", DTW_ENOENT, "twin.rat_hz: unknown parameter (did you mean 'rate_hz'?)"},
      {"twim.rate_hz=5", DTW_ENOENT, "twim: unknown node (did you mean 'twin'?)"},
      {"/**.nothing=5", DTW_ENOENT, "/**.nothing: unknown parameter"},
      {"/**.rate_hz=600", DTW_ERANGE, "bridge.rate_hz: 600 is out of range"},
      {"twin.rate_hz", DTW_EINVAL, "expected node.param=value"},
      {"twin=5", DTW_EINVAL, "expected node.param=value"},
      {"=5", DTW_EINVAL, "expected node.param=value"},
      {"twin.=5", DTW_EINVAL, "expected node.param=value"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    err[0] = '\0';
    int rc = dtw_config_set(cfg, cases[i].set, err, sizeof err);
    if (rc != cases[i].rc || strstr(err, cases[i].want) == NULL)
      fail_msg("%s: rc %d want %d, '%s' lacks '%s'", cases[i].set, rc, cases[i].rc, err,
               cases[i].want);
  }
  /* nothing was applied, even by the wildcard that fits twin but not bridge */
  twin_settings_t t, d;
  dtw_config_get(cfg, "twin", &t, err, sizeof err);
  dtw_param_defaults(&twin_table, &d);
  assert_memory_equal(&t, &d, sizeof t);
  dtw_config_destroy(cfg);
}

/* Dump to a string; caller frees. */
static char *dump(const dtw_config_t *cfg) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  assert_int_equal(dtw_config_dump(cfg, f), 0);
  fclose(f);
  return text;
}

static void test_dump_round_trip(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char path[1024], err[2048];
  data_path("good.yaml", path, sizeof path);
  assert_int_equal(dtw_config_load_file(cfg, path, err, sizeof err), 0);
  /* strings that need quoting to survive */
  assert_int_equal(dtw_config_set(cfg, "twin.frame_prefix=\"q\\\"uo\\\\te\\n\\ttab #: x\"",
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_config_set(cfg, "twin.robot_name='true'", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.rate_hz=1234.5678", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.big=-9223372036854775808", err, sizeof err), 0);
  assert_int_equal(dtw_config_set(cfg, "twin.qos.deadline_s=1e-1", err, sizeof err), 0);

  char *text = dump(cfg);
  /* comments carry help, default and range */
  assert_non_null(strstr(text, "# History depth (default 10, range [1, 1000])\n"
                               "    queue_depth: 32\n"));
  assert_non_null(strstr(text, "# Operating mode (default sim, choices sim|real|replay)\n"
                               "    mode: replay\n"));
  assert_non_null(strstr(text, "    qos:\n      # QoS of | joint_states"));
  assert_non_null(strstr(text, "# Prefix for TF frames (default \"\")\n"));
  assert_non_null(strstr(text, "# Robot name (default robot, length [1, 16])\n"));
  assert_non_null(strstr(text, "    rate_hz: 1234.5678\n"));
  assert_non_null(strstr(text, "      deadline_s: 0.1\n"));
  assert_non_null(strstr(text, "    robot_name: \"true\"\n"));
  assert_non_null(strstr(text, "twin:\n  ros__parameters:\n"));
  assert_non_null(strstr(text, "bridge:\n  ros__parameters:\n"));

  dtw_config_t *again = new_config();
  int rc = dtw_config_load_buffer(again, text, strlen(text), "dump.yaml", err, sizeof err);
  if (rc != 0) fail_msg("dump does not load back: %s\n%s", err, text);
  twin_settings_t a, b;
  bridge_settings_t ba, bb;
  dtw_config_get(cfg, "twin", &a, err, sizeof err);
  dtw_config_get(again, "twin", &b, err, sizeof err);
  assert_memory_equal(&a, &b, sizeof a);
  assert_string_equal(b.frame_prefix, "q\"uo\\te\n\ttab #: x");
  assert_string_equal(b.robot_name, "true");
  dtw_config_get(cfg, "bridge", &ba, err, sizeof err);
  dtw_config_get(again, "bridge", &bb, err, sizeof err);
  assert_memory_equal(&ba, &bb, sizeof ba);
  /* and dumping the reloaded config gives the same text */
  char *text2 = dump(again);
  assert_string_equal(text, text2);
  free(text);
  free(text2);
  dtw_config_destroy(again);
  dtw_config_destroy(cfg);
}

/* Line breaks other than \n (NEL, LS, PS), C1 controls and the BOM survive a
 * dump and reload (config fuzzer finding: NEL was written raw and read back
 * as a space). */
static void test_dump_escapes_yaml_line_breaks(void **state) {
  (void)state;
  dtw_config_t *cfg = new_config();
  char err[2048];
  assert_int_equal(
      dtw_config_set(cfg, "twin.frame_prefix=\"a\\Nb\\Lc\\Pd\\x80e\\ufefff\\u00e9\\rg\"", err,
                     sizeof err),
      0);
  twin_settings_t a, b;
  dtw_config_get(cfg, "twin", &a, err, sizeof err);
  assert_string_equal(a.frame_prefix, "a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xc2\x80"
                                      "e\xef\xbb\xbf" "f\xc3\xa9\rg");
  char *text = dump(cfg);
  assert_non_null(strstr(text, "\"a\\Nb\\Lc\\Pd\\x80e\\ufefff\xc3\xa9\\x0dg\""));
  dtw_config_t *again = new_config();
  int rc = dtw_config_load_buffer(again, text, strlen(text), "dump.yaml", err, sizeof err);
  if (rc != 0) fail_msg("dump does not load back: %s\n%s", err, text);
  dtw_config_get(again, "twin", &b, err, sizeof err);
  assert_string_equal(b.frame_prefix, a.frame_prefix);
  free(text);
  dtw_config_destroy(again);
  dtw_config_destroy(cfg);
}

static void test_docs(void **state) {
  (void)state;
  const dtw_param_table_t *tables[] = {&twin_table, &bridge_table};
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  assert_int_equal(dtw_config_write_docs(tables, 2, f), 0);
  fclose(f);
  assert_non_null(strstr(text, "# Configuration reference\n"));
  assert_non_null(strstr(text, "\n## twin\n\nTest twin node\n\n"
                               "| name | type | default | range/choices | description |\n"));
  assert_non_null(strstr(text, "| `queue_depth` | int | `10` | [1, 1000] | History depth |\n"));
  assert_non_null(strstr(text, "| `qos.joint_states` | enum | `sensor_data` | "
                               "`sensor_data`, `reliable` | QoS of \\| joint_states |\n"));
  assert_non_null(strstr(text, "| `enabled` | bool | `true` | - | Run the node |\n"));
  assert_non_null(strstr(text, "| `frame_prefix` | string | `\"\"` | - |"));
  assert_non_null(strstr(text, "| `robot_name` | string | `robot` | length [1, 16] |"));
  assert_non_null(strstr(text, "\n## bridge\n"));
  assert_non_null(strstr(text, "| `rate_hz` | double | `50` | [1, 500] | Bridge rate |\n"));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_macros_and_defaults),
      cmocka_unit_test(test_register_checks),
      cmocka_unit_test(test_load_file),
      cmocka_unit_test(test_wildcard_applies_to_every_node),
      cmocka_unit_test(test_every_error_is_reported),
      cmocka_unit_test(test_layout_errors),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_set_errors),
      cmocka_unit_test(test_dump_round_trip),
      cmocka_unit_test(test_dump_escapes_yaml_line_breaks),
      cmocka_unit_test(test_docs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
