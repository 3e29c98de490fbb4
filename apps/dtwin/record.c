/* record.c - raw CDR subscriptions written to MCAP (record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/mcap.h"
#include "dtw/typedesc.h"
#include "dtw/version.h"
#include "record.h"

#define REC_MAX_TOPICS 64 /* larger samples than 4 MiB are refused by the bus and counted */

typedef struct rec_topic {
  char name[256];
  dtw_sub_t *sub;
  uint16_t channel;
  uint32_t seq;
} rec_topic_t;

struct dtwin_recorder {
  const char *cmd;
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_graph_t *graph; /* all topics: watched for new ones */
  int64_t next_scan_ns;
  dtw_mcap_writer_t *w;
  rec_topic_t topics[REC_MAX_TOPICS];
  size_t n_topics;
  struct { char type[128]; uint16_t id; } schemas[REC_MAX_TOPICS];
  size_t n_schemas;
  dtw_cdr_buf_t buf;
  int failed;
};

/* What rosbag2 stores per channel: the QoS the publisher offered (YAML). A
 * recorder sees no publisher QoS through the bus; these are ROS defaults,
 * which `ros2 bag play` uses to publish. */
static const char k_qos_yaml[] =
    "- history: 3\n  depth: 0\n  reliability: 1\n  durability: 2\n"
    "  deadline:\n    sec: 9223372036\n    nsec: 854775807\n"
    "  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n"
    "  liveliness: 1\n  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n"
    "  avoid_ros_namespace_conventions: false\n";

static const char *infer_type(const char *topic) {
  static const struct { const char *suffix, *type; } k[] = {
      {"joint_states", DTW_TYPE_JOINT_STATE}, {"set_state", DTW_TYPE_JOINT_STATE},
      {"/clock", DTW_TYPE_CLOCK}, {"joint_trajectory", DTW_TYPE_JOINT_TRAJECTORY},
      {"/sync/status", DTW_TYPE_DIAGNOSTIC_ARRAY}, {"controller_state", DTW_TYPE_JTC_STATE}};
  size_t tl = strlen(topic);
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    size_t sl = strlen(k[i].suffix);
    if (tl >= sl && !strcmp(topic + tl - sl, k[i].suffix)) return k[i].type;
  }
  return NULL;
}

static void report_failure(dtwin_recorder_t *r, const char *err) {
  if (r->failed) return;
  r->failed = DTW_EIO;
  fprintf(stderr, "dtwin %s: recording stopped: %s (what was written so far stays readable)\n",
          r->cmd, err);
}

