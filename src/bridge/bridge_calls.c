/* Service calls through the bridge: the table and the state machine of
 * bridge__calls.h. The bus and the clients are reached through ops only. */
#include "bridge__calls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/bridge_server.h"
#include "dtw/err.h"

int dtw__calls_init(dtw__calls_t *t, size_t cap, int64_t timeout_ns,
                    const dtw__call_limits_t *limits, const dtw__call_ops_t *ops, void *user) {
  memset(t, 0, sizeof *t);
  if ((t->v = calloc(cap, sizeof *t->v)) == NULL) return DTW_ENOMEM;
  t->cap = cap;
  if (limits != NULL) t->lim = *limits;
  if (t->lim.per_client == 0 || t->lim.per_client > cap) t->lim.per_client = cap;
  t->timeout_ns = timeout_ns;
  t->next_srv_id = DTW_BRIDGE_FIRST_SRV_ID;
  t->ops = ops;
  t->user = user;
  return 0;
}

static void drop_data(dtw__calls_t *t, dtw__call_t *k) {
  if (k->data != NULL) t->bytes -= k->len;
  free(k->data);
  k->data = NULL;
  k->len = 0;
}

static void call_free_in(dtw__calls_t *t, dtw__call_t *k) {
  drop_data(t, k);
  if (k->state != DTW__CALL_FREE) t->active--;
  memset(k, 0, sizeof *k);
}
#define call_free(k) call_free_in(t, (k))

void dtw__calls_fini(dtw__calls_t *t) {
  for (size_t i = 0; i < t->cap && t->v != NULL; i++) call_free(&t->v[i]);
  free(t->v);
  t->v = NULL;
  t->cap = 0;
}

static dtw__call_t *call_alloc(dtw__calls_t *t) {
  for (size_t i = 0; i < t->cap; i++)
    if (t->v[i].state == DTW__CALL_FREE) return &t->v[i];
  return NULL;
}

static int hold_payload(dtw__calls_t *t, dtw__call_t *k, const uint8_t *p, size_t len) {
  drop_data(t, k);
  k->data = malloc(len ? len : 1);
  if (k->data == NULL) return DTW_ENOMEM;
  if (len) memcpy(k->data, p, len);
  k->len = len;
  t->bytes += len;
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

/* ---- bounds and fair share ---------------------------------------------------------------- */

typedef struct holder {
  const void *client;
  size_t calls, bytes;
  int64_t oldest_t0;
  dtw__call_t *oldest;
} holder_t;

/* What each client holds; returns the number of clients (me counted even
 * with nothing). h has room for cap + 1. */
static size_t holders(const dtw__calls_t *t, const void *me, holder_t *h) {
  size_t n = 0;
  h[n++] = (holder_t){.client = me, .oldest_t0 = INT64_MAX};
  for (size_t i = 0; i < t->cap; i++) {
    dtw__call_t *k = &t->v[i];
    if (k->state == DTW__CALL_FREE) continue;
    size_t j = 0;
    while (j < n && h[j].client != k->client) j++;
    if (j == n) h[n++] = (holder_t){.client = k->client, .oldest_t0 = INT64_MAX};
    h[j].calls++;
    h[j].bytes += k->data ? k->len : 0;
    if (k->t0 < h[j].oldest_t0) {
      h[j].oldest_t0 = k->t0;
      h[j].oldest = k;
    }
  }
  return n;
}

/* End the oldest call of the client holding most beyond its fair share, if
 * me (holding less than its share) needs the room. by_bytes: the bytes are
 * short, else the calls. Returns true if a call ended. */
static bool preempt(dtw__calls_t *t, const void *me, size_t need, bool by_bytes) {
  static holder_t h[1024 + 1];
  if (t->cap > 1024) return false;
  size_t n = holders(t, me, h);
  size_t total = by_bytes ? t->lim.total_bytes : t->cap;
  size_t share = total / n;
  size_t mine = by_bytes ? h[0].bytes + need : h[0].calls + 1;
  if (mine > share) return false;
  holder_t *v = NULL;
  for (size_t j = 1; j < n; j++) {
    size_t held = by_bytes ? h[j].bytes : h[j].calls;
    if (held > share && (v == NULL || held > (by_bytes ? v->bytes : v->calls))) v = &h[j];
  }
  if (v == NULL || v->oldest == NULL) return false;
  dtw__call_t *k = v->oldest;
  t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_CALL_PREEMPTED);
  if (k->client != NULL)
    client_error(t, k->client,
                 "service call %s (srv_id %lld) ended: another client needs its share of the "
                 "bridge's calls in flight",
                 k->svc_name, (long long)k->srv_id);
  else
    warn(t, "%s: reply ended to make room for other clients' calls", k->svc_name);
  call_free(k);
  return true;
}

/* Room for len more held bytes of client: NULL, or why not. */
static const char *admit_bytes(dtw__calls_t *t, const void *client, size_t len) {
  if (t->lim.per_client_bytes > 0) {
    size_t mine = 0;
    for (size_t i = 0; i < t->cap; i++)
      if (t->v[i].state != DTW__CALL_FREE && t->v[i].client == client && t->v[i].data)
        mine += t->v[i].len;
    if (mine + len > t->lim.per_client_bytes)
      return "this client's calls in flight hold max_call_bytes_per_client";
  }
  while (t->lim.total_bytes > 0 && t->bytes + len > t->lim.total_bytes)
    if (!preempt(t, client, len, true)) return "the bridge's calls in flight hold max_call_bytes";
  return NULL;
}

/* Room for one more call of client holding len bytes: NULL, or why not. */
static const char *admit(dtw__calls_t *t, const void *client, size_t len) {
  if (dtw__calls_of(t, client) >= t->lim.per_client)
    return "this client has max_calls_per_client calls in flight";
  const char *why = admit_bytes(t, client, len);
  if (why != NULL) return why;
  while (t->active >= t->cap)
    if (!preempt(t, client, 0, false)) return "the bridge has its most calls in flight";
  return NULL;
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
  drop_data(t, k);
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
  t->active++;
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
  const char *why = admit(t, client, len);
  if (why != NULL) {
    t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_CALL_LIMIT);
    client_error(t, client, "service call %s (srv_id %lld) refused: %s", svc_name,
                 (long long)srv_id, why);
    return DTW_EFULL;
  }
  dtw__call_t *k = call_alloc(t);
  if (k == NULL) return DTW_EFULL;
  start(t, k, DTW__CALL_WAIT_SERVER, client, svc, svc_name, dest, now);
  if (hold_payload(t, k, payload, len) < 0) {
    call_free(k);
    return DTW_ENOMEM;
  }
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
  if (admit(t, client, 0) != NULL) {
    t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_CALL_LIMIT);
    return DTW_EFULL;
  }
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
    const char *why = admit_bytes(t, client, len);
    if (why != NULL) {
      t->ops->refused(t->user, DTW_BRIDGE_REFUSAL_CALL_LIMIT);
      client_error(t, k->client, "response to srv_id %lld refused: %s", (long long)srv_id, why);
      call_free(k);
      return 1;
    }
    if (hold_payload(t, k, payload, len) < 0) {
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

size_t dtw__calls_active(const dtw__calls_t *t) { return t->active; }
size_t dtw__calls_bytes(const dtw__calls_t *t) { return t->bytes; }

size_t dtw__calls_of(const dtw__calls_t *t, const void *client) {
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++) n += t->v[i].state != DTW__CALL_FREE && t->v[i].client == client;
  return n;
}
