/* libFuzzer target: bytes -> YAML tree -> parameter-file validation.
 *
 * Besides "no crash, no leak", checks two properties on every input that
 * loads: the typed accessors agree with the parse functions, and
 * dump -> load -> dump gives the same text (the dump is a valid parameter
 * file holding the same values). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/config.h"
#include "dtw/log.h"
#include "dtw/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PARAMS(X)                                                     \
  X(BOOL, enabled, "true", 0, 0, NULL, "flag")                             \
  X(INT, depth, "10", 1, 1000, NULL, "ranged int")                         \
  X(INT, any, "0", 0, 0, NULL, "any int")                                  \
  X(DOUBLE, rate, "100", 1, 10000, NULL, "ranged double")                  \
  X(DOUBLE, gain, "0.5", 0, 0, NULL, "any double")                         \
  X(STRING, name, "", 0, 0, NULL, "any string")                            \
  X(STRING, tag, "a", 1, 8, NULL, "short string")                          \
  X(ENUM, mode, "sim", 0, 0, "sim|real|true|1.5", "enum with odd choices") \
  X(ENUM, qos__js, "best", 0, 0, "best|reliable", "nested")                \
  X(DOUBLE, qos__a__b, "1", 0, 0, NULL, "deeply nested")
DTW_PARAM_STRUCT(fuzz_settings_t, FUZZ_PARAMS);
#define DTW_PARAM_STYPE fuzz_settings_t
DTW_PARAM_TABLE(fuzz_table, "sim", "fuzz node", FUZZ_PARAMS);
#undef DTW_PARAM_STYPE

#define FUZZ2_PARAMS(X) X(INT, depth, "5", 0, 100, NULL, "other range")
DTW_PARAM_STRUCT(fuzz2_settings_t, FUZZ2_PARAMS);
#define DTW_PARAM_STYPE fuzz2_settings_t
DTW_PARAM_TABLE(fuzz2_table, "bridge", "second node", FUZZ2_PARAMS);
#undef DTW_PARAM_STYPE

static void walk(const dtw_yaml_node_t *n) {
  char err[256];
  if (n == NULL) return;
  if (n->kind == DTW_YAML_SCALAR) {
    double d;
    int64_t i;
    bool b;
    const char *s;
    int rd = dtw_yaml_as_double(n, &d, err, sizeof err);
    int ri = dtw_yaml_as_int64(n, &i, err, sizeof err);
    (void)dtw_yaml_as_bool(n, &b, err, sizeof err);
    if (dtw_yaml_as_string(n, &s, err, sizeof err) != 0) abort();
    if (ri == 0 && rd != 0) abort(); /* every int is a double */
    if (!n->quoted && (dtw_yaml_parse_int64(n->text, &i) == 0) != (ri == 0)) abort();
    return;
  }
  for (size_t k = 0; k < n->count; k++) {
    if (n->kind == DTW_YAML_MAPPING && n->keys[k]->kind != DTW_YAML_SCALAR) abort();
    if (n->kind == DTW_YAML_MAPPING && dtw_yaml_get(n, n->keys[k]->text) != n->items[k]) abort();
    walk(n->items[k]);
  }
}

static char *dump(const dtw_config_t *cfg, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (f == NULL) abort();
  if (dtw_config_dump(cfg, f) != 0) abort();
  fclose(f);
  return text;
}

static dtw_config_t *new_config(void) {
  dtw_config_t *cfg = NULL;
  if (dtw_config_create(&cfg) != 0 || dtw_config_register(cfg, &fuzz_table) != 0 ||
      dtw_config_register(cfg, &fuzz2_table) != 0)
    abort();
  return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[4096];
  dtw_yaml_doc_t doc = {0};
  if (dtw_yaml_load_buffer((const char *)data, size, "fuzz.yaml", &doc, err, sizeof err) != 0)
    return 0;
  walk(doc.root);
  dtw_yaml_free(&doc);

  dtw_config_t *cfg = new_config();
  if (dtw_config_load_buffer(cfg, (const char *)data, size, "fuzz.yaml", err, sizeof err) == 0) {
    size_t len1 = 0, len2 = 0;
    char *text1 = dump(cfg, &len1);
    dtw_config_t *again = new_config();
    if (dtw_config_load_buffer(again, text1, len1, "dump.yaml", err, sizeof err) != 0) {
      fprintf(stderr, "dump does not load back: %s\n%s\n", err, text1);
      abort();
    }
    char *text2 = dump(again, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
      fprintf(stderr, "dump changed on reload:\n%s\n---\n%s\n", text1, text2);
      abort();
    }
    fuzz_settings_t a, b;
    if (dtw_config_get(cfg, "sim", &a, err, sizeof err) != 0 ||
        dtw_config_get(again, "sim", &b, err, sizeof err) != 0 || memcmp(&a, &b, sizeof a) != 0)
      abort();
    free(text1);
    free(text2);
    dtw_config_destroy(again);
  }
  dtw_config_destroy(cfg);
  return 0;
}
