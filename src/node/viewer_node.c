/* The viewer on the bus: raw CDR from the pairs' topics into the Foxglove
 * server (decimated), link poses as /tf, the scene for the page, and the
 * page's controls forwarded to the same ROS services and topics as the CLI's. */
#include "dtw/viewer_node.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/bus_raw.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "dtw/viewer.h"
#include "dtw/viewer_scene.h"
#include "dtw/viewer_schemas.h"

#define DTW_PARAM_STYPE dtw_viewer_node_settings_t
DTW_PARAM_TABLE(dtw_viewer_node_param_table, "viewer",
                "The viewer: the dtwin page and a Foxglove WebSocket server (foxglove.websocket.v1) "
                "showing robot and twin",
                DTW_VIEWER_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "viewer"
#define SVC_PER_PAIR 4
#define MAX_PENDING 64
#define CALL_TIMEOUT_NS 5000000000LL

static const char *const k_twin_svcs[] = {"reset", "pause", "resume"};

typedef struct feed {
  dtw_sub_t *sub;
  dtw_cdr_buf_t take, last;
  bool fresh;
  uint32_t ch;
} feed_t;

typedef struct pair_rt {
  dtw_viewer_pair_t c;
  feed_t robot, twin, status;
  char robot_prefix[256], twin_prefix[256];
  dtw_raw_client_t *svc[SVC_PER_PAIR];
  uint32_t svc_id[SVC_PER_PAIR];
  dtw_pub_t *traj_robot, *traj_twin, *fault;
} pair_rt_t;

/* A description sent to each subscriber when it subscribes (latched). */
typedef struct latched {
  uint32_t ch;
  dtw_vbuf_t cdr;
} latched_t;

typedef struct pending {
  bool used;
  uint32_t client, service, call;
  dtw_raw_client_t *cli;
  int64_t seq, deadline_ns;
} pending_t;

struct dtw_viewer_node {
  dtw_viewer_node_settings_t s;
  dtw_bus_node_t *node;
  dtw_viewer_t *v;
  dtw_vscene_t *scene;
  pair_rt_t *pairs;
  size_t n_pairs;
  uint32_t ch_tf, ch_scene;
  latched_t *desc;                 /* /robot_description, per instance, MJCF */
  size_t n_desc;
  dtw_vbuf_t scene_json, tf;
  dtw_cdr_buf_t reply;
  dtw_vjoints_t js;
  pending_t pending[MAX_PENDING];
  int64_t next_pose_ns, period_ns;
  bool read_only;
  char url[600];
  dtw_viewer_stats_t seen;
  struct {
    dtw_gauge_t *clients;
    dtw_counter_t *dropped, *malformed, *sent;
  } m;
};

/* ---- feed ------------------------------------------------------------------ */

/* Keep the newest sample of a topic (swap buffers, no copy). */
static void take_latest(feed_t *f) {
  while (dtw_sub_take(f->sub, &f->take) == 1) {
    dtw_cdr_buf_t t = f->last;
    f->last = f->take;
    f->take = t;
    f->fresh = true;
  }
}

static void pose_tick(dtw_viewer_node_t *n, int64_t now_real) {
  bool want_tf = dtw_viewer_subscribed(n->v, n->ch_tf);
  dtw_vtf_begin(&n->tf);
  bool any = false;
  for (size_t k = 0; k < n->n_pairs; k++) {
    pair_rt_t *p = &n->pairs[k];
    feed_t *fs[2] = {&p->robot, &p->twin};
    const char *prefix[2] = {p->robot_prefix, p->twin_prefix};
    for (int i = 0; i < 2; i++) {
      feed_t *f = fs[i];
      if (!f->fresh) continue;
      f->fresh = false;
      dtw_viewer_publish(n->v, f->ch, (uint64_t)now_real, f->last.data, f->last.len);
      if (want_tf && dtw_vjoints_decode(f->last.data, f->last.len, &n->js) == 0 &&
          dtw_vscene_tf_add(n->scene, &n->js, prefix[i], &n->tf) == 0)
        any = true;
    }
  }
  if (any) dtw_viewer_publish(n->v, n->ch_tf, (uint64_t)now_real, n->tf.data, n->tf.len);
}

static void poll_replies(dtw_viewer_node_t *n, int64_t now) {
  for (size_t k = 0; k < n->n_pairs; k++)
    for (int i = 0; i < SVC_PER_PAIR; i++) {
      dtw_raw_client_t *cli = n->pairs[k].svc[i];
      int64_t seq;
      while (cli && dtw_raw_client_take(cli, &n->reply, &seq) == 1)
        for (size_t j = 0; j < MAX_PENDING; j++) {
          pending_t *pc = &n->pending[j];
          if (!pc->used || pc->cli != cli || pc->seq != seq) continue;
          dtw_viewer_reply(n->v, pc->client, pc->service, pc->call, n->reply.data, n->reply.len);
          pc->used = false;
        }
    }
  for (size_t j = 0; j < MAX_PENDING; j++) {
    pending_t *pc = &n->pending[j];
    if (pc->used && now > pc->deadline_ns) {
      dtw_viewer_call_failed(n->v, pc->client, pc->service, pc->call, "service call timed out");
      pc->used = false;
    }
  }
}

static void mirror_stats(dtw_viewer_node_t *n) {
  dtw_viewer_stats_t st;
  dtw_viewer_get_stats(n->v, &st);
  dtw_gauge_set(n->m.clients, (double)st.clients_now);
  dtw_counter_add(n->m.dropped, st.frames_dropped - n->seen.frames_dropped);
  dtw_counter_add(n->m.malformed, st.closed_malformed - n->seen.closed_malformed);
  dtw_counter_add(n->m.sent, st.frames_sent - n->seen.frames_sent);
  n->seen = st;
}

static void on_tick(dtw_viewer_t *v, void *user) {
  dtw_viewer_node_t *n = user;
  int64_t now = dtw_clock_mono_ns(), real = dtw_clock_real_ns();
  for (size_t k = 0; k < n->n_pairs; k++) {
    pair_rt_t *p = &n->pairs[k];
    take_latest(&p->robot);
    take_latest(&p->twin);
    /* status is slow (10 Hz): pass every sample */
    while (dtw_sub_take(p->status.sub, &p->status.take) == 1)
      dtw_viewer_publish(v, p->status.ch, (uint64_t)real, p->status.take.data,
                         p->status.take.len);
  }
  if (now >= n->next_pose_ns) {
    pose_tick(n, real);
    n->next_pose_ns += n->period_ns;
    if (n->next_pose_ns <= now) n->next_pose_ns = now + n->period_ns; /* after a stall */
  }
  poll_replies(n, now);
  mirror_stats(n);
}

static void on_subscribe(dtw_viewer_t *v, uint32_t client, uint32_t ch, void *user) {
  dtw_viewer_node_t *n = user;
  uint64_t now = (uint64_t)dtw_clock_real_ns();
  for (size_t i = 0; i < n->n_desc; i++)
    if (ch == n->desc[i].ch)
      dtw_viewer_send(v, client, ch, now, n->desc[i].cdr.data, n->desc[i].cdr.len);
  if (ch == n->ch_scene) dtw_viewer_send(v, client, ch, now, n->scene_json.data, n->scene_json.len);
}

static void on_call(dtw_viewer_t *v, uint32_t client, uint32_t svc, uint32_t call,
                    const uint8_t *payload, size_t len, void *user) {
  dtw_viewer_node_t *n = user;
  dtw_raw_client_t *cli = NULL;
  for (size_t k = 0; k < n->n_pairs && cli == NULL; k++)
    for (int i = 0; i < SVC_PER_PAIR; i++)
      if (n->pairs[k].svc_id[i] == svc) cli = n->pairs[k].svc[i];
  if (cli == NULL || dtw_raw_client_ready(cli) != 1) {
    dtw_viewer_call_failed(v, client, svc, call, "service not available");
    return;
  }
  size_t j = 0;
  while (j < MAX_PENDING && n->pending[j].used) j++;
  if (j == MAX_PENDING) {
    dtw_viewer_call_failed(v, client, svc, call, "too many calls in flight");
    return;
  }
  /* an empty request (Trigger) may arrive as the bare encapsulation header */
  static const uint8_t empty[5] = {0x00, 0x01, 0x00, 0x00, 0x00};
  if (len < 4) {
    payload = empty;
    len = sizeof empty;
  }
  char err[256];
  int64_t seq;
  if (dtw_raw_client_send(cli, payload, len, &seq, err, sizeof err) < 0) {
    dtw_viewer_call_failed(v, client, svc, call, err);
    return;
  }
  n->pending[j] = (pending_t){.used = true, .client = client, .service = svc, .call = call,
                              .cli = cli, .seq = seq,
                              .deadline_ns = dtw_clock_mono_ns() + CALL_TIMEOUT_NS};
}

static int on_publish(dtw_viewer_t *v, uint32_t client, const char *topic,
                      const uint8_t *payload, size_t len, void *user) {
  dtw_viewer_node_t *n = user;
  for (size_t k = 0; k < n->n_pairs; k++) {
    pair_rt_t *p = &n->pairs[k];
    dtw_pub_t *pubs[3] = {p->traj_robot, p->traj_twin, p->fault};
    for (int i = 0; i < 3; i++)
      if (pubs[i] && strcmp(dtw_pub_topic(pubs[i]), topic) == 0) {
        int rc = dtw_pub_cdr(pubs[i], payload, len);
        DTW_INFO(LOG, "client %u published on %s: %s", client, topic,
                 rc == 0 ? "sent" : dtw_strerror(rc));
        return rc;
      }
  }
  return DTW_ENOENT;
}

static int on_fetch_asset(dtw_viewer_t *v, const char *uri, uint8_t **data, size_t *len,
                          char *why, size_t whylen, void *user) {
  (void)v;
  dtw_viewer_node_t *n = user;
  dtw_vbuf_t b = {0};
  int rc = dtw_vscene_asset(n->scene, uri, &b);
  if (rc < 0) {
    dtw_vbuf_fini(&b);
    snprintf(why, whylen, "%s: %s", uri,
             rc == DTW_ENOENT ? "not an asset of this robot's description" : dtw_strerror(rc));
    return rc;
  }
  *data = b.data;
  *len = b.len;
  return 0;
}

/* ---- set-up ------------------------------------------------------------------ */

static bool loopback(const char *addr) {
  return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
         strcmp(addr, "localhost") == 0;
}

static int add_motions(const dtw_viewer_node_t *n, cJSON *arr) {
  char dir[4096], err[512], path[8192];
  if (n->s.motions_dir[0] == '\0' ||
      dtw_path_resolve(n->s.motions_dir, dir, sizeof dir, err, sizeof err) < 0)
    return 0;
  struct dirent **names = NULL;
  int count = scandir(dir, &names, NULL, alphasort);
  for (int i = 0; i < count; i++) {
    const char *f = names[i]->d_name;
    size_t len = strlen(f);
    if (len > 5 && strcmp(f + len - 5, ".yaml") == 0) {
      dtw_joint_trajectory_msg_t m = {0};
      snprintf(path, sizeof path, "%s/%s", dir, f);
      if (dtw_traj_file_load(path, &m, err, sizeof err) == 0) {
        cJSON *o = cJSON_CreateObject();
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), f);
        cJSON_AddStringToObject(o, "name", name);
        cJSON *jn = cJSON_AddArrayToObject(o, "joint_names");
        for (size_t j = 0; j < m.n_joints; j++)
          cJSON_AddItemToArray(jn, cJSON_CreateString(m.joint_names[j]));
        cJSON *pts = cJSON_AddArrayToObject(o, "points");
        for (size_t p = 0; p < m.n_points; p++) {
          cJSON *pt = cJSON_CreateObject();
          cJSON_AddNumberToObject(pt, "t", dtw_duration_to_s(m.points[p].time_from_start));
          cJSON_AddItemToObject(pt, "positions",
                                cJSON_CreateDoubleArray(m.points[p].positions,
                                                        (int)m.points[p].n_positions));
          if (m.points[p].n_velocities)
            cJSON_AddItemToObject(pt, "velocities",
                                  cJSON_CreateDoubleArray(m.points[p].velocities,
                                                          (int)m.points[p].n_velocities));
          cJSON_AddItemToArray(pts, pt);
        }
        cJSON_AddItemToArray(arr, o);
        dtw_traj_msg_fini(&m);
      } else {
        DTW_WARN(LOG, "motion %s not offered: %s", path, err);
      }
    }
    free(names[i]);
  }
  free(names);
  return 0;
}

