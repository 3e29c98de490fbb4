/* dtw/config.h - node settings from a ROS 2 parameter file.
 *
 * File layout (as `ros2 run ... --params-file` expects; line comments below
 * because the wildcard key would open a comment inside a block comment): */
//   sim:                      # node name
//     ros__parameters:
//       physics_rate_hz: 1000.0
//       qos:                  # nested maps become dotted names: qos.joint_states
//         joint_states: sensor_data
//   /**:                      # wildcard: applies to every node that has the parameter
//     ros__parameters:
//       ros_domain_id: 0
/*
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
 * to INT and DOUBLE (inclusive) and to STRING length in bytes; use 0,0 for "no
 * range". Defaults are text in the file's syntax, but a STRING default is taken
 * verbatim (no quotes). INT refuses 1.5 and 2.0 alike; DOUBLE accepts ints;
 * BOOL is true/false only (YAML 1.2: no yes/no/on/off).
 * Nested parameters: a double underscore in the C field name is a dot in the
 * file, so field qos__joint_states is parameter qos.joint_states. */
#ifndef DTW_CONFIG_H
#define DTW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtw/yaml.h"

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
  const char *def;       /* default, as text in the file's syntax; NULL: required (only for
                            tables read with dtw_param_read_yaml: node settings need one) */
  double min, max;       /* inclusive range; min == max == 0: no range */
  const char *choices;   /* ENUM: "a|b|c"; STRING: NULL or a format (DTW_FORMAT_*) */
  const char *help;
  size_t offset;         /* into the settings struct */
  size_t size;           /* of the field */
} dtw_param_spec_t;

/* Formats a STRING parameter may declare in its choices field: values are checked
 * with the rules of dtw/ros_names.h when the file is read. */
#define DTW_FORMAT_ROS_NODE_NAME "@ros_node_name"
#define DTW_FORMAT_ROS_NAMESPACE "@ros_namespace"
#define DTW_FORMAT_ROS_REMAPPINGS "@ros_remappings"

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

/* Allocate an empty configuration. Returns 0 or DTW_ENOMEM. A config object
 * is not thread-safe: load/set/register from one thread. */
int dtw_config_create(dtw_config_t **out);
/* Free; NULL is fine. */
void dtw_config_destroy(dtw_config_t *cfg);

/* Make a node's table known. Tables are not copied (use static storage).
 * The table is checked (field sizes, defaults valid and in range, no duplicate
 * names, no parameter that is also a prefix of another, node not yet
 * registered); a bad table is DTW_EINVAL, explained in an ERROR log line. */
int dtw_config_register(dtw_config_t *cfg, const dtw_param_table_t *table);

/* Read a parameter file and validate every entry against the registered
 * tables: unknown node, unknown parameter, wrong type, value out of range or
 * not among the choices. On failure returns DTW_EPARSE/DTW_ERANGE/DTW_ENOENT
 * and err holds every problem found, one "file:line: node.param: ..." per line.
 * The configuration is unchanged after a failure.
 * Node keys may be written "sim" or "/sim"; the wildcard key is slash-star-star
 * (or just "**").
 * Within one file a node's own entry beats the wildcard; setting the same
 * parameter twice in one file is an error. Loading several files layers them
 * (a later file overrides an earlier one); overrides from dtw_config_set
 * always win. Return codes: the code of the first problem (ENOENT: unknown
 * name, EPARSE: syntax/type/layout, ERANGE: range/choices/length). */
int dtw_config_load_file(dtw_config_t *cfg, const char *path, char *err, size_t errlen);

/* Same as dtw_config_load_file for a document in memory; name is used in
 * messages in place of the file name. */
int dtw_config_load_buffer(dtw_config_t *cfg, const char *data, size_t len, const char *name,
                           char *err, size_t errlen);

/* Apply one override "node.param=value" (value in YAML scalar syntax), with
 * the same validation ("--set sim.rtf=abc: sim.rtf: 'abc' is not a number
 * (expected ...)"). node may be the wildcard (slash-star-star): every node
 * having the parameter.
 * Unknown names get a "did you mean" hint when one is close. */
int dtw_config_set(dtw_config_t *cfg, const char *assignment, char *err, size_t errlen);

/* Fill a node's settings struct: table defaults, then the file, then overrides.
 * out must point to a struct of table->struct_size bytes. DTW_ENOENT if the
 * node was not registered. Read-only on cfg: may run concurrently with other
 * gets, not with load/set. */
int dtw_config_get(const dtw_config_t *cfg, const char *node, void *out, char *err,
                   size_t errlen);

/* Write the effective configuration of every registered node, in the
 * parameter-file layout, each parameter with its help as a comment
 * ("# help (default X, range [a, b])"). The output loads back to the same
 * values. Returns 0 or DTW_EIO. */
int dtw_config_dump(const dtw_config_t *cfg, FILE *out);

/* Write the Markdown reference (docs/config.md) for these tables: one section
 * per node with a table name | type | default | range/choices | description.
 * Returns 0 or DTW_EIO. */
int dtw_config_write_docs(const dtw_param_table_t *const *tables, size_t n, FILE *out);

/* Fill a struct with a table's defaults only (no config object needed); a
 * required parameter (def NULL) is left zero.
 * DTW_EINVAL if a default does not parse (dtw_config_register checks this). */
int dtw_param_defaults(const dtw_param_table_t *table, void *out);

/* ---- one parameter at a time: for files with a layout of their own ----------
 * (the controllers file: per-joint maps under joint names). The caller walks
 * its document and names places; these make the type, range and choice checks
 * and the value text, with the same rules and words as the parameter files. */

/* Index of the parameter with this dotted name ("constraints.goal_time") in
 * table, or -1. */
int dtw_param_find(const dtw_param_table_t *table, const char *dotted);

/* Check the YAML value val against sp and store it in the struct at base.
 * Returns 0, or DTW_EPARSE / DTW_ERANGE with msg saying what is wrong without
 * the place ("'maybe' is not a boolean (expected true or false)", "got a
 * sequence (expected a number in [0, 100])"): the caller adds "file:line: name: ".
 * base is unchanged on failure. Does not keep val. */
int dtw_param_read_yaml(const dtw_param_spec_t *sp, const dtw_yaml_node_t *val, void *base,
                        char *msg, size_t msglen);

/* Write the struct field of sp at base as YAML text that reads back the same
 * (no newline). Returns 0, DTW_EINVAL or DTW_EIO. */
int dtw_param_write_value(const dtw_param_spec_t *sp, const void *base, FILE *out);

/* Write one table as Markdown rows, name | type | default ("required" for
 * def NULL) | range/choices | description, with the header row (what
 * dtw_config_write_docs writes per node). Returns 0, DTW_EINVAL or DTW_EIO. */
int dtw_param_write_md(const dtw_param_table_t *table, FILE *out);

#endif /* DTW_CONFIG_H */
