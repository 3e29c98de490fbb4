/* The bridge's router: clients' registrations on topics and services, the
 * bus endpoints behind them (dtw/bus.h, dtw/bus_raw.h: raw CDR passthrough),
 * samples fanned out to subscribers, and the service calls (bridge__calls.h)
 * wired to the bus and to clients. Locking: see bridge__server.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge__server.h"
#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"

#define LOG DTW__BRIDGE_LOG

/* ---- registrations ------------------------------------------------------------------------ */

/* Returns 1 when added, 0 when c was registered already, DTW_ENOMEM. */
static int ref_add(dtw__br_refs_t *l, dtw__bs_client_t *c, const char *dest) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].c == c) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4;
    dtw__br_ref_t *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) return DTW_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  dtw__br_ref_t *r = &l->v[l->n++];
  r->c = c;
  snprintf(r->dest, sizeof r->dest, "%s", dest);
  r->dest_len = strlen(r->dest);
  c->n_regs++;
  c->srv->n_regs++;
  if (c->n_regs > c->regs_peak) c->regs_peak = c->n_regs;
  return 1;
}

static bool ref_remove(dtw__br_refs_t *l, dtw__bs_client_t *c) {
  for (size_t i = 0; i < l->n; i++) {
    if (l->v[i].c == c) {
      l->v[i] = l->v[--l->n];
      c->n_regs--;
      c->srv->n_regs--;
      return true;
    }
  }
  return false;
}

static bool ref_has(const dtw__br_refs_t *l, const dtw__bs_client_t *c) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].c == c) return true;
  return false;
}

/* c may register one more name (refs: where it would go; registered there
 * already is fine), else an __error and a refusal. */
static bool may_register(dtw__bs_client_t *c, const dtw__br_refs_t *refs, const char *what,
                         const char *name) {
  dtw_bridge_server_t *s = c->srv;
  if (s->cfg.max_registrations == 0 || c->n_regs < s->cfg.max_registrations ||
      (refs != NULL && ref_has(refs, c)))
    return true;
  dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_REGISTRATION_LIMIT);
  dtw__bs_send_text(c, "__error", "%s %s refused: this client holds max_registrations (%zu)",
                    what, name, s->cfg.max_registrations);
  return false;
}

static const dtw__br_ref_t *ref_find(const dtw__br_refs_t *l, const dtw__bs_client_t *c,
                                     const char *dest) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].c == c && (dest == NULL || strcmp(l->v[i].dest, dest) == 0)) return &l->v[i];
  return NULL;
}

static dtw__br_topic_t *find_topic(dtw_bridge_server_t *s, const char *resolved) {
  for (size_t i = 0; i < s->n_topics; i++)
    if (strcmp(s->topics[i]->name, resolved) == 0) return s->topics[i];
  return NULL;
}

static dtw__br_service_t *find_svc(dtw_bridge_server_t *s, const char *resolved, bool unity) {
  for (size_t i = 0; i < s->n_svcs; i++)
    if (s->svcs[i]->unity == unity && strcmp(s->svcs[i]->name, resolved) == 0) return s->svcs[i];
  return NULL;
}

void dtw__br_collect_garbage(dtw_bridge_server_t *s) {
  bool drained = false;
  for (size_t i = 0; i < s->n_topics;) {
    dtw__br_topic_t *t = s->topics[i];
    if (t->subs.n == 0 && t->sub) {
      dtw_sub_destroy(t->sub); /* no lock: a running callback may be waiting for it */
      t->sub = NULL;
    }
    if (t->pubs.n == 0 && t->pub) {
      dtw_pub_destroy(t->pub);
      t->pub = NULL;
    }
    if (t->sub == NULL && t->pub == NULL) {
      if (!drained) { /* samples of t may wait in the inbox: deliver them first */
        dtw__br_fanout(s);
        drained = true;
      }
      dtw__bt_lock(s->tp);
      s->topics[i] = s->topics[--s->n_topics];
      dtw__bt_unlock(s->tp);
      free(t->subs.v);
      free(t->pubs.v);
      free(t);
      continue;
    }
    i++;
  }
  for (size_t i = 0; i < s->n_svcs;) {
    dtw__br_service_t *v = s->svcs[i];
    if (v->users.n == 0 && !dtw__calls_uses(&s->calls, v)) {
      dtw_raw_client_destroy(v->cli);
      dtw_raw_srv_destroy(v->srv);
      s->svcs[i] = s->svcs[--s->n_svcs];
      free(v->users.v);
      free(v);
      continue;
    }
    i++;
  }
}