static int build_scene(dtw_viewer_node_t *n, const dtw_viewer_node_config_t *c, char *err,
                       size_t errlen) {
  dtw_vbuf_t model = {0};
  int rc = dtw_vscene_json(n->scene, &model);
  if (rc < 0) return dtw_errf(err, errlen, rc, "viewer: cannot describe the model");
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "version", 1);
  cJSON_AddStringToObject(j, "robot", c->robot->name);
  cJSON_AddBoolToObject(j, "read_only", n->read_only);
  cJSON_AddNumberToObject(j, "alarm_rad", c->alarm_position_error_rad);
  cJSON_AddNumberToObject(j, "pose_rate_hz", n->s.pose_rate_hz);
  cJSON_AddStringToObject(j, "joint_groups", c->joint_groups ? c->joint_groups : "");
  cJSON *pairs = cJSON_AddArrayToObject(j, "pairs");
  for (size_t k = 0; k < n->n_pairs; k++) {
    const pair_rt_t *p = &n->pairs[k];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "robot_ns", p->c.robot_ns);
    cJSON_AddStringToObject(o, "twin_ns", p->c.twin_ns);
    cJSON_AddStringToObject(o, "robot_frame", p->robot_prefix);
    cJSON_AddStringToObject(o, "twin_frame", p->twin_prefix);
    cJSON_AddStringToObject(o, "status_topic", p->c.status_topic);
    cJSON_AddBoolToObject(o, "emulator", p->c.emulator);
    cJSON_AddStringToObject(o, "trajectory_robot", p->traj_robot ? dtw_pub_topic(p->traj_robot) : "");
    cJSON_AddStringToObject(o, "trajectory_twin", p->traj_twin ? dtw_pub_topic(p->traj_twin) : "");
    cJSON_AddStringToObject(o, "fault_topic", p->fault ? dtw_pub_topic(p->fault) : "");
    cJSON_AddItemToArray(pairs, o);
  }
  cJSON *motions = cJSON_AddArrayToObject(j, "motions");
  add_motions(n, motions);
  cJSON_AddItemToObject(j, "model", cJSON_CreateRaw((const char *)model.data));
  dtw_vbuf_fini(&model);
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (text == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "viewer: out of memory");
  n->scene_json.data = (uint8_t *)text;
  n->scene_json.len = strlen(text);
  n->scene_json.cap = n->scene_json.len + 1;
  return 0;
}

