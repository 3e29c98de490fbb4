/* Publishers and subscriptions: typed (plain structs) and raw CDR. */
#include <stdio.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus__internal.h"
#include "dtw/clock.h"
#include "dtw/err.h"

/* Endpoint destructors as the node sees them (dtw__ep_t.destroy). */
static void pub_ep_destroy(dtw__ep_t *ep) { dtw_pub_destroy((dtw_pub_t *)ep); }
static void sub_ep_destroy(dtw__ep_t *ep) { dtw_sub_destroy((dtw_sub_t *)ep); }

struct dtw_pub {
  dtw__ep_t ep; /* first: the endpoint list holds &pub->ep */
  const dtw__type_t *type;
  dds_entity_t writer;
  char topic[DTW_ROS_NAME_BUF];
  dtw_bus_stats_t stats;
  /* conversion scratch, sized at creation for the type (no per-publish allocation) */
  char *names[DTW_MAX_JOINTS];
  trajectory_msgs_msg_dds__JointTrajectoryPoint_ *points;
  size_t cap_points;
  diagnostic_msgs_msg_dds__DiagnosticStatus_ *diag_status;
  diagnostic_msgs_msg_dds__KeyValue_ *diag_kv;
};

struct dtw_sub {
  dtw__ep_t ep;
  const dtw__type_t *type;
  dds_entity_t reader;
  char topic[DTW_ROS_NAME_BUF];
  dtw_sub_options_t opt;
  dtw_bus_stats_t stats;
  uint64_t last_writer; /* writer of the last sample taken (0: unknown; raw delivery) */
  void *sample;  /* generated sample Cyclone reads into; its buffers are reused */
  void *plain;   /* plain struct delivered to the callback */
  dtw_joint_trajectory_msg_t traj; /* plain trajectory for the callback */
  /* a direct subscription's takes: its listener can race with the catch-up
   * take at creation (uncontended otherwise) */
  pthread_mutex_t lock;
};

static void count_refusal(dtw_bus_stats_t *st, int code) {
  if (code == DTW_EFULL || code == DTW_ERANGE)
    st->refused_capacity++;
  else
    st->refused_invalid++;
  st->last_error = code;
}

/* ---- publishers -------------------------------------------------------- */

int dtw_pub_create(dtw_bus_node_t *node, const char *topic, const char *type, dtw_qos_t qos_prof,
                   dtw_pub_t **out, char *err, size_t errlen) {
  char full[DTW_ROS_NAME_BUF], dds_name[DTW_ROS_NAME_BUF];
  dds_entity_t tp;
  dds_qos_t *qos;
  int rc;
  const dtw__type_t *t = dtw__type_find(type, false);
  if (t == NULL)
    return dtw_errf(err, errlen, DTW_EUNSUP, "type '%s': no IDL for it in the bus",
                    type ? type : "(null)");
  if ((rc = dtw_bus_node_resolve(node, topic, full, sizeof full, err, errlen)) < 0) return rc;
  if ((rc = dtw_ros_topic_to_dds(full, dds_name, sizeof dds_name, err, errlen)) < 0) return rc;
  dtw_pub_t *pub = calloc(1, sizeof *pub);
  if (pub == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "publisher '%s': out of memory", full);
  pub->ep.destroy = pub_ep_destroy;
  pub->type = t;
  snprintf(pub->topic, sizeof pub->topic, "%s", full);
  if (t->kind == DTW__K_TRAJ) {
    pub->cap_points = 64;
    pub->points = calloc(pub->cap_points, sizeof *pub->points);
  } else if (t->kind == DTW__K_DIAG) {
    pub->diag_status = calloc(DTW_DIAG_MAX_STATUS, sizeof *pub->diag_status);
    pub->diag_kv = calloc(DTW_DIAG_MAX_STATUS * DTW_DIAG_MAX_VALUES, sizeof *pub->diag_kv);
  }
  if ((t->kind == DTW__K_TRAJ && pub->points == NULL) ||
      (t->kind == DTW__K_DIAG && (pub->diag_status == NULL || pub->diag_kv == NULL))) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "publisher '%s': out of memory", full);
    goto err_alloc;
  }
  if ((tp = dtw__topic_create(node->bus, dds_name, t->desc, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, tp, "create topic", dds_name);
    goto err_alloc;
  }
  if ((qos = dtw__qos_create(qos_prof, true)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "publisher '%s': out of memory", full);
    goto err_topic;
  }
  dtw__qos_set_userdata(node->bus, qos, NULL, t->ros_name, NULL);
  pub->writer = dds_create_writer(node->bus->participant, tp, qos, NULL);
  dds_delete_qos(qos);
  if (pub->writer < 0) {
    rc = dtw__dds_err(err, errlen, pub->writer, "create writer", dds_name);
    goto err_topic;
  }
  if ((rc = dtw__ep_register(node, &pub->ep, 0, pub->writer, err, errlen)) < 0) goto err_writer;
  dds_delete(tp); /* the writer keeps the topic alive */
  *out = pub;
  return 0;

err_writer:
  dds_delete(pub->writer);
err_topic:
  dds_delete(tp);
err_alloc:
  free(pub->points);
  free(pub->diag_status);
  free(pub->diag_kv);
  free(pub);
  return rc;
}

