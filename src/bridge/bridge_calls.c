/* Service calls through the bridge: the table and the state machine of
 * bridge__calls.h. The bus and the clients are reached through ops only. */
#include "bridge__calls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/bridge_server.h"
#include "dtw/err.h"

int dtw__calls_init(dtw__calls_t *t, size_t cap, int64_t timeout_ns, const dtw__call_ops_t *ops,
                    void *user) {
  memset(t, 0, sizeof *t);
  if ((t->v = calloc(cap, sizeof *t->v)) == NULL) return DTW_ENOMEM;
  t->cap = cap;
  t->timeout_ns = timeout_ns;
  t->next_srv_id = DTW_BRIDGE_FIRST_SRV_ID;
  t->ops = ops;
  t->user = user;
  return 0;
}

static void call_free(dtw__call_t *k) {
  free(k->data);
  memset(k, 0, sizeof *k);
}

void dtw__calls_fini(dtw__calls_t *t) {
  for (size_t i = 0; i < t->cap; i++) call_free(&t->v[i]);
  free(t->v);
  t->v = NULL;
  t->cap = 0;
}

static dtw__call_t *call_alloc(dtw__calls_t *t) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->v[i].state == DTW__CALL_FREE) return &t->v[i];
  return NULL;
}

static int hold_payload(dtw__call_t *k, const uint8_t *p, size_t len) {
  free(k->data);
  k->data = malloc(len ? len : 1);
  if (k->data == NULL) return DTW_ENOMEM;
  if (len) memcpy(k->data, p, len);
  k->len = len;
  return 0;
}