/* Raw takes copy into the caller's buffer and refuse what does not fit. */
static int feed_alloc(feed_t *f, size_t cap) {
  f->take = (dtw_cdr_buf_t){.data = malloc(cap), .cap = cap};
  f->last = (dtw_cdr_buf_t){.data = malloc(cap), .cap = cap};
  return f->take.data && f->last.data ? 0 : DTW_ENOMEM;
}

static int create_pair(dtw_viewer_node_t *n, pair_rt_t *p, char *err, size_t errlen) {
  char topic[1100];
  int rc;
  if (feed_alloc(&p->robot, 64 << 10) < 0 || feed_alloc(&p->twin, 64 << 10) < 0 ||
      feed_alloc(&p->status, 512 << 10) < 0)
    return dtw_errf(err, errlen, DTW_ENOMEM, "viewer: out of memory");
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.raw = true;
  so.qos = DTW_QOS_SENSOR_DATA;
  snprintf(p->robot_prefix, sizeof p->robot_prefix, "%s", p->c.robot_ns + (p->c.robot_ns[0] == '/'));
  snprintf(p->twin_prefix, sizeof p->twin_prefix, "%s", p->c.twin_ns + (p->c.twin_ns[0] == '/'));
  struct {
    feed_t *f;
    const char *ns;
  } js[2] = {{&p->robot, p->c.robot_ns}, {&p->twin, p->c.twin_ns}};
  for (int i = 0; i < 2; i++) {
    snprintf(topic, sizeof topic, "%s/joint_states", js[i].ns);
    if ((rc = dtw_sub_create(n->node, topic, DTW_TYPE_JOINT_STATE, &so, &js[i].f->sub, err,
                             errlen)) < 0)
      return rc;
    rc = dtw_viewer_add_channel(n->v, dtw_sub_topic(js[i].f->sub), "cdr", DTW_TYPE_JOINT_STATE,
                                "ros2msg", dtw_schema_joint_state);
    if (rc < 0) return dtw_errf(err, errlen, rc, "viewer: cannot add channel %s", topic);
    js[i].f->ch = (uint32_t)rc;
  }
  so.qos = DTW_QOS_DEFAULT;
  if ((rc = dtw_sub_create(n->node, p->c.status_topic, DTW_TYPE_DIAGNOSTIC_ARRAY, &so,
                           &p->status.sub, err, errlen)) < 0)
    return rc;
  rc = dtw_viewer_add_channel(n->v, dtw_sub_topic(p->status.sub), "cdr",
                              DTW_TYPE_DIAGNOSTIC_ARRAY, "ros2msg", dtw_schema_diagnostic_array);
  if (rc < 0) return dtw_errf(err, errlen, rc, "viewer: cannot add a channel");
  p->status.ch = (uint32_t)rc;
  if (n->read_only) return 0;
  /* controls: the same services and topics the CLI uses */
  for (int i = 0; i < SVC_PER_PAIR; i++) {
    if (i < 3) snprintf(topic, sizeof topic, "%s/%s", p->c.twin_ns, k_twin_svcs[i]);
    else if (p->c.resync_service[0]) snprintf(topic, sizeof topic, "%s", p->c.resync_service);
    else continue;
    if ((rc = dtw_raw_client_create(n->node, topic, DTW_SRV_TRIGGER, NULL, NULL, &p->svc[i], err,
                                    errlen)) < 0)
      return rc;
    rc = dtw_viewer_add_service(n->v, topic, DTW_SRV_TRIGGER, dtw_schema_trigger_request,
                                dtw_schema_trigger_response);
    if (rc < 0) return dtw_errf(err, errlen, rc, "viewer: cannot add service %s", topic);
    p->svc_id[i] = (uint32_t)rc;
  }
  struct {
    dtw_pub_t **pub;
    const char *ns, *ctrl, *type;
  } pubs[3] = {{&p->traj_robot, p->c.robot_ns, p->c.robot_controller, DTW_TYPE_JOINT_TRAJECTORY},
               {&p->traj_twin, p->c.twin_ns, p->c.twin_controller, DTW_TYPE_JOINT_TRAJECTORY},
               {&p->fault, p->c.robot_ns, NULL, DTW_TYPE_STRING}};
  for (int i = 0; i < 3; i++) {
    if (pubs[i].ctrl) {
      if (pubs[i].ctrl[0] == '\0') continue;
      snprintf(topic, sizeof topic, "%s/%s/joint_trajectory", pubs[i].ns, pubs[i].ctrl);
    } else {
      if (!p->c.emulator) continue;
      snprintf(topic, sizeof topic, "%s/fault", pubs[i].ns);
    }
    if ((rc = dtw_pub_create(n->node, topic, pubs[i].type, DTW_QOS_DEFAULT, pubs[i].pub, err,
                             errlen)) < 0)
      return rc;
    if ((rc = dtw_viewer_allow_publish(n->v, dtw_pub_topic(*pubs[i].pub), pubs[i].type)) < 0)
      return dtw_errf(err, errlen, rc, "viewer: cannot let clients publish on %s", topic);
  }
  return 0;
}