void dtw_pub_destroy(dtw_pub_t *pub) {
  if (pub == NULL) return;
  dtw__ep_unregister(&pub->ep);
  dds_delete(pub->writer);
  free(pub->points);
  free(pub->diag_status);
  free(pub->diag_kv);
  free(pub);
}

static int pub_write(dtw_pub_t *pub, const void *sample) {
  dds_return_t rc = dds_write(pub->writer, sample);
  if (rc < 0) {
    pub->stats.errors++;
    pub->stats.last_error = DTW_EDDS;
    return DTW_EDDS;
  }
  pub->stats.messages++;
  return 0;
}

static int pub_refuse(dtw_pub_t *pub, int rc) {
  count_refusal(&pub->stats, rc);
  return rc;
}

int dtw_pub_joint_state(dtw_pub_t *pub, const dtw_joint_state_msg_t *msg) {
  sensor_msgs_msg_dds__JointState_ s;
  if (pub->type->kind != DTW__K_JOINT_STATE) return DTW_EINVAL;
  int rc = dtw__js_to_sample(msg, &s, pub->names);
  if (rc < 0) return pub_refuse(pub, rc);
  return pub_write(pub, &s);
}

int dtw_pub_joint_trajectory(dtw_pub_t *pub, const dtw_joint_trajectory_msg_t *msg) {
  trajectory_msgs_msg_dds__JointTrajectory_ s;
  if (pub->type->kind != DTW__K_TRAJ) return DTW_EINVAL;
  if (msg->n_points > pub->cap_points) {
    /* grows once to the largest trajectory seen; not a per-message cost */
    void *p = realloc(pub->points, msg->n_points * sizeof *pub->points);
    if (p == NULL) return pub_refuse(pub, DTW_ENOMEM);
    pub->points = p;
    pub->cap_points = msg->n_points;
  }
  int rc = dtw__traj_to_sample(msg, &s, pub->names, pub->points, pub->cap_points);
  if (rc < 0) return pub_refuse(pub, rc);
  return pub_write(pub, &s);
}

int dtw_pub_clock(dtw_pub_t *pub, dtw_time_t clock) {
  rosgraph_msgs_msg_dds__Clock_ s;
  if (pub->type->kind != DTW__K_CLOCK) return DTW_EINVAL;
  s.clock_.sec_ = clock.sec;
  s.clock_.nanosec_ = clock.nanosec;
  return pub_write(pub, &s);
}

int dtw_pub_diagnostics(dtw_pub_t *pub, const dtw_diag_array_t *msg) {
  diagnostic_msgs_msg_dds__DiagnosticArray_ s;
  if (pub->type->kind != DTW__K_DIAG) return DTW_EINVAL;
  int rc = dtw__diag_to_sample(msg, &s, pub->diag_status, pub->diag_kv);
  if (rc < 0) return pub_refuse(pub, rc);
  return pub_write(pub, &s);
}

int dtw_pub_jtc_state(dtw_pub_t *pub, const dtw_jtc_state_msg_t *msg) {
  control_msgs_msg_dds__JointTrajectoryControllerState_ s;
  if (pub->type->kind != DTW__K_JTC) return DTW_EINVAL;
  int rc = dtw__jtc_to_sample(msg, &s, pub->names);
  if (rc < 0) return pub_refuse(pub, rc);
  return pub_write(pub, &s);
}

/* The bytes go to Cyclone as they are (dtw__write_cdr): it validates them
 * while copying them into the writer's serialized form, with no sample read
 * and written again. Plain CDR only, so that ROS 2 readers get XCDR1. */