void dtw__br_client_gone(dtw_bridge_server_t *s, dtw__bs_client_t *c) {
  dtw__bt_lock(s->tp);
  for (size_t i = 0; i < s->n_topics; i++) {
    ref_remove(&s->topics[i]->subs, c);
    ref_remove(&s->topics[i]->pubs, c);
  }
  dtw__bt_unlock(s->tp);
  for (size_t i = 0; i < s->n_svcs; i++) ref_remove(&s->svcs[i]->users, c);
  dtw__calls_client_gone(&s->calls, c);
}

/* ---- bus -> bridge ------------------------------------------------------------------------- */

static void on_notify(void *user) {
  dtw_bridge_server_t *s = user;
  atomic_store(&s->svc_event, true);
  dtw__bt_wake(s->tp);
}

/* ---- commands ------------------------------------------------------------------------------- */

static int resolve(dtw__bs_client_t *c, const char *name, char *out, size_t outlen) {
  char err[300];
  if (dtw_bus_node_resolve(c->srv->bus_node, name, out, outlen, err, sizeof err) < 0) {
    dtw__bs_send_text(c, "__error", "invalid name '%s': %s", name, err);
    return DTW_EINVAL;
  }
  return 0;
}

static dtw__br_topic_t *get_topic(dtw__bs_client_t *c, const char *name, const char *type) {
  dtw_bridge_server_t *s = c->srv;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, name, full, sizeof full) < 0) return NULL;
  dtw__br_topic_t *t = find_topic(s, full);
  if (t != NULL) {
    if (strcmp(t->type, type) != 0) {
      dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_TYPE_MISMATCH);
      dtw__bs_send_text(c, "__error", "topic %s has type %s in the bridge, not %s", full, t->type,
                        type);
      return NULL;
    }
    return t;
  }
  if (!may_register(c, NULL, "topic", full)) return NULL;
  /* DDS would create the endpoint and never match it: say so instead */
  const char *graph_type = "";
  if (s->graph != NULL) {
    dtw_graph_update(s->graph);
    graph_type = dtw_graph_topic_type(s->graph, full);
  }
  if (graph_type[0] != '\0' && strcmp(graph_type, type) != 0) {
    dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_TYPE_MISMATCH);
    dtw__bs_send_text(c, "__error", "topic %s has type %s on the ROS graph, not %s", full,
                      graph_type, type);
    return NULL;
  }
  if (s->n_topics == s->cap_topics) {
    size_t cap = s->cap_topics ? 2 * s->cap_topics : 16;
    dtw__br_topic_t **v = realloc(s->topics, cap * sizeof *v);
    if (v == NULL) return NULL;
    dtw__bt_lock(s->tp);
    s->topics = v;
    s->cap_topics = cap;
    dtw__bt_unlock(s->tp);
  }
  if ((t = calloc(1, sizeof *t)) == NULL) return NULL;
  t->srv = s;
  snprintf(t->name, sizeof t->name, "%s", full);
  snprintf(t->type, sizeof t->type, "%s", type);
  dtw__bt_lock(s->tp);
  s->topics[s->n_topics++] = t;
  dtw__bt_unlock(s->tp);
  return t;
}