/* The robot's URDF for Foxglove's URDF layer, one per instance with the link
 * names /tf gives them (<robot_ns>/robot_description, <twin_ns>/...), the
 * first robot's also on /robot_description (the topic Foxglove loads unasked),
 * and the MJCF as it was compiled on /dtwin/robot_mjcf. */
static int add_descriptions(dtw_viewer_node_t *n, const dtw_viewer_node_config_t *c, char *err,
                            size_t errlen) {
  n->desc = calloc(2 * n->n_pairs + 2, sizeof *n->desc);
  if (n->desc == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "viewer: out of memory");
  dtw_vbuf_t urdf = {0};
  char topic[600];
  int rc = 0;
  for (size_t i = 0; i < 2 * n->n_pairs + 2 && rc >= 0; i++) {
    const pair_rt_t *p = &n->pairs[i < 2 * n->n_pairs ? i / 2 : 0];
    bool twin = i < 2 * n->n_pairs && i % 2 == 1;
    const char *text;
    if (i == 2 * n->n_pairs + 1) {
      snprintf(topic, sizeof topic, "/dtwin/robot_mjcf");
      text = c->robot->mjcf;
    } else {
      if (i == 2 * n->n_pairs) snprintf(topic, sizeof topic, "/robot_description");
      else snprintf(topic, sizeof topic, "%s/robot_description", twin ? p->c.twin_ns : p->c.robot_ns);
      rc = dtw_vscene_urdf(n->scene, c->robot, twin ? p->twin_prefix : p->robot_prefix, &urdf);
      if (rc < 0) break;
      text = (const char *)urdf.data;
    }
    n->n_desc = i + 1;
    if ((rc = dtw_vcdr_string(&n->desc[i].cdr, text)) < 0) break;
    rc = dtw_viewer_add_channel(n->v, topic, "cdr", DTW_TYPE_STRING, "ros2msg", dtw_schema_string);
    if (rc > 0) n->desc[i].ch = (uint32_t)rc;
  }
  dtw_vbuf_fini(&urdf);
  return rc < 0 ? dtw_errf(err, errlen, rc, "viewer: cannot describe the robot as URDF") : 0;
}

