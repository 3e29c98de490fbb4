/* dtw/config.h - node settings from a ROS 2 parameter file.
 *
 * File layout (as `ros2 run ... --params-file` expects):
 *
 *   sim:                      # node name
 *     ros__parameters:
 *       physics_rate_hz: 1000.0
 *       qos:                  # nested maps become dotted names: qos.joint_states
 *         joint_states: sensor_data
 *   /**:                      # wildcard: applies to every node that has the parameter
 *     ros__parameters:
 *       ros_domain_id: 0
 *
 * Each component describes its settings once, as an X-macro list; the list
 * generates the settings struct, the parameter table (name, type, default,
 * range, help), the parser and validation, `dtwin config dump`, and
 * docs/config.md. Precedence: table default < file < `--set node.param=value`.
 *
 * Declaring a component's settings (in its public header):
 *
 *   #define DTW_SIM_PARAMS(X)                                                    \
 *     X(DOUBLE, physics_rate_hz, "1000", 10, 100000, NULL, "Physics steps per second") \
 *     X(ENUM, base, "fixed", 0, 0, "fixed|floating", "How the robot is held")
 *   DTW_PARAM_STRUCT(dtw_sim_settings_t, DTW_SIM_PARAMS);
 *   extern const dtw_param_table_t dtw_sim_param_table;
 *
 * and in its .c (see DTW_PARAM_TABLE below for DTW_PARAM_STYPE):
 *   DTW_PARAM_TABLE(dtw_sim_param_table, "sim", "Physics twin", DTW_SIM_PARAMS);
 *
 * X(type, name, default_text, min, max, choices, help): type is BOOL, INT
 * (int64_t), DOUBLE, STRING (char[DTW_PARAM_STRING_MAX]) or ENUM
 * (char[DTW_PARAM_ENUM_MAX], one of the '|'-separated choices). min/max apply
 * to INT and DOUBLE (inclusive) and to STRING length; use 0,0 for "no range".
 * Nested parameters: a double underscore in the C field name is a dot in the
 * file, so field qos__joint_states is parameter qos.joint_states. */
#ifndef DTW_CONFIG_H
#define DTW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DTW_PARAM_STRING_MAX 512
#define DTW_PARAM_ENUM_MAX 32

typedef enum {
  DTW_PT_BOOL,
  DTW_PT_INT,
  DTW_PT_DOUBLE,
  DTW_PT_STRING,
  DTW_PT_ENUM
} dtw_param_type_t;

typedef struct dtw_param_spec {
  const char *name;      /* C field name; "__" stands for "." in the file */
  dtw_param_type_t type;
  const char *def;       /* default, as text in the file's syntax */
  double min, max;       /* inclusive range; min == max == 0: no range */
  const char *choices;   /* ENUM: "a|b|c"; else NULL */
  const char *help;
  size_t offset;         /* into the settings struct */
  size_t size;           /* of the field */
} dtw_param_spec_t;

typedef struct dtw_param_table {
  const char *node;      /* node name in the file ("sim") */
  const char *summary;   /* one line for docs and dump */
  const dtw_param_spec_t *params;
  size_t n_params;
  size_t struct_size;
} dtw_param_table_t;

#define DTW__PF_BOOL(n) bool n;
#define DTW__PF_INT(n) int64_t n;
#define DTW__PF_DOUBLE(n) double n;
#define DTW__PF_STRING(n) char n[DTW_PARAM_STRING_MAX];
#define DTW__PF_ENUM(n) char n[DTW_PARAM_ENUM_MAX];
#define DTW__PARAM_FIELD(type, name, def, min, max, choices, help) DTW__PF_##type(name)
#define DTW_PARAM_STRUCT(stype, LIST) typedef struct { LIST(DTW__PARAM_FIELD) } stype

/* Spec entries take the struct type from DTW_PARAM_STYPE, defined by the .c
 * file around DTW_PARAM_TABLE:
 *   #define DTW_PARAM_STYPE dtw_sim_settings_t
 *   DTW_PARAM_TABLE(dtw_sim_param_table, "sim", "Physics twin", DTW_SIM_PARAMS);
 *   #undef DTW_PARAM_STYPE */
#define DTW__PARAM_SPEC(type, name, def, min, max, choices, help)                   \
  {#name, DTW_PT_##type, def, min, max, choices, help,                             \
   offsetof(DTW_PARAM_STYPE, name), sizeof(((DTW_PARAM_STYPE *)0)->name)},
#define DTW_PARAM_TABLE(var, node_name, summary_text, LIST)                         \
  static const dtw_param_spec_t var##__specs[] = {LIST(DTW__PARAM_SPEC)};           \
  const dtw_param_table_t var = {node_name, summary_text, var##__specs,             \
                                 sizeof(var##__specs) / sizeof(var##__specs[0]),    \
                                 sizeof(DTW_PARAM_STYPE)}

typedef struct dtw_config dtw_config_t;

/* Allocate an empty configuration. Returns 0 or DTW_ENOMEM. */
int dtw_config_create(dtw_config_t **out);
/* Free; NULL is fine. */
void dtw_config_destroy(dtw_config_t *cfg);

/* Make a node's table known. Tables are not copied (use static storage). */
int dtw_config_register(dtw_config_t *cfg, const dtw_param_table_t *table);

/* Read a parameter file and validate every entry against the registered
 * tables: unknown node, unknown parameter, wrong type, value out of range or
 * not among the choices. On failure returns DTW_EPARSE/DTW_ERANGE/DTW_ENOENT
 * and err holds every problem found, one "file:line: node.param: ..." per line.
 * The configuration is unchanged after a failure. */
int dtw_config_load_file(dtw_config_t *cfg, const char *path, char *err, size_t errlen);

/* Apply one override "node.param=value" (value in YAML scalar syntax), with
 * the same validation ("--set sim.rtf=abc: expected a number"). */
int dtw_config_set(dtw_config_t *cfg, const char *assignment, char *err, size_t errlen);

/* Fill a node's settings struct: table defaults, then the file, then overrides.
 * out must point to a struct of table->struct_size bytes. DTW_ENOENT if the
 * node was not registered. */
int dtw_config_get(const dtw_config_t *cfg, const char *node, void *out, char *err,
                   size_t errlen);

/* Write the effective configuration of every registered node, in the
 * parameter-file layout, each parameter with its help as a comment. */
int dtw_config_dump(const dtw_config_t *cfg, FILE *out);

/* Write the Markdown reference (docs/config.md) for these tables. */
int dtw_config_write_docs(const dtw_param_table_t *const *tables, size_t n, FILE *out);

/* Fill a struct with a table's defaults only (no config object needed). */
int dtw_param_defaults(const dtw_param_table_t *table, void *out);

#endif /* DTW_CONFIG_H */