/* Does a server other than this bridge's serve `service` on the graph? */
static bool served_on_graph(dtw_bridge_server_t *s, const char *service) {
  if (s->graph == NULL) return false;
  dtw_graph_update(s->graph);
  size_t n = dtw_graph_endpoint_count(s->graph);
  for (size_t i = 0; i < n; i++) {
    dtw_graph_endpoint_info_t e;
    if (dtw_graph_endpoint_at(s->graph, i, &e) == 0 && e.kind == DTW_GRAPH_EP_REQUEST &&
        !e.writer && strcmp(e.ros_name, service) == 0)
      return true; /* a request reader: a server */
  }
  return false;
}

static bool known_type(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd, char *canon, size_t cap) {
  if (dtw_bridge_type_canonical(cmd->message_name, false, canon, cap) < 0 ||
      !dtw_bus_has_type(canon)) {
    dtw__bs_refuse(c->srv, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
    dtw__bs_send_text(c, "__error", "unknown message type '%s' (topic %s): dtwin has no IDL for it",
                      cmd->message_name, cmd->topic);
    return false;
  }
  return true;
}

void dtw__br_subscribe(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_server_t *s = c->srv;
  char type[DTW_BRIDGE_NAME_MAX], err[512];
  if (!known_type(c, cmd, type, sizeof type)) return;
  dtw__br_topic_t *t = get_topic(c, cmd->topic, type);
  if (t == NULL) return;
  if (!may_register(c, &t->subs, "subscription to", t->name)) return;
  if (t->sub == NULL) {
    dtw_sub_options_t so;
    dtw_sub_options_default(&so);
    so.raw = true;
    so.qos = DTW_QOS_SENSOR_DATA; /* best effort matches every publisher */
    so.depth = 10;
    so.on_msg = dtw__br_on_sample;
    so.user = t;
    so.direct = true; /* into the inbox from the delivering thread: no spinning thread */
    if (dtw_sub_create(s->bus_node, t->name, t->type, &so, &t->sub, err, sizeof err) < 0) {
      dtw__bs_send_text(c, "__error", "cannot subscribe to %s: %s", t->name, err);
      return;
    }
  }
  if (ref_add(&t->subs, c, cmd->topic) == 1)
    DTW_INFO(LOG, "client #%u subscribed to %s (%s)", c->id, t->name, t->type);
}

void dtw__br_publish(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_server_t *s = c->srv;
  char type[DTW_BRIDGE_NAME_MAX], err[512];
  if (!known_type(c, cmd, type, sizeof type)) return;
  dtw__br_topic_t *t = get_topic(c, cmd->topic, type);
  if (t == NULL) return;
  if (!may_register(c, &t->pubs, "publisher of", t->name)) return;
  if (t->pub == NULL &&
      dtw_pub_create(s->bus_node, t->name, t->type, cmd->latch ? DTW_QOS_LATCHED : DTW_QOS_DEFAULT,
                     &t->pub, err, sizeof err) < 0) {
    dtw__bs_send_text(c, "__error", "cannot publish %s: %s", t->name, err);
    return;
  }
  if (ref_add(&t->pubs, c, cmd->topic) == 1)
    DTW_INFO(LOG, "client #%u publishes %s (%s)", c->id, t->name, t->type);
}

void dtw__br_service(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd, bool unity) {
  dtw_bridge_server_t *s = c->srv;
  char type[DTW_BRIDGE_NAME_MAX], full[DTW_ROS_NAME_BUF], err[512];
  if (dtw_bridge_type_canonical(cmd->message_name, true, type, sizeof type) < 0) {
    dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
    dtw__bs_send_text(c, "__error", "unknown service type '%s' (service %s)", cmd->message_name,
                      cmd->topic);
    return;
  }
  if (resolve(c, cmd->topic, full, sizeof full) < 0) return;
  dtw__br_service_t *v = find_svc(s, full, unity);
  if (v != NULL && strcmp(v->type, type) != 0) {
    dtw__bs_send_text(c, "__error", "service %s has type %s in the bridge, not %s", full, v->type,
                      type);
    return;
  }
  if (!may_register(c, v ? &v->users : NULL, "service", full)) return;
  if (v == NULL && unity && !s->cfg.allow_service_shadowing && served_on_graph(s, full)) {
    dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_SERVICE_EXISTS);
    dtw__bs_send_text(c, "__error",
                      "service %s is already served on the ROS graph: a Unity service may not "
                      "shadow it (bridge.allow_service_shadowing)",
                      full);
    return;
  }
  if (v == NULL) {
    if (s->n_svcs == s->cap_svcs) {
      size_t cap = s->cap_svcs ? 2 * s->cap_svcs : 8;
      dtw__br_service_t **nv = realloc(s->svcs, cap * sizeof *nv);
      if (nv == NULL) return;
      s->svcs = nv;
      s->cap_svcs = cap;
    }
    if ((v = calloc(1, sizeof *v)) == NULL) return;
    snprintf(v->name, sizeof v->name, "%s", full);
    snprintf(v->type, sizeof v->type, "%s", type);
    v->unity = unity;
    int rc = unity ? dtw_raw_srv_create(s->bus_node, full, type, on_notify, s, &v->srv, err,
                                        sizeof err)
                   : dtw_raw_client_create(s->bus_node, full, type, on_notify, s, &v->cli, err,
                                           sizeof err);
    if (rc < 0) {
      free(v);
      if (rc == DTW_EUNSUP) dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
      dtw__bs_send_text(c, "__error", "%s: %s",
                        rc == DTW_EUNSUP ? "unknown service type" : "cannot register service", err);
      return;
    }
    s->svcs[s->n_svcs++] = v;
  }
  /* the latest registration owns a Unity service */
  if (unity && v->users.n > 0 && v->users.v[0].c != c) ref_remove(&v->users, v->users.v[0].c);
  if (ref_add(&v->users, c, cmd->topic) < 0) return;
  DTW_INFO(LOG, "client #%u: %s %s (%s)", c->id, unity ? "implements" : "calls", full, type);
}