int dtw_viewer_node_create(const dtw_viewer_node_settings_t *s, const dtw_viewer_node_config_t *c,
                           const dtw_node_host_t *host, dtw_viewer_node_t **out, char *err,
                           size_t errlen) {
  if (c == NULL || c->robot == NULL || c->n_pairs == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "viewer: no robot to show");
  dtw_viewer_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "viewer: out of memory");
  n->s = *s;
  n->read_only = strcmp(s->read_only, "true") == 0 ||
                 (strcmp(s->read_only, "auto") == 0 && !loopback(s->address));
  int rc;
  char web[4096] = "";
  /* without the page (e.g. a container image with no web/) Foxglove still connects */
  char why[512];
  if (s->web_root[0] && dtw_path_resolve(s->web_root, web, sizeof web, why, sizeof why) < 0) {
    DTW_WARN(LOG, "no page to serve (viewer.web_root): %s", why);
    web[0] = '\0';
  } else if (web[0]) {
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/node_modules/three/build/three.module.js", web);
    if (access(probe, R_OK) != 0)
      DTW_WARN(LOG, "%s has no node_modules (scripts/web-deps.sh): the page will not load", web);
  }
  n->pairs = calloc(c->n_pairs, sizeof *n->pairs);
  if (n->pairs == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "viewer: out of memory");
    goto fail;
  }
  n->n_pairs = c->n_pairs;
  for (size_t k = 0; k < c->n_pairs; k++) n->pairs[k].c = c->pairs[k];
  if ((rc = dtw_vscene_create(c->robot, &n->scene, err, errlen)) < 0) goto fail;
  dtw_viewer_options_t vo = {.address = s->address, .port = s->port,
                             .web_root = web[0] ? web : NULL, .name = "dtwin",
                             .read_only = n->read_only,
                             .queue_bytes = (size_t)s->queue_kib * 1024,
                             .max_clients = s->max_clients};
  dtw_viewer_callbacks_t cb = {.tick = on_tick, .on_subscribe = on_subscribe, .on_call = on_call,
                               .on_publish = on_publish, .on_fetch_asset = on_fetch_asset};
  if ((rc = dtw_viewer_create(&vo, &cb, n, &n->v, err, errlen)) < 0) goto fail;
  if ((rc = dtw_bus_node_create(host->bus, s->node_name, s->namespace, &n->node, err, errlen)) < 0 ||
      (rc = dtw_node_add_remaps(n->node, s->remappings, err, errlen)) < 0)
    goto fail;
  for (size_t k = 0; k < n->n_pairs; k++)
    if ((rc = create_pair(n, &n->pairs[k], err, errlen)) < 0) goto fail;
  rc = dtw_viewer_add_channel(n->v, "/tf", "cdr", DTW_TYPE_TF, "ros2msg", dtw_schema_tf_message);
  if (rc > 0) n->ch_tf = (uint32_t)rc;
  if (rc < 0) {
    rc = dtw_errf(err, errlen, rc, "viewer: cannot add channel /tf");
    goto fail;
  }
  if ((rc = add_descriptions(n, c, err, errlen)) < 0) goto fail;
  rc = dtw_viewer_add_channel(n->v, "/dtwin/scene", "json", "dtwin/Scene", "jsonschema",
                              dtw_schema_scene_json);
  if (rc > 0) n->ch_scene = (uint32_t)rc;
  if (rc < 0) {
    rc = dtw_errf(err, errlen, rc, "viewer: cannot add channels");
    goto fail;
  }
  if ((rc = build_scene(n, c, err, errlen)) < 0) goto fail;
  if (host->metrics) {
    char fqn[600];
    dtw_node_fqn(s->namespace, s->node_name, fqn, sizeof fqn);
    n->m.clients = dtw_metrics_gauge(host->metrics, "dtwin_viewer_clients",
                                     "Viewer (Foxglove WebSocket) clients connected", "node", fqn);
    n->m.dropped = dtw_metrics_counter(host->metrics, "dtwin_viewer_frames_dropped_total",
                                       "Frames dropped for slow viewer clients (oldest first)",
                                       "node", fqn);
    n->m.malformed = dtw_metrics_counter(host->metrics, "dtwin_viewer_clients_closed_total",
                                         "Viewer clients closed for malformed input", "node", fqn);
    n->m.sent = dtw_metrics_counter(host->metrics, "dtwin_viewer_frames_sent_total",
                                    "Frames sent to viewer clients", "node", fqn);
  }
  n->period_ns = (int64_t)(1e9 / s->pose_rate_hz);
  n->next_pose_ns = dtw_clock_mono_ns();
  if ((rc = dtw_viewer_start(n->v, err, errlen)) < 0) goto fail;
  const char *host_text = strchr(s->address, ':') ? "[%s]" : "%s";
  char addr[300];
  snprintf(addr, sizeof addr, host_text, strcmp(s->address, "0.0.0.0") == 0 ? "127.0.0.1" : s->address);
  snprintf(n->url, sizeof n->url, "http://%s:%d/", addr, dtw_viewer_port(n->v));
  *out = n;
  return 0;