/* Subscribe to topic (type known) and add its channel. 0, or -1 (printed). */
static int add_topic(dtwin_recorder_t *r, const char *topic, const char *type) {
  char err[512];
  if (r->n_topics == REC_MAX_TOPICS) {
    fprintf(stderr, "dtwin %s: more than %d topics; '%s' not recorded\n", r->cmd, REC_MAX_TOPICS, topic);
    return -1;
  }
  const dtw_typedesc_t *td = dtw_typedesc_find(type);
  if (!td || !dtw_bus_has_type(type)) {
    fprintf(stderr, "dtwin %s: '%s': no type description for '%s'; not recorded\n", r->cmd, topic, type);
    return -1;
  }
  uint16_t sid = 0;
  for (size_t i = 0; i < r->n_schemas; i++)
    if (!strcmp(r->schemas[i].type, td->name)) sid = r->schemas[i].id;
  if (!sid) {
    if (dtw_mcap_add_schema(r->w, td->name, "ros2msg", td->msg_definition,
                            strlen(td->msg_definition), &sid, err, sizeof err)) {
      report_failure(r, err);
      return -1;
    }
    snprintf(r->schemas[r->n_schemas].type, sizeof r->schemas[0].type, "%s", td->name);
    r->schemas[r->n_schemas++].id = sid;
  }
  rec_topic_t *t = &r->topics[r->n_topics];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", topic);
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA; /* best effort matches reliable and best-effort writers */
  so.raw = true;
  so.depth = 4096;
  if (dtw_sub_create(r->node, topic, type, &so, &t->sub, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: '%s': %s\n", r->cmd, topic, err);
    return -1;
  }
  const char *meta[] = {"offered_qos_profiles", k_qos_yaml, "topic_type_hash", td->rihs01};
  if (dtw_mcap_add_channel(r->w, sid, topic, "cdr", meta, 2, &t->channel, err, sizeof err)) {
    dtw_sub_destroy(t->sub);
    report_failure(r, err);
    return -1;
  }
  r->n_topics++;
  return 0;
}

static bool known_topic(const dtwin_recorder_t *r, const char *topic) {
  for (size_t i = 0; i < r->n_topics; i++)
    if (!strcmp(r->topics[i].name, topic)) return true;
  return false;
}

/* All-topics mode: subscribe to topics that appeared on the graph. */
static void scan_graph(dtwin_recorder_t *r) {
  dtw_graph_update(r->graph);
  size_t n = dtw_graph_topic_count(r->graph);
  for (size_t i = 0; i < n; i++) {
    dtw_graph_topic_info_t t;
    if (dtw_graph_topic_at(r->graph, i, &t) < 0 || !t.type[0] || !t.n_publishers) continue;
    if (known_topic(r, t.name) || !dtw_typedesc_find(t.type) || !dtw_bus_has_type(t.type)) continue;
    if (add_topic(r, t.name, t.type) == 0) fprintf(stderr, "dtwin %s: recording %s [%s]\n", r->cmd, t.name, t.type);
  }
}

static void write_metadata(dtwin_recorder_t *r, const dtwin_cli_t *cli) {
  char *cfg = NULL;
  size_t cfg_len = 0;
  FILE *f = open_memstream(&cfg, &cfg_len);
  if (f) {
    dtw_config_dump(cli->cfg, f);
    fclose(f);
  }
  char args[1024] = "";
  size_t used = 0;
  for (int i = 0; i < cli->argc && used + 2 < sizeof args; i++)
    used += (size_t)snprintf(args + used, sizeof args - used, "%s%s", i ? " " : "", cli->argv[i]);
  char err[512];
  const char *kv[] = {"version", DTW_VERSION, "revision", DTW_REVISION, "command", args,
                      "config_file", cli->config_path ? cli->config_path : "",
                      "config", cfg ? cfg : ""};
  if (dtw_mcap_write_metadata(r->w, "dtwin", kv, 5, err, sizeof err)) report_failure(r, err);
  free(cfg);
}

int dtwin_recorder_create(const dtwin_cli_t *cli, dtw_bus_t *bus, const dtwin_recorder_opts_t *o,
                          dtwin_recorder_t **out) {
  char err[512];
  dtwin_recorder_t *r = calloc(1, sizeof *r);
  if (!r) return DTWIN_EXIT_FAILURE;
  r->cmd = cli->cmd_name;
  r->bus = bus;
  dtw_mcap_write_options_t wo;
  dtw_mcap_write_options_default(&wo);
  wo.library = "dtwin " DTW_VERSION " (" DTW_REVISION ")";
  if (o->compression) {
    int c = dtw_mcap_compression_parse(o->compression);
    if (c < 0) {
      free(r);
      return dtwin_usage_error(cli, "unknown compression '%s' (zstd, lz4, none)", o->compression);
    }
    wo.compression = (dtw_mcap_compression_t)c;
  }
  char name[64];
  snprintf(name, sizeof name, "dtwin_recorder_%d", (int)(dtw_clock_mono_ns() % 100000));
  if (dtw_bus_node_create(bus, name, "/", &r->node, err, sizeof err) < 0 ||
      dtw_graph_create(bus, &r->graph, err, sizeof err) < 0) {
    fprintf(stderr, "dtwin %s: %s\n", r->cmd, err);
    goto fail;
  }
  if (dtw_mcap_writer_open(o->path, &wo, &r->w, err, sizeof err)) {
    fprintf(stderr, "dtwin %s: %s\n", r->cmd, err);
    goto fail;
  }
  write_metadata(r, cli);
  for (size_t i = 0; i < o->n_topics; i++) {
    const char *type = NULL;
    int64_t end = dtw_clock_mono_ns() + 3 * DTW_NS_PER_S;
    do {
      dtw_graph_update(r->graph);
      type = dtw_graph_topic_type(r->graph, o->topics[i]);
      if (type && type[0]) break;
      type = NULL;
      dtw_clock_sleep_ns(20 * 1000000LL);
    } while (dtw_clock_mono_ns() < end);
    if (!type) type = infer_type(o->topics[i]);
    if (!type) {
      fprintf(stderr, "dtwin %s: cannot tell the type of '%s' (no publisher seen)\n", r->cmd, o->topics[i]);
      goto fail;
    }
    if (add_topic(r, o->topics[i], type)) goto fail;
  }
  if (!o->n_topics) scan_graph(r);
  else {
    dtw_graph_destroy(r->graph); /* fixed topic list: no watching */
    r->graph = NULL;
  }
  /* raw takes copy into a caller buffer that must hold the largest sample */
  r->buf.cap = 4u << 20;
  if (!(r->buf.data = malloc(r->buf.cap))) goto fail;
  *out = r;
  return 0;
fail:
  dtw_mcap_writer_close(r->w, NULL, 0);
  for (size_t i = 0; i < r->n_topics; i++) dtw_sub_destroy(r->topics[i].sub);
  dtw_graph_destroy(r->graph);
  dtw_bus_node_destroy(r->node);
  free(r);
  return DTWIN_EXIT_FAILURE;
}

int dtwin_recorder_poll(dtwin_recorder_t *r) {
  int written = 0;
  char err[512];
  if (r->graph && r->next_scan_ns <= dtw_clock_mono_ns()) {
    r->next_scan_ns = dtw_clock_mono_ns() + DTW_NS_PER_S / 2;
    if (!r->failed) scan_graph(r);
  }
  for (size_t i = 0; i < r->n_topics; i++) {
    rec_topic_t *t = &r->topics[i];
    int rc;
    while ((rc = dtw_sub_take(t->sub, &r->buf)) == 1) {
      if (r->failed) continue; /* keep draining; nothing more is written */
      uint64_t now = (uint64_t)dtw_clock_real_ns();
      if (dtw_mcap_write_message(r->w, t->channel, t->seq++, now, now, r->buf.data, r->buf.len,
                                 err, sizeof err)) {
        report_failure(r, err);
        continue;
      }
      written++;
    }
  }
  return written;
}

uint64_t dtwin_recorder_messages(const dtwin_recorder_t *r) { return dtw_mcap_writer_messages(r->w); }
int dtwin_recorder_failed(const dtwin_recorder_t *r) { return r->failed; }

int dtwin_recorder_close(dtwin_recorder_t *r) {
  if (!r) return 0;
  dtwin_recorder_poll(r);
  char err[512];
  uint64_t n = dtw_mcap_writer_messages(r->w);
  int rc = dtw_mcap_writer_close(r->w, err, sizeof err);
  if (rc && !r->failed) fprintf(stderr, "dtwin %s: closing the recording: %s\n", r->cmd, err);
  for (size_t i = 0; i < r->n_topics; i++) dtw_sub_destroy(r->topics[i].sub);
  dtw_graph_destroy(r->graph);
  dtw_bus_node_destroy(r->node);
  free(r->buf.data);
  int failed = r->failed || rc;
  if (!failed) fprintf(stderr, "dtwin %s: %llu messages recorded\n", r->cmd, (unsigned long long)n);
  free(r);
  return failed ? DTWIN_EXIT_FAILURE : 0;
}