void dtw__br_remove(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_server_t *s = c->srv;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, cmd->topic, full, sizeof full) < 0) return;
  bool removed = false;
  if (cmd->kind == DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER || cmd->kind == DTW_BRIDGE_CMD_REMOVE_PUBLISHER) {
    dtw__br_topic_t *t = find_topic(s, full);
    if (t != NULL) {
      dtw__bt_lock(s->tp);
      removed = ref_remove(cmd->kind == DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER ? &t->subs : &t->pubs, c);
      dtw__bt_unlock(s->tp);
    }
  } else {
    dtw__br_service_t *v = find_svc(s, full, cmd->kind == DTW_BRIDGE_CMD_REMOVE_UNITY_SERVICE);
    if (v != NULL) removed = ref_remove(&v->users, c);
  }
  if (!removed)
    dtw__bs_send_text(c, "__warn", "%s: %s was not registered by this client",
                      dtw_bridge_cmd_name(cmd->kind), full);
  dtw__br_collect_garbage(s);
}

/* "sensor_msgs/msg/JointState" -> "sensor_msgs/JointState", the connector's form. */
static void connector_type(const char *ros_type, char *out, size_t cap) {
  const char *msg = strstr(ros_type, "/msg/");
  if (msg == NULL)
    snprintf(out, cap, "%s", ros_type);
  else
    snprintf(out, cap, "%.*s/%s", (int)(msg - ros_type), ros_type, msg + 5);
}

/* As the endpoint does: every topic of the ROS graph with its type, plus what this
 * bridge registered that the graph does not show yet. */