int dtw_pub_cdr(dtw_pub_t *pub, const void *cdr, size_t len) {
  if (!dtw__cdr_plain(cdr, len)) return pub_refuse(pub, DTW_EPARSE);
  if (len > UINT32_MAX) return pub_refuse(pub, DTW_EFULL);
  dds_return_t rc = dtw__write_cdr(pub->writer, cdr, len);
  if (rc >= 0) {
    pub->stats.messages++;
    return 0;
  }
  /* Cyclone says ERROR both for bytes that are no sample and for a failed
   * send: only the first is the sender's fault */
  if (rc == DDS_RETCODE_ERROR) {
    if (dtw__cdr_check(pub->type->desc, cdr, len) == DTW_EPARSE)
      return pub_refuse(pub, DTW_EPARSE);
  }
  pub->stats.errors++;
  pub->stats.last_error = DTW_EDDS;
  return DTW_EDDS;
}

void dtw_pub_flush(dtw_pub_t *pub) { dds_write_flush(pub->writer); }

int dtw_pub_matched_count(const dtw_pub_t *pub) {
  dds_publication_matched_status_t st;
  if (dds_get_publication_matched_status(pub->writer, &st) < 0) return DTW_EDDS;
  return (int)st.current_count;
}

static int wait_count(int (*count)(const void *), const void *ep, int n, int64_t timeout_ns) {
  int64_t deadline = dtw_clock_mono_ns() + timeout_ns;
  for (;;) {
    int c = count(ep);
    if (c < 0) return c;
    if (c >= n) return 0;
    if (dtw_clock_mono_ns() >= deadline) return DTW_ETIMEDOUT;
    dtw_clock_sleep_ns(1000000);
  }
}

static int pub_count(const void *p) { return dtw_pub_matched_count(p); }
static int sub_count(const void *s) { return dtw_sub_matched_count(s); }

int dtw_pub_wait_matched(const dtw_pub_t *pub, int n, int64_t timeout_ns) {
  return wait_count(pub_count, pub, n, timeout_ns);
}

void dtw_pub_stats(const dtw_pub_t *pub, dtw_bus_stats_t *out) { *out = pub->stats; }
const char *dtw_pub_topic(const dtw_pub_t *pub) { return pub->topic; }

/* ---- subscriptions --------------------------------------------------------- */

void dtw_sub_options_default(dtw_sub_options_t *opt) {
  memset(opt, 0, sizeof *opt);
  opt->qos = DTW_QOS_DEFAULT;
  opt->traj_cap_points = 64;
}

static size_t plain_size(dtw__kind_t k) {
  switch (k) {
    case DTW__K_JOINT_STATE: return sizeof(dtw_joint_state_msg_t);
    case DTW__K_CLOCK: return sizeof(dtw_time_t);
    case DTW__K_DIAG: return sizeof(dtw_diag_array_t);
    case DTW__K_JTC: return sizeof(dtw_jtc_state_msg_t);
    default: return 0;
  }
}

static int sub_dispatch(dtw__ep_t *ep);

static void on_data_available(dds_entity_t reader, void *arg) {
  (void)reader;
  dtw_sub_t *sub = arg;
  pthread_mutex_lock(&sub->lock);
  sub_dispatch(&sub->ep);
  pthread_mutex_unlock(&sub->lock);
}