fail:
  dtw_viewer_node_destroy(n);
  return rc;
}

void dtw_viewer_node_destroy(dtw_viewer_node_t *n) {
  if (n == NULL) return;
  dtw_viewer_destroy(n->v); /* stops the thread that uses the endpoints below */
  for (size_t k = 0; n->pairs && k < n->n_pairs; k++) {
    pair_rt_t *p = &n->pairs[k];
    feed_t *fs[3] = {&p->robot, &p->twin, &p->status};
    for (int i = 0; i < 3; i++) {
      dtw_sub_destroy(fs[i]->sub);
      free(fs[i]->take.data);
      free(fs[i]->last.data);
    }
    for (int i = 0; i < SVC_PER_PAIR; i++) dtw_raw_client_destroy(p->svc[i]);
    dtw_pub_destroy(p->traj_robot);
    dtw_pub_destroy(p->traj_twin);
    dtw_pub_destroy(p->fault);
  }
  free(n->pairs);
  dtw_bus_node_destroy(n->node);
  dtw_vscene_destroy(n->scene);
  for (size_t i = 0; i < n->n_desc; i++) dtw_vbuf_fini(&n->desc[i].cdr);
  free(n->desc);
  dtw_vbuf_fini(&n->scene_json);
  dtw_vbuf_fini(&n->tf);
  free(n->reply.data);
  free(n);
}

const char *dtw_viewer_node_url(const dtw_viewer_node_t *n) { return n->url; }
int dtw_viewer_node_port(const dtw_viewer_node_t *n) { return dtw_viewer_port(n->v); }
bool dtw_viewer_node_read_only(const dtw_viewer_node_t *n) { return n->read_only; }