static void client_error(dtw__calls_t *t, void *client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void client_error(dtw__calls_t *t, void *client, const char *fmt, ...) {
  char text[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  t->ops->client_error(t->user, client, text);
}

static void warn(dtw__calls_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(dtw__calls_t *t, const char *fmt, ...) {
  char text[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  t->ops->warn(t->user, text);
}

/* Unity -> ROS: send the held request once the server is there. */
static void try_send(dtw__calls_t *t, dtw__call_t *k) {
  char err[512] = "";
  int rc = t->ops->ros_send(t->user, k, err, sizeof err);
  if (rc == 0) return;
  if (rc < 0) {
    if (rc == DTW_EPARSE) t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
    client_error(t, k->client, "service call %s (srv_id %lld) failed: %s", k->svc_name,
                 (long long)k->srv_id, err);
    call_free(k);
    return;
  }
  free(k->data);
  k->data = NULL;
  k->state = DTW__CALL_SENT;
}

/* ROS -> Unity: reply on the bus once the DDS client can receive it. */
static void try_reply(dtw__calls_t *t, dtw__call_t *k, int64_t now) {
  char err[512] = "";
  int rc = t->ops->ros_reply(t->user, k, err, sizeof err);
  if (rc == DTW_EBUSY) return;
  if (rc == 0) {
    t->ops->done(t->user, DTW__CALL_UNITY_SERVICE, now - k->t0);
  } else if (rc == DTW_EPARSE) {
    t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
    if (k->client)
      client_error(t, k->client, "response to srv_id %lld: %s", (long long)k->srv_id, err);
  } else {
    warn(t, "%s: reply not sent: %s", k->svc_name, err);
  }
  call_free(k);
}

static void start(dtw__calls_t *t, dtw__call_t *k, dtw__call_state_t state, void *client,
                  void *svc, const char *svc_name, const char *dest, int64_t now) {
  k->state = state;
  k->client = client;
  k->svc = svc;
  k->svc_name = svc_name;
  snprintf(k->dest, sizeof k->dest, "%s", dest);
  k->t0 = now;
  k->deadline = now + t->timeout_ns;
}

int dtw__calls_ros_request(dtw__calls_t *t, void *client, void *svc, const char *svc_name,
                           const char *dest, const uint8_t *payload, size_t len, int64_t srv_id,
                           int64_t now) {
  dtw__call_t *k = call_alloc(t);
  if (k == NULL) return DTW_EFULL;
  if (hold_payload(k, payload, len) < 0) {
    call_free(k);
    return DTW_ENOMEM;
  }
  start(t, k, DTW__CALL_WAIT_SERVER, client, svc, svc_name, dest, now);
  k->srv_id = srv_id;
  try_send(t, k);
  return 0;
}

int dtw__calls_ros_reply(dtw__calls_t *t, const void *svc, int64_t seq, const uint8_t *payload,
                         size_t len, int64_t now) {
  for (size_t i = 0; i < t->cap; i++) {
    dtw__call_t *k = &t->v[i];
    if (k->state != DTW__CALL_SENT || k->svc != svc || k->seq != seq) continue;
    t->ops->deliver(t->user, k->client, "__response", k->srv_id, k->dest, payload, len);
    t->ops->done(t->user, DTW__CALL_ROS_SERVICE, now - k->t0);
    call_free(k);
    return 1;
  }
  return 0;
}

int dtw__calls_unity_request(dtw__calls_t *t, void *client, void *svc, const char *svc_name,
                             const char *dest, const dtw_raw_request_id_t *rid,
                             const uint8_t *payload, size_t len, int64_t now) {
  dtw__call_t *k = call_alloc(t);
  if (k == NULL) return DTW_EFULL;
  start(t, k, DTW__CALL_UREQ_SENT, client, svc, svc_name, dest, now);
  k->rid = *rid;
  k->srv_id = t->next_srv_id++;
  t->ops->deliver(t->user, client, "__request", k->srv_id, k->dest, payload, len);
  return 0;
}

int dtw__calls_unity_response(dtw__calls_t *t, const void *client, int64_t srv_id,
                              const uint8_t *payload, size_t len, int64_t now) {
  for (size_t i = 0; i < t->cap; i++) {
    dtw__call_t *k = &t->v[i];
    if (k->state != DTW__CALL_UREQ_SENT || k->client != client || k->srv_id != srv_id) continue;
    if (hold_payload(k, payload, len) < 0) {
      call_free(k);
      return DTW_ENOMEM;
    }
    k->state = DTW__CALL_UREQ_REPLY;
    try_reply(t, k, now);
    return 1;
  }
  return 0;
}

bool dtw__calls_tick(dtw__calls_t *t, int64_t now) {
  bool retry = false;
  for (size_t i = 0; i < t->cap; i++) {
    dtw__call_t *k = &t->v[i];
    if (k->state == DTW__CALL_WAIT_SERVER) try_send(t, k);
    if (k->state == DTW__CALL_UREQ_REPLY) try_reply(t, k, now);
    if (k->state == DTW__CALL_FREE) continue;
    if (now >= k->deadline) {
      if (k->state == DTW__CALL_WAIT_SERVER || k->state == DTW__CALL_SENT)
        client_error(t, k->client, "service %s: no %s within %.1f s (srv_id %lld)", k->svc_name,
                     k->state == DTW__CALL_SENT ? "reply" : "server",
                     (double)t->timeout_ns * 1e-9, (long long)k->srv_id);
      else
        warn(t, "%s: Unity did not answer srv_id %lld", k->svc_name, (long long)k->srv_id);
      call_free(k);
      continue;
    }
    if (k->state == DTW__CALL_WAIT_SERVER || k->state == DTW__CALL_UREQ_REPLY) retry = true;
  }
  return retry;
}

bool dtw__calls_retry_pending(const dtw__calls_t *t) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->v[i].state == DTW__CALL_WAIT_SERVER || t->v[i].state == DTW__CALL_UREQ_REPLY)
      return true;
  return false;
}

void dtw__calls_client_gone(dtw__calls_t *t, const void *client) {
  for (size_t i = 0; i < t->cap; i++) {
    dtw__call_t *k = &t->v[i];
    if (k->client != client) continue;
    if (k->state == DTW__CALL_UREQ_REPLY)
      k->client = NULL; /* the reply is complete: still deliver it */
    else
      call_free(k);
  }
}

bool dtw__calls_uses(const dtw__calls_t *t, const void *svc) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->v[i].state != DTW__CALL_FREE && t->v[i].svc == svc) return true;
  return false;
}

size_t dtw__calls_active(const dtw__calls_t *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++) n += t->v[i].state != DTW__CALL_FREE;
  return n;
}