int dtw_sub_create(dtw_bus_node_t *node, const char *topic, const char *type,
                   const dtw_sub_options_t *opt_in, dtw_sub_t **out, char *err, size_t errlen) {
  char full[DTW_ROS_NAME_BUF], dds_name[DTW_ROS_NAME_BUF];
  dtw_sub_options_t opt;
  dds_entity_t tp;
  dds_qos_t *qos;
  int rc;
  if (opt_in)
    opt = *opt_in;
  else
    dtw_sub_options_default(&opt);
  const dtw__type_t *t = dtw__type_find(type, false);
  if (t == NULL)
    return dtw_errf(err, errlen, DTW_EUNSUP, "type '%s': no IDL for it in the bus",
                    type ? type : "(null)");
  if (!opt.raw && t->kind != DTW__K_JOINT_STATE && t->kind != DTW__K_TRAJ &&
      t->kind != DTW__K_CLOCK && t->kind != DTW__K_DIAG && t->kind != DTW__K_JTC)
    return dtw_errf(err, errlen, DTW_EUNSUP,
                    "type '%s': no plain struct to receive it into (use a raw subscription)",
                    t->ros_name);
  if ((rc = dtw_bus_node_resolve(node, topic, full, sizeof full, err, errlen)) < 0) return rc;
  if ((rc = dtw_ros_topic_to_dds(full, dds_name, sizeof dds_name, err, errlen)) < 0) return rc;
  dtw_sub_t *sub = calloc(1, sizeof *sub);
  if (sub == NULL)
    return dtw_errf(err, errlen, DTW_ENOMEM, "subscription '%s': out of memory", full);
  pthread_mutex_init(&sub->lock, NULL);
  sub->ep.destroy = sub_ep_destroy;
  sub->type = t;
  sub->opt = opt;
  snprintf(sub->topic, sizeof sub->topic, "%s", full);
  sub->sample = calloc(1, t->desc->m_size);
  if (sub->sample == NULL) goto err_nomem;
  if (opt.on_msg != NULL) {
    if (opt.raw) {
      /* delivered as views of Cyclone's own bytes: no buffer of ours */
    } else if (t->kind == DTW__K_TRAJ) {
      if (dtw_traj_msg_init(&sub->traj, opt.traj_cap_points ? opt.traj_cap_points : 64) < 0)
        goto err_nomem;
      sub->plain = &sub->traj;
    } else if ((sub->plain = calloc(1, plain_size(t->kind))) == NULL) {
      goto err_nomem;
    }
  }
  if ((tp = dtw__topic_create(node->bus, dds_name, t->desc, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, tp, "create topic", dds_name);
    goto err_alloc;
  }
  if ((qos = dtw__qos_create_depth(opt.qos, false, opt.depth)) == NULL) {
    dds_delete(tp);
    goto err_nomem;
  }
  dtw__qos_set_userdata(node->bus, qos, NULL, t->ros_name, NULL);
  sub->reader = dds_create_reader(node->bus->participant, tp, qos, NULL);
  dds_delete_qos(qos);
  dds_delete(tp);
  if (sub->reader < 0) {
    rc = dtw__dds_err(err, errlen, sub->reader, "create reader", dds_name);
    goto err_alloc;
  }
  if (opt.on_msg != NULL && opt.direct) {
    /* set after creation so the callback always sees a complete sub */
    dds_listener_t *l = dds_create_listener(sub);
    if (l == NULL) goto err_nomem_reader;
    dds_lset_data_available(l, on_data_available);
    dds_return_t drc = dds_set_listener(sub->reader, l);
    dds_delete_listener(l);
    if (drc < 0) {
      rc = dtw__dds_err(err, errlen, drc, "set listener", dds_name);
      goto err_reader;
    }
  } else if (opt.on_msg != NULL) {
    sub->ep.readcond = dds_create_readcondition(sub->reader, DDS_ANY_STATE);
    if (sub->ep.readcond < 0) {
      rc = dtw__dds_err(err, errlen, sub->ep.readcond, "create readcondition", dds_name);
      goto err_reader;
    }
    sub->ep.dispatch = sub_dispatch;
  }
  if ((rc = dtw__ep_register(node, &sub->ep, sub->reader, 0, err, errlen)) < 0) goto err_reader;
  if (opt.on_msg != NULL && opt.direct) {
    /* samples that arrived before the listener was set raise no callback of
     * their own: without this take they would wait for the next sample */
    on_data_available(sub->reader, sub);
  }
  *out = sub;
  return 0;

err_nomem:
  rc = dtw_errf(err, errlen, DTW_ENOMEM, "subscription '%s': out of memory", full);
  goto err_alloc;
err_nomem_reader:
  rc = dtw_errf(err, errlen, DTW_ENOMEM, "subscription '%s': out of memory", full);
err_reader:
  dds_delete(sub->reader);
err_alloc:
  if (sub->sample) dds_sample_free(sub->sample, t->desc, DDS_FREE_ALL);
  if (sub->plain != &sub->traj) free(sub->plain);
  dtw_traj_msg_fini(&sub->traj);
  pthread_mutex_destroy(&sub->lock);
  free(sub);
  return rc;
}

void dtw_sub_destroy(dtw_sub_t *sub) {
  if (sub == NULL) return;
  dtw__ep_unregister(&sub->ep);
  dds_delete(sub->reader); /* also deletes the readcondition */
  dds_sample_free(sub->sample, sub->type->desc, DDS_FREE_ALL);
  if (sub->plain != &sub->traj) free(sub->plain);
  dtw_traj_msg_fini(&sub->traj);
  pthread_mutex_destroy(&sub->lock);
  free(sub);
}

/* Convert the taken sample into the plain struct of the subscription's kind. */
static int sub_convert(dtw_sub_t *sub, void *msg) {
  switch (sub->type->kind) {
    case DTW__K_JOINT_STATE: return dtw__js_from_sample(sub->sample, msg);
    case DTW__K_TRAJ: return dtw__traj_from_sample(sub->sample, msg);
    case DTW__K_DIAG: return dtw__diag_from_sample(sub->sample, msg);
    case DTW__K_JTC: return dtw__jtc_from_sample(sub->sample, msg);
    case DTW__K_CLOCK: {
      const rosgraph_msgs_msg_dds__Clock_ *c = sub->sample;
      dtw_time_t *t = msg;
      t->sec = c->clock_.sec_;
      t->nanosec = c->clock_.nanosec_;
      return 0;
    }
    default: return DTW_EUNSUP;
  }
}

/* Raw: copy the serialized sample (with its encapsulation header). A
 * callback buffer grows to fit; a caller's buffer that is too small refuses. */
static int take_raw(dtw_sub_t *sub, dtw_cdr_buf_t *buf, bool grow) {
  for (;;) {
    bool valid = false;
    size_t size = 0;
    dds_return_t n = dtw__take_serialized(sub->reader, buf, grow, &valid, &size);
    if (n < 0) {
      sub->stats.errors++;
      sub->stats.last_error = DTW_EDDS;
      return DTW_EDDS;
    }
    if (n == 0) return 0;
    if (!valid) continue;
    if (size > buf->cap) {
      count_refusal(&sub->stats, DTW_EFULL);
      continue;
    }
    dtw_cdr_t view = {buf->data, buf->len};
    if (sub->opt.validate != NULL && sub->opt.validate(&view, sub->opt.user) != 0) {
      count_refusal(&sub->stats, DTW_EPARSE);
      continue;
    }
    sub->stats.messages++;
    return 1;
  }
}

/* A sample the plain struct could not hold may own any amount of memory
 * (Cyclone grew its sequences to fit: a 1e6-point trajectory keeps ~100 MB).
 * Free its contents so the next take starts small, and give the freed pages
 * back: the many small buffers Cyclone allocated stay in the heap otherwise.
 * Only on this refusal path, never per message. */
static void release_sample(dtw_sub_t *sub) {
  dds_sample_free(sub->sample, sub->type->desc, DDS_FREE_CONTENTS);
  memset(sub->sample, 0, sub->type->desc->m_size);
  malloc_trim(0);
}

static int take_typed(dtw_sub_t *sub, void *msg) {
  dds_sample_info_t info;
  for (;;) {
    void *ptr = sub->sample; /* caller-provided memory: Cyclone reuses its buffers */
    dds_return_t n = dds_take(sub->reader, &ptr, &info, 1, 1);
    if (n < 0) {
      sub->stats.errors++;
      sub->stats.last_error = DTW_EDDS;
      return DTW_EDDS;
    }
    if (n == 0) return 0;
    if (!info.valid_data) continue;
    sub->last_writer = info.publication_handle;
    int rc = sub_convert(sub, msg);
    if (rc < 0) {
      count_refusal(&sub->stats, rc);
      release_sample(sub);
      return rc; /* consumed; the caller says why it refused it */
    }
    if (sub->opt.validate != NULL && sub->opt.validate(msg, sub->opt.user) != 0) {
      count_refusal(&sub->stats, DTW_EPARSE);
      return DTW_EPARSE;
    }
    sub->stats.messages++;
    return 1;
  }
}

/* JointState fast path: Cyclone's CDR is decoded straight into the plain
 * struct (no generated sample with 23 heap strings, no second copy), many
 * samples per take. Refusals are counted exactly as on the generic path. */
typedef struct {
  dtw_sub_t *sub;
  dtw_joint_state_msg_t *msg; /* decoded into; delivered from */
  bool deliver;               /* call on_msg for each accepted sample */
  int accepted;
  int refused;                /* code of the last refused sample, 0 if none */
} js_take_t;

static void js_sample(const uint8_t *cdr, size_t len, bool valid, uint64_t writer, void *arg) {
  js_take_t *t = arg;
  dtw_sub_t *sub = t->sub;
  if (!valid) return;
  sub->last_writer = writer;
  int rc = dtw__js_decode(cdr, len, t->msg);
  if (rc < 0) {
    count_refusal(&sub->stats, rc);
    t->refused = rc;
    return;
  }
  if (sub->opt.validate != NULL && sub->opt.validate(t->msg, sub->opt.user) != 0) {
    count_refusal(&sub->stats, DTW_EPARSE);
    t->refused = DTW_EPARSE;
    return;
  }
  sub->stats.messages++;
  t->accepted++;
  if (t->deliver) sub->opt.on_msg(sub, t->msg, sub->opt.user);
}

/* deliver: all pending samples to on_msg (returns the count); else the next
 * acceptable one into msg (returns 1 or 0). */
static int take_js(dtw_sub_t *sub, dtw_joint_state_msg_t *msg, bool deliver) {
  js_take_t t = {sub, msg, deliver, 0, 0};
  for (;;) {
    /* one at a time for dtw_sub_take: later samples stay in the reader */
    dds_return_t n = dtw__take_cdr_each(sub->reader, deliver ? DTW__TAKE_BATCH : 1, js_sample, &t);
    if (n < 0) {
      sub->stats.errors++;
      sub->stats.last_error = DTW_EDDS;
      return DTW_EDDS;
    }
    if (!deliver && t.refused < 0) return t.refused; /* one sample taken: refused */
    if (n == 0 || (!deliver && t.accepted > 0)) return t.accepted;
    /* fewer than asked: none was left; a later one wakes us again */
    if (deliver && n < DTW__TAKE_BATCH) return t.accepted;
  }
}

int dtw_sub_take(dtw_sub_t *sub, void *msg) {
  if (sub == NULL || msg == NULL) return DTW_EINVAL;
  if (sub->opt.raw) return take_raw(sub, msg, false);
  if (sub->type->kind == DTW__K_JOINT_STATE) return take_js(sub, msg, false);
  return take_typed(sub, msg);
}

/* Raw delivery: each sample goes to on_msg as a view of Cyclone's bytes (no
 * copy), many per take. */
static void raw_sample(const uint8_t *cdr, size_t len, bool valid, uint64_t writer, void *arg) {
  dtw_sub_t *sub = arg;
  (void)writer;
  if (!valid) return;
  dtw_cdr_t view = {cdr, len};
  if (sub->opt.validate != NULL && sub->opt.validate(&view, sub->opt.user) != 0) {
    count_refusal(&sub->stats, DTW_EPARSE);
    return;
  }
  sub->stats.messages++;
  sub->opt.on_msg(sub, &view, sub->opt.user);
}

static int sub_dispatch(dtw__ep_t *ep) {
  dtw_sub_t *sub = (dtw_sub_t *)ep;
  int count = 0;
  if (!sub->opt.raw && sub->type->kind == DTW__K_JOINT_STATE) return take_js(sub, sub->plain, true);
  if (sub->opt.raw) {
    for (;;) {
      dds_return_t n = dtw__take_cdr_each(sub->reader, DTW__TAKE_BATCH, raw_sample, sub);
      if (n < 0) {
        sub->stats.errors++;
        sub->stats.last_error = DTW_EDDS;
        return DTW_EDDS;
      }
      count += (int)n;
      /* fewer than asked: none was left; a later one wakes us again */
      if (n < DTW__TAKE_BATCH) return count;
    }
  }
  for (;;) {
    int rc = take_typed(sub, sub->plain);
    if (rc == 1) sub->opt.on_msg(sub, sub->plain, sub->opt.user);
    if (rc <= 0) return rc < 0 ? rc : count;
    count++;
  }
}

uint64_t dtw_sub_last_writer(const dtw_sub_t *sub) { return sub != NULL ? sub->last_writer : 0; }

uint64_t dtw_sub_writer_participant(const dtw_sub_t *sub, uint64_t writer) {
  if (sub == NULL || writer == 0) return 0;
  dds_builtintopic_endpoint_t *e = dds_get_matched_publication_data(sub->reader, writer);
  if (e == NULL) return 0;
  // FNV-1a of the participant's GUID: one key per participant on the domain
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < sizeof e->participant_key.v; i++)
    h = (h ^ e->participant_key.v[i]) * 1099511628211ULL;
  dds_builtintopic_free_endpoint(e);
  return h != 0 ? h : 1;
}

int dtw_sub_matched_count(const dtw_sub_t *sub) {
  dds_subscription_matched_status_t st;
  if (dds_get_subscription_matched_status(sub->reader, &st) < 0) return DTW_EDDS;
  return (int)st.current_count;
}

int dtw_sub_wait_matched(const dtw_sub_t *sub, int n, int64_t timeout_ns) {
  return wait_count(sub_count, sub, n, timeout_ns);
}

void dtw_sub_stats(const dtw_sub_t *sub, dtw_bus_stats_t *out) { *out = sub->stats; }
const char *dtw_sub_topic(const dtw_sub_t *sub) { return sub->topic; }