void dtw__br_topic_list(dtw__bs_client_t *c) {
  dtw_bridge_server_t *s = c->srv;
  if (s->graph != NULL) dtw_graph_update(s->graph);
  size_t n_graph = s->graph != NULL ? dtw_graph_topic_count(s->graph) : 0;
  size_t cap = n_graph + s->n_topics + 1, k = 0;
  const char **names = calloc(cap, sizeof *names);
  const char **types = calloc(cap, sizeof *types);
  char(*type_buf)[256] = calloc(n_graph + 1, sizeof *type_buf);
  char *json = NULL;
  size_t len = 0;
  if (names && types && type_buf) {
    for (size_t i = 0; i < n_graph; i++) {
      dtw_graph_topic_info_t t;
      if (dtw_graph_topic_at(s->graph, i, &t) < 0 || t.type[0] == '\0') continue;
      connector_type(t.type, type_buf[k], sizeof type_buf[k]);
      names[k] = t.name;
      types[k] = type_buf[k];
      k++;
    }
    for (size_t i = 0; i < s->n_topics; i++) {
      bool listed = false;
      for (size_t j = 0; j < k && !listed; j++) listed = strcmp(names[j], s->topics[i]->name) == 0;
      if (listed) continue;
      names[k] = s->topics[i]->name;
      types[k] = s->topics[i]->type;
      k++;
    }
    if (dtw_bridge_json_topic_list(names, types, k, &json, &len) == 0)
      dtw__bs_send_locked(c, "__topic_list", json, len);
  }
  free(json);
  free(names);
  free(types);
  free(type_buf);
}

bool dtw__br_subscribed(const dtw_bridge_server_t *s) {
  for (size_t i = 0; i < s->n_topics; i++)
    if (s->topics[i]->sub != NULL) return true;
  return false;
}

bool dtw__br_data(dtw__bs_client_t *c, const char *dest, const uint8_t *p, size_t len) {
  dtw_bridge_server_t *s = c->srv;
  for (size_t i = 0; i < s->n_topics; i++) {
    dtw__br_topic_t *t = s->topics[i];
    if (t->pub == NULL || ref_find(&t->pubs, c, dest) == NULL) continue;
    int rc = dtw_pub_cdr(t->pub, p, len);
    if (rc == DTW_EPARSE) {
      dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
      dtw__bs_send_text(c, "__error",
                        "message on %s is not a valid %s (CDR with encapsulation header)", t->name,
                        t->type);
      return false;
    }
    if (rc < 0) { /* not the client's fault: said to it and logged, not counted as its refusal */
      dtw_log_limited(&s->lim, DTW_LOG_WARN, LOG, "%s: DDS write failed: %s", t->name,
                      dtw_strerror(rc));
      dtw__bs_send_text(c, "__error", "message on %s: DDS write failed: %s", t->name,
                        dtw_strerror(rc));
      return false;
    }
    return true;
  }
  dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
  dtw__bs_send_text(c, "__error", "message for %s: send __publish for it first", dest);
  return false;
}

/* ---- service calls -------------------------------------------------------------------------- */

void dtw__br_ros_request(dtw__bs_client_t *c, const char *dest, const uint8_t *p, size_t len,
                         int64_t srv_id) {
  dtw_bridge_server_t *s = c->srv;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, dest, full, sizeof full) < 0) return;
  dtw__br_service_t *v = find_svc(s, full, false);
  if (v == NULL || ref_find(&v->users, c, NULL) == NULL) {
    dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
    dtw__bs_send_text(c, "__error",
                      "service request for %s (srv_id %lld): send __ros_service first", full,
                      (long long)srv_id);
    return;
  }
  /* past a bound (DTW_EFULL) the call table has told the client and counted it */
  if (dtw__calls_ros_request(&s->calls, c, v, v->name, dest, p, len, srv_id,
                             dtw_clock_mono_ns()) == DTW_ENOMEM)
    dtw__bs_send_text(c, "__error", "service call %s: out of memory", full);
}

void dtw__br_unity_response(dtw__bs_client_t *c, const uint8_t *p, size_t len, int64_t srv_id) {
  dtw_bridge_server_t *s = c->srv;
  int rc = dtw__calls_unity_response(&s->calls, c, srv_id, p, len, dtw_clock_mono_ns());
  if (rc != 0) return; /* matched (or out of memory: that call ended) */
  dtw__bs_refuse(s, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
  dtw__bs_send_text(c, "__error", "__response srv_id %lld: no such request pending",
                    (long long)srv_id);
}

void dtw__br_service_events(dtw_bridge_server_t *s) {
  for (size_t i = 0; i < s->n_svcs; i++) {
    dtw__br_service_t *v = s->svcs[i];
    if (v->cli != NULL) {
      int64_t seq;
      while (dtw_raw_client_take(v->cli, &s->svc_buf, &seq) == 1)
        dtw__calls_ros_reply(&s->calls, v, seq, s->svc_buf.data, s->svc_buf.len,
                             dtw_clock_mono_ns());
    } else {
      dtw_raw_request_id_t rid;
      while (dtw_raw_srv_take(v->srv, &s->svc_buf, &rid) == 1) {
        const dtw__br_ref_t *owner = v->users.n > 0 ? &v->users.v[0] : NULL;
        if (owner == NULL ||
            dtw__calls_unity_request(&s->calls, owner->c, v, v->name, owner->dest, &rid,
                                     s->svc_buf.data, s->svc_buf.len, dtw_clock_mono_ns()) < 0)
          dtw_log_limited(&s->lim, DTW_LOG_WARN, LOG, "%s: request dropped (%s)", v->name,
                          owner ? "its client is past a calls bound" : "no Unity client serves it");
      }
    }
  }
}

/* The call table's ways out: the bus and the clients. */
static int op_ros_send(void *user, dtw__call_t *k, char *err, size_t errlen) {
  (void)user;
  const dtw__br_service_t *v = k->svc;
  if (dtw_raw_client_ready(v->cli) != 1) return 0;
  int rc = dtw_raw_client_send(v->cli, k->data, k->len, &k->seq, err, errlen);
  return rc < 0 ? rc : 1;
}

static int op_ros_reply(void *user, dtw__call_t *k, char *err, size_t errlen) {
  (void)user;
  const dtw__br_service_t *v = k->svc;
  return dtw_raw_srv_reply(v->srv, &k->rid, k->data, k->len, err, errlen);
}

/* __request/__response {"srv_id":N} and the payload frame, back to back
 * (under one lock hold: a topic sample must not come between them). */
static void op_deliver(void *user, void *client, const char *cmd, int64_t srv_id,
                       const char *dest, const void *payload, size_t len) {
  dtw_bridge_server_t *s = user;
  dtw__bs_client_t *c = client;
  char json[64];
  int jl = dtw_bridge_json_srv_id(json, sizeof json, srv_id);
  dtw__bt_lock(s->tp);
  dtw__bs_send_frame(c, cmd, json, (size_t)jl);
  dtw__bs_send_frame(c, dest, payload, len);
  dtw__bt_unlock(s->tp);
}

static void op_client_error(void *user, void *client, const char *text) {
  (void)user;
  dtw__bs_send_text(client, "__error", "%s", text);
}

static void op_warn(void *user, const char *text) {
  dtw_bridge_server_t *s = user;
  dtw_log_limited(&s->lim, DTW_LOG_WARN, LOG, "%s", text);
}

static void op_refused(void *user, int reason) {
  dtw__bs_refuse(user, (dtw_bridge_refusal_t)reason);
}

static void op_done(void *user, dtw__call_kind_t kind, int64_t duration_ns) {
  dtw_bridge_server_t *s = user;
  dtw_histogram_observe(kind == DTW__CALL_ROS_SERVICE ? s->m.ros_service : s->m.unity_service,
                        (double)duration_ns * 1e-9);
  dtw__bt_lock(s->tp);
  s->service_calls++;
  dtw__bt_unlock(s->tp);
}

const dtw__call_ops_t dtw__br_call_ops = {
    .ros_send = op_ros_send,
    .ros_reply = op_ros_reply,
    .deliver = op_deliver,
    .client_error = op_client_error,
    .warn = op_warn,
    .refused = op_refused,
    .done = op_done,
};
