/* The Unity bridge: ROS-TCP-Endpoint protocol over TCP (epoll, one thread),
 * DDS on the other side (raw CDR passthrough). See dtw/bridge_node.h.
 *
 * Two threads touch a client's send state: the poll thread (commands,
 * service traffic, flushing) and Cyclone's receive thread (topic samples,
 * sent straight from the data-available callback). n->lock guards the send
 * state, the client list and the subscriber lists the callback walks. DDS
 * entities are created and destroyed by the poll thread without the lock
 * held (destroying a reader waits for its running callback, which may be
 * waiting for the lock). */
#include "dtw/bridge_node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dtw/bridge.h"
#include "dtw/bus_graph.h"
#include "dtw/bus_raw.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/ros_names.h"
#include "node__util.h"

#define DTW_PARAM_STYPE dtw_bridge_node_settings_t
DTW_PARAM_TABLE(dtw_bridge_node_param_table, "bridge",
                "The Unity bridge: a ROS-TCP-Endpoint-compatible server (ROS-TCP-Connector, "
                "protocol v0.7, ROS 2)",
                DTW_BRIDGE_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "bridge"
#define MAX_CALLS 256
#define OUT_INITIAL (64 * 1024)
#define RBUF_INITIAL (64 * 1024)
#define READ_BUDGET (1024 * 1024) /* bytes read per client per round: fairness */
#define CLIENT_SNDBUF (256 * 1024)
#define ERRORS_PER_S 10           /* __error frames per client and second */

const char *dtw_bridge_refusal_name(int reason) {
  switch (reason) {
#define DTW__BRIDGE_REFUSAL_NAME(name, label, text) \
  case DTW_BRIDGE_REFUSAL_##name:                   \
    return label;
    DTW_BRIDGE_REFUSAL_MAP(DTW__BRIDGE_REFUSAL_NAME)
#undef DTW__BRIDGE_REFUSAL_NAME
  default:
    return "invalid";
  }
}

typedef struct client client_t;

/* A client's registration on a topic or service, with its own spelling of
 * the name (frames it gets carry that spelling as destination). */
typedef struct ref {
  client_t *c;
  char dest[DTW_BRIDGE_NAME_MAX];
  size_t dest_len;
} ref_t;

typedef struct ref_list {
  ref_t *v;
  size_t n, cap;
} ref_list_t;

typedef struct topic {
  dtw_bridge_node_t *node;
  char name[DTW_ROS_NAME_BUF]; /* resolved */
  char type[DTW_BRIDGE_NAME_MAX];
  dtw_sub_t *sub;
  dtw_pub_t *pub;
  ref_list_t subs, pubs;
} topic_t;

typedef struct service {
  char name[DTW_ROS_NAME_BUF];
  char type[DTW_BRIDGE_NAME_MAX];
  bool unity;              /* Unity implements it (raw server) or ROS does (raw client) */
  dtw_raw_client_t *cli;
  dtw_raw_srv_t *srv;
  ref_list_t users;        /* ROS service: registered clients; Unity: the owner (one) */
} service_t;

typedef enum {
  CALL_FREE = 0,
  CALL_WAIT_SERVER, /* Unity -> ROS: request held until the server matches */
  CALL_SENT,        /* Unity -> ROS: waiting for the DDS reply */
  UREQ_SENT,        /* ROS -> Unity: forwarded, waiting for __response */
  UREQ_REPLY        /* ROS -> Unity: response held until the DDS client's reader matches */
} call_state_t;

typedef struct call {
  call_state_t state;
  client_t *client;
  service_t *svc;
  char dest[DTW_BRIDGE_DEST_MAX + 1]; /* service name as the client spells it */
  int64_t srv_id, seq;
  dtw_raw_request_id_t rid;
  int64_t t0, deadline;
  uint8_t *data;
  size_t len;
} call_t;

struct client {
  dtw_bridge_node_t *node;
  int fd;
  unsigned id;
  char peer[64];
  /* input (poll thread only) */
  uint8_t *rbuf;
  size_t rlen, rcap;
  int64_t last_rx_ns;
  int pending;          /* DTW_BRIDGE_CMD_REQUEST/RESPONSE: the next frame is its payload */
  int64_t pending_srv_id;
  int64_t err_window_ns;
  unsigned err_in_window;
  int close_reason;     /* -1 = none, else dtw_bridge_refusal_t or REFUSAL_COUNT (normal) */
  /* output (under the node lock) */
  uint8_t *out;
  size_t out_len, out_off, out_cap;
  uint8_t *ring; /* whole unsent messages, oldest first */
  size_t ring_cap, ring_head, ring_bytes;
  size_t *qlen;
  size_t q_cap, q_head, q_count;
  bool want_out, broken;
};

struct dtw_bridge_node {
  dtw_bridge_node_settings_t s;
  char fqn[520];
  char addr[64];
  int port;
  dtw_bus_node_t *bus_node;
  dtw_graph_t *graph; /* the ROS graph, for __topic_list; used by the loop thread only */
  int lfd, efd, epfd;
  pthread_mutex_t lock;
  client_t **clients;
  size_t n_clients;
  topic_t **topics;
  size_t n_topics, cap_topics;
  service_t **svcs;
  size_t n_svcs, cap_svcs;
  call_t calls[MAX_CALLS];
  int64_t next_srv_id;
  unsigned next_client_id;
  dtw_cdr_buf_t svc_buf;
  atomic_bool svc_event;
  dtw_bridge_node_stats_t st; /* under lock */
  dtw__log_limiter_t lim;
  struct {
    dtw_gauge_t *clients;
    dtw_counter_t *frames_in, *frames_out, *bytes_in, *bytes_out, *dropped;
    dtw_counter_t *refused[DTW_BRIDGE_REFUSAL_COUNT];
    dtw_histogram_t *ros_service, *unity_service;
  } m;
};

/* ---- small helpers ------------------------------------------------------ */

static int ref_add(ref_list_t *l, client_t *c, const char *dest) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].c == c) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4;
    ref_t *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) return DTW_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  ref_t *r = &l->v[l->n++];
  r->c = c;
  snprintf(r->dest, sizeof r->dest, "%s", dest);
  r->dest_len = strlen(r->dest);
  return 0;
}

static bool ref_remove(ref_list_t *l, const client_t *c) {
  for (size_t i = 0; i < l->n; i++) {
    if (l->v[i].c == c) {
      l->v[i] = l->v[--l->n];
      return true;
    }
  }
  return false;
}

static const ref_t *ref_find(const ref_list_t *l, const client_t *c, const char *dest) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].c == c && (dest == NULL || strcmp(l->v[i].dest, dest) == 0)) return &l->v[i];
  return NULL;
}

static void count_refusal(dtw_bridge_node_t *n, dtw_bridge_refusal_t r) {
  pthread_mutex_lock(&n->lock);
  n->st.refused[r]++;
  pthread_mutex_unlock(&n->lock);
  dtw_counter_add(n->m.refused[r], 1);
}

static void wake(dtw_bridge_node_t *n) {
  uint64_t one = 1;
  ssize_t w = write(n->efd, &one, sizeof one);
  (void)w; /* EAGAIN: the counter is already non-zero, the loop wakes anyway */
}

static void on_notify(void *user) {
  dtw_bridge_node_t *n = user;
  atomic_store(&n->svc_event, true);
  wake(n);
}

/* ---- output (node lock held) ------------------------------------------- */

static void set_want_out(client_t *c, bool want) {
  if (c->want_out == want || c->broken) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(c->node->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->want_out = want;
}

static void mark_broken(client_t *c) {
  if (c->broken) return;
  c->broken = true;
  wake(c->node);
}

static bool out_reserve(client_t *c, size_t need) {
  if (need <= c->out_cap) return true;
  size_t cap = c->out_cap ? c->out_cap : OUT_INITIAL;
  while (cap < need) cap *= 2;
  uint8_t *p = realloc(c->out, cap);
  if (p == NULL) return false;
  c->out = p;
  c->out_cap = cap;
  return true;
}

static void drop_oldest(client_t *c) {
  size_t m = c->qlen[c->q_head];
  c->ring_head = (c->ring_head + m) % c->ring_cap;
  c->ring_bytes -= m;
  c->q_head = (c->q_head + 1) % c->q_cap;
  c->q_count--;
  c->node->st.dropped++;
  dtw_counter_add(c->node->m.dropped, 1);
}

/* Grow the ring to hold need bytes (linearising it). */
static bool ring_reserve(client_t *c, size_t need) {
  if (need <= c->ring_cap) return true;
  size_t cap = c->ring_cap ? c->ring_cap : OUT_INITIAL;
  while (cap < need) cap *= 2;
  uint8_t *p = malloc(cap);
  if (p == NULL) return false;
  size_t first = c->ring_cap - c->ring_head < c->ring_bytes ? c->ring_cap - c->ring_head
                                                               : c->ring_bytes;
  if (c->ring_bytes > 0) {
    memcpy(p, c->ring + c->ring_head, first);
    memcpy(p + first, c->ring, c->ring_bytes - first);
  }
  free(c->ring);
  c->ring = p;
  c->ring_cap = cap;
  c->ring_head = 0;
  return true;
}

static void ring_write(client_t *c, size_t pos, const uint8_t *src, size_t len) {
  size_t at = pos % c->ring_cap, first = c->ring_cap - at < len ? c->ring_cap - at : len;
  memcpy(c->ring + at, src, first);
  memcpy(c->ring, src + first, len - first);
}

/* Queue a frame (gathered from iov) behind the data in flight, dropping the
 * oldest queued frames to stay within the client's bounds. */
static void enqueue(client_t *c, const struct iovec *iov, int niov, size_t total) {
  dtw_bridge_node_t *n = c->node;
  size_t max_bytes = (size_t)n->s.send_queue_bytes;
  if (c->qlen == NULL) {
    c->q_cap = (size_t)n->s.send_queue_messages;
    if ((c->qlen = calloc(c->q_cap, sizeof *c->qlen)) == NULL) goto drop;
  }
  if (total > max_bytes) goto drop;
  while (c->q_count > 0 && (c->q_count == c->q_cap || c->ring_bytes + total > max_bytes))
    drop_oldest(c);
  if (!ring_reserve(c, c->ring_bytes + total)) goto drop;
  size_t pos = c->ring_head + c->ring_bytes;
  for (int i = 0; i < niov; i++) {
    ring_write(c, pos, iov[i].iov_base, iov[i].iov_len);
    pos += iov[i].iov_len;
  }
  c->ring_bytes += total;
  c->qlen[(c->q_head + c->q_count) % c->q_cap] = total;
  c->q_count++;
  set_want_out(c, true);
  return;
drop:
  n->st.dropped++;
  dtw_counter_add(n->m.dropped, 1);
}

static void count_out(dtw_bridge_node_t *n, size_t frames, size_t bytes) {
  n->st.frames_out += frames;
  n->st.bytes_out += bytes;
  dtw_counter_add(n->m.frames_out, frames);
  dtw_counter_add(n->m.bytes_out, bytes);
}

/* Send one frame now if nothing is waiting before it, else queue it. */
static void send_iov(client_t *c, struct iovec *iov, int niov) {
  size_t total = 0;
  for (int i = 0; i < niov; i++) total += iov[i].iov_len;
  if (c->broken) return;
  if (c->out_off < c->out_len || c->q_count > 0) {
    enqueue(c, iov, niov, total);
    return;
  }
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
  ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      mark_broken(c);
      return;
    }
    w = 0;
  }
  count_out(c->node, 1, 0);
  c->node->st.bytes_out += (size_t)w;
  dtw_counter_add(c->node->m.bytes_out, (uint64_t)w);
  if ((size_t)w == total) return;
  /* keep the unsent tail of this frame in the out buffer */
  if (!out_reserve(c, total - (size_t)w)) {
    mark_broken(c); /* a torn frame cannot be repaired */
    return;
  }
  size_t skip = (size_t)w, len = 0;
  for (int i = 0; i < niov; i++) {
    size_t l = iov[i].iov_len;
    if (skip >= l) {
      skip -= l;
      continue;
    }
    memcpy(c->out + len, (const uint8_t *)iov[i].iov_base + skip, l - skip);
    len += l - skip;
    skip = 0;
  }
  c->out_off = 0;
  c->out_len = len;
  set_want_out(c, true);
}

static void send_frame(client_t *c, const char *dest, const void *payload, size_t len) {
  uint8_t head[8 + DTW_BRIDGE_DEST_MAX];
  size_t dl = strlen(dest);
  if (dl > DTW_BRIDGE_DEST_MAX) return;
  size_t hl = dtw_bridge_frame_head(head, dest, dl, len);
  struct iovec iov[2] = {{head, hl}, {(void *)payload, len}};
  send_iov(c, iov, len > 0 ? 2 : 1);
}

/* Flush what the socket takes (poll thread, on EPOLLOUT). */
static void flush_out(client_t *c) {
  while (!c->broken) {
    if (c->out_off == c->out_len) {
      c->out_off = c->out_len = 0;
      size_t frames = 0;
      while (c->q_count > 0) {
        size_t m = c->qlen[c->q_head];
        if (c->out_len + m > c->out_cap && (c->out_len > 0 || !out_reserve(c, m))) break;
        size_t at = c->ring_head, first = c->ring_cap - at < m ? c->ring_cap - at : m;
        memcpy(c->out + c->out_len, c->ring + at, first);
        memcpy(c->out + c->out_len + first, c->ring, m - first);
        c->out_len += m;
        c->ring_head = (c->ring_head + m) % c->ring_cap;
        c->ring_bytes -= m;
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_count--;
        frames++;
      }
      count_out(c->node, frames, 0);
      if (c->out_len == 0) {
        set_want_out(c, false);
        return;
      }
    }
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_want_out(c, true);
        return;
      }
      mark_broken(c);
      return;
    }
    c->out_off += (size_t)w;
    c->node->st.bytes_out += (size_t)w;
    dtw_counter_add(c->node->m.bytes_out, (uint64_t)w);
  }
}

/* ---- messages to a client (poll thread; take the lock) -------------------- */

static void send_locked(client_t *c, const char *dest, const void *payload, size_t len) {
  pthread_mutex_lock(&c->node->lock);
  send_frame(c, dest, payload, len);
  pthread_mutex_unlock(&c->node->lock);
}

/* __log / __warn / __error to one client; errors are rate-limited per client
 * so a client repeating a mistake cannot make us flood it. */
static void send_text(client_t *c, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_text(client_t *c, const char *cmd, const char *fmt, ...) {
  int64_t now = dtw_clock_mono_ns();
  if (now - c->err_window_ns >= DTW_NS_PER_S) {
    c->err_window_ns = now;
    c->err_in_window = 0;
  }
  if (++c->err_in_window > ERRORS_PER_S) return;
  char text[600], json[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  int len = dtw_bridge_json_text(json, sizeof json, text);
  if (len > 0) send_locked(c, cmd, json, (size_t)len);
  dtw__log_limited(&c->node->lim, strcmp(cmd, "__error") == 0 ? DTW_LOG_WARN : DTW_LOG_INFO, LOG,
                   "client #%u (%s): %s", c->id, c->peer, text);
}

/* __request/__response {"srv_id":N} and the payload frame, back to back
 * (under one lock hold: a topic sample must not come between them). */
static void send_service_frames(client_t *c, const char *cmd, int64_t srv_id, const char *dest,
                                const void *payload, size_t len) {
  char json[64];
  int jl = dtw_bridge_json_srv_id(json, sizeof json, srv_id);
  pthread_mutex_lock(&c->node->lock);
  send_frame(c, cmd, json, (size_t)jl);
  send_frame(c, dest, payload, len);
  pthread_mutex_unlock(&c->node->lock);
}

/* ---- DDS -> clients (Cyclone's thread) ------------------------------------ */

static void on_sample(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  topic_t *t = user;
  dtw_bridge_node_t *n = t->node;
  const dtw_cdr_t *cdr = msg;
  uint8_t head[8 + DTW_BRIDGE_NAME_MAX];
  pthread_mutex_lock(&n->lock);
  for (size_t i = 0; i < t->subs.n; i++) {
    const ref_t *r = &t->subs.v[i];
    size_t hl = dtw_bridge_frame_head(head, r->dest, r->dest_len, cdr->len);
    struct iovec iov[2] = {{head, hl}, {(void *)cdr->data, cdr->len}};
    send_iov(r->c, iov, 2);
  }
  pthread_mutex_unlock(&n->lock);
}

/* ---- registrations -------------------------------------------------------- */

static topic_t *find_topic(dtw_bridge_node_t *n, const char *resolved) {
  for (size_t i = 0; i < n->n_topics; i++)
    if (strcmp(n->topics[i]->name, resolved) == 0) return n->topics[i];
  return NULL;
}

static service_t *find_svc(dtw_bridge_node_t *n, const char *resolved, bool unity) {
  for (size_t i = 0; i < n->n_svcs; i++)
    if (n->svcs[i]->unity == unity && strcmp(n->svcs[i]->name, resolved) == 0) return n->svcs[i];
  return NULL;
}

/* Remove topics and services nobody uses any more (poll thread, no lock). */
static void collect_garbage(dtw_bridge_node_t *n) {
  for (size_t i = 0; i < n->n_topics;) {
    topic_t *t = n->topics[i];
    if (t->subs.n == 0 && t->sub) {
      dtw_sub_destroy(t->sub); /* no lock: a running callback may be waiting for it */
      t->sub = NULL;
    }
    if (t->pubs.n == 0 && t->pub) {
      dtw_pub_destroy(t->pub);
      t->pub = NULL;
    }
    if (t->sub == NULL && t->pub == NULL) {
      pthread_mutex_lock(&n->lock);
      n->topics[i] = n->topics[--n->n_topics];
      pthread_mutex_unlock(&n->lock);
      free(t->subs.v);
      free(t->pubs.v);
      free(t);
      continue;
    }
    i++;
  }
  for (size_t i = 0; i < n->n_svcs;) {
    service_t *s = n->svcs[i];
    bool busy = false;
    for (size_t k = 0; k < MAX_CALLS; k++)
      if (n->calls[k].state != CALL_FREE && n->calls[k].svc == s) busy = true;
    if (s->users.n == 0 && !busy) {
      dtw_raw_client_destroy(s->cli);
      dtw_raw_srv_destroy(s->srv);
      n->svcs[i] = n->svcs[--n->n_svcs];
      free(s->users.v);
      free(s);
      continue;
    }
    i++;
  }
}

static int resolve(client_t *c, const char *name, char *out, size_t outlen) {
  char err[300];
  if (dtw_bus_node_resolve(c->node->bus_node, name, out, outlen, err, sizeof err) < 0) {
    send_text(c, "__error", "invalid name '%s': %s", name, err);
    return DTW_EINVAL;
  }
  return 0;
}

static topic_t *get_topic(client_t *c, const char *name, const char *type) {
  dtw_bridge_node_t *n = c->node;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, name, full, sizeof full) < 0) return NULL;
  topic_t *t = find_topic(n, full);
  if (t != NULL) {
    if (strcmp(t->type, type) != 0) {
      send_text(c, "__error", "topic %s has type %s in the bridge, not %s", full, t->type, type);
      return NULL;
    }
    return t;
  }
  if (n->n_topics == n->cap_topics) {
    size_t cap = n->cap_topics ? 2 * n->cap_topics : 16;
    topic_t **v = realloc(n->topics, cap * sizeof *v);
    if (v == NULL) return NULL;
    pthread_mutex_lock(&n->lock);
    n->topics = v;
    n->cap_topics = cap;
    pthread_mutex_unlock(&n->lock);
  }
  if ((t = calloc(1, sizeof *t)) == NULL) return NULL;
  t->node = n;
  snprintf(t->name, sizeof t->name, "%s", full);
  snprintf(t->type, sizeof t->type, "%s", type);
  pthread_mutex_lock(&n->lock);
  n->topics[n->n_topics++] = t;
  pthread_mutex_unlock(&n->lock);
  return t;
}

static bool known_type(client_t *c, const dtw_bridge_cmd_t *cmd, char *canon, size_t cap) {
  if (dtw_bridge_type_canonical(cmd->message_name, false, canon, cap) < 0 ||
      !dtw_bus_has_type(canon)) {
    count_refusal(c->node, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
    send_text(c, "__error", "unknown message type '%s' (topic %s): dtwin has no IDL for it",
              cmd->message_name, cmd->topic);
    return false;
  }
  return true;
}

static void cmd_subscribe(client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_node_t *n = c->node;
  char type[DTW_BRIDGE_NAME_MAX], err[512];
  if (!known_type(c, cmd, type, sizeof type)) return;
  topic_t *t = get_topic(c, cmd->topic, type);
  if (t == NULL) return;
  if (t->sub == NULL) {
    dtw_sub_options_t so;
    dtw_sub_options_default(&so);
    so.raw = true;
    so.qos = DTW_QOS_SENSOR_DATA; /* best effort matches every publisher */
    so.depth = 10;
    so.on_msg = on_sample;
    so.user = t;
    so.direct = true; /* forward from the receive thread: no hand-off latency */
    if (dtw_sub_create(n->bus_node, t->name, t->type, &so, &t->sub, err, sizeof err) < 0) {
      send_text(c, "__error", "cannot subscribe to %s: %s", t->name, err);
      return;
    }
  }
  pthread_mutex_lock(&n->lock);
  int rc = ref_add(&t->subs, c, cmd->topic);
  pthread_mutex_unlock(&n->lock);
  if (rc == 0)
    DTW_INFO(LOG, "client #%u subscribed to %s (%s)", c->id, t->name, t->type);
}

static void cmd_publish(client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_node_t *n = c->node;
  char type[DTW_BRIDGE_NAME_MAX], err[512];
  if (!known_type(c, cmd, type, sizeof type)) return;
  topic_t *t = get_topic(c, cmd->topic, type);
  if (t == NULL) return;
  if (t->pub == NULL &&
      dtw_pub_create(n->bus_node, t->name, t->type, cmd->latch ? DTW_QOS_LATCHED : DTW_QOS_DEFAULT,
                     &t->pub, err, sizeof err) < 0) {
    send_text(c, "__error", "cannot publish %s: %s", t->name, err);
    return;
  }
  pthread_mutex_lock(&n->lock);
  int rc = ref_add(&t->pubs, c, cmd->topic);
  pthread_mutex_unlock(&n->lock);
  if (rc == 0) DTW_INFO(LOG, "client #%u publishes %s (%s)", c->id, t->name, t->type);
}

static void cmd_service(client_t *c, const dtw_bridge_cmd_t *cmd, bool unity) {
  dtw_bridge_node_t *n = c->node;
  char type[DTW_BRIDGE_NAME_MAX], full[DTW_ROS_NAME_BUF], err[512];
  if (dtw_bridge_type_canonical(cmd->message_name, true, type, sizeof type) < 0) {
    count_refusal(n, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
    send_text(c, "__error", "unknown service type '%s' (service %s)", cmd->message_name,
              cmd->topic);
    return;
  }
  if (resolve(c, cmd->topic, full, sizeof full) < 0) return;
  service_t *s = find_svc(n, full, unity);
  if (s != NULL && strcmp(s->type, type) != 0) {
    send_text(c, "__error", "service %s has type %s in the bridge, not %s", full, s->type, type);
    return;
  }
  if (s == NULL) {
    if (n->n_svcs == n->cap_svcs) {
      size_t cap = n->cap_svcs ? 2 * n->cap_svcs : 8;
      service_t **v = realloc(n->svcs, cap * sizeof *v);
      if (v == NULL) return;
      n->svcs = v;
      n->cap_svcs = cap;
    }
    if ((s = calloc(1, sizeof *s)) == NULL) return;
    snprintf(s->name, sizeof s->name, "%s", full);
    snprintf(s->type, sizeof s->type, "%s", type);
    s->unity = unity;
    int rc = unity ? dtw_raw_srv_create(n->bus_node, full, type, on_notify, n, &s->srv, err,
                                        sizeof err)
                   : dtw_raw_client_create(n->bus_node, full, type, on_notify, n, &s->cli, err,
                                           sizeof err);
    if (rc < 0) {
      free(s);
      if (rc == DTW_EUNSUP) count_refusal(n, DTW_BRIDGE_REFUSAL_UNKNOWN_TYPE);
      send_text(c, "__error", "%s: %s", rc == DTW_EUNSUP ? "unknown service type" : "cannot register service", err);
      return;
    }
    n->svcs[n->n_svcs++] = s;
  }
  if (unity) {
    s->users.n = 0; /* the latest registration owns a Unity service */
    if (ref_add(&s->users, c, cmd->topic) < 0) return;
  } else if (ref_add(&s->users, c, cmd->topic) < 0) {
    return;
  }
  DTW_INFO(LOG, "client #%u: %s %s (%s)", c->id, unity ? "implements" : "calls", full, type);
}

static void cmd_remove(client_t *c, const dtw_bridge_cmd_t *cmd) {
  dtw_bridge_node_t *n = c->node;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, cmd->topic, full, sizeof full) < 0) return;
  bool removed = false;
  if (cmd->kind == DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER || cmd->kind == DTW_BRIDGE_CMD_REMOVE_PUBLISHER) {
    topic_t *t = find_topic(n, full);
    if (t != NULL) {
      pthread_mutex_lock(&n->lock);
      removed = ref_remove(cmd->kind == DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER ? &t->subs : &t->pubs, c);
      pthread_mutex_unlock(&n->lock);
    }
  } else {
    service_t *s = find_svc(n, full, cmd->kind == DTW_BRIDGE_CMD_REMOVE_UNITY_SERVICE);
    if (s != NULL) removed = ref_remove(&s->users, c);
  }
  if (!removed)
    send_text(c, "__warn", "%s: %s was not registered by this client",
              dtw_bridge_cmd_name(cmd->kind), full);
  collect_garbage(n);
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
static void cmd_topic_list(client_t *c) {
  dtw_bridge_node_t *n = c->node;
  if (n->graph != NULL) dtw_graph_update(n->graph);
  size_t n_graph = n->graph != NULL ? dtw_graph_topic_count(n->graph) : 0;
  size_t cap = n_graph + n->n_topics + 1, k = 0;
  const char **names = calloc(cap, sizeof *names);
  const char **types = calloc(cap, sizeof *types);
  char(*type_buf)[256] = calloc(n_graph + 1, sizeof *type_buf);
  char *json = NULL;
  size_t len = 0;
  if (names && types && type_buf) {
    for (size_t i = 0; i < n_graph; i++) {
      dtw_graph_topic_info_t t;
      if (dtw_graph_topic_at(n->graph, i, &t) < 0 || t.type[0] == '\0') continue;
      connector_type(t.type, type_buf[k], sizeof type_buf[k]);
      names[k] = t.name;
      types[k] = type_buf[k];
      k++;
    }
    for (size_t i = 0; i < n->n_topics; i++) {
      bool listed = false;
      for (size_t j = 0; j < k && !listed; j++) listed = strcmp(names[j], n->topics[i]->name) == 0;
      if (listed) continue;
      names[k] = n->topics[i]->name;
      types[k] = n->topics[i]->type;
      k++;
    }
    if (dtw_bridge_json_topic_list(names, types, k, &json, &len) == 0)
      send_locked(c, "__topic_list", json, len);
  }
  free(json);
  free(names);
  free(types);
  free(type_buf);
}

/* ---- service calls ------------------------------------------------------------ */

static call_t *call_alloc(dtw_bridge_node_t *n) {
  for (size_t i = 0; i < MAX_CALLS; i++)
    if (n->calls[i].state == CALL_FREE) return &n->calls[i];
  return NULL;
}

static void call_free(call_t *k) {
  free(k->data);
  memset(k, 0, sizeof *k);
}

static int hold_payload(call_t *k, const uint8_t *p, size_t len) {
  free(k->data);
  k->data = malloc(len ? len : 1);
  if (k->data == NULL) return DTW_ENOMEM;
  if (len) memcpy(k->data, p, len);
  k->len = len;
  return 0;
}

static void observe(dtw_bridge_node_t *n, dtw_histogram_t *h, int64_t t0) {
  dtw_histogram_observe(h, (double)(dtw_clock_mono_ns() - t0) * 1e-9);
  pthread_mutex_lock(&n->lock);
  n->st.service_calls++;
  pthread_mutex_unlock(&n->lock);
}

/* Unity -> ROS: send the held request once the server is there. */
static void call_try_send(dtw_bridge_node_t *n, call_t *k) {
  char err[512];
  if (dtw_raw_client_ready(k->svc->cli) != 1) return;
  int rc = dtw_raw_client_send(k->svc->cli, k->data, k->len, &k->seq, err, sizeof err);
  if (rc < 0) {
    if (rc == DTW_EPARSE) count_refusal(n, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
    send_text(k->client, "__error", "service call %s (srv_id %lld) failed: %s", k->svc->name,
              (long long)k->srv_id, err);
    call_free(k);
    return;
  }
  free(k->data);
  k->data = NULL;
  k->state = CALL_SENT;
}

/* ROS -> Unity: reply on DDS once the DDS client can receive it. */
static void call_try_reply(dtw_bridge_node_t *n, call_t *k) {
  char err[512];
  int rc = dtw_raw_srv_reply(k->svc->srv, &k->rid, k->data, k->len, err, sizeof err);
  if (rc == DTW_EBUSY) return;
  if (rc == 0) {
    observe(n, n->m.unity_service, k->t0);
  } else {
    if (rc == DTW_EPARSE) {
      count_refusal(n, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
      if (k->client) send_text(k->client, "__error", "response to srv_id %lld: %s",
                               (long long)k->srv_id, err);
    } else {
      dtw__log_limited(&n->lim, DTW_LOG_WARN, LOG, "%s: reply not sent: %s", k->svc->name, err);
    }
  }
  call_free(k);
}

static void frame_ros_request(client_t *c, const char *dest, const uint8_t *p, size_t len,
                              int64_t srv_id) {
  dtw_bridge_node_t *n = c->node;
  char full[DTW_ROS_NAME_BUF];
  if (resolve(c, dest, full, sizeof full) < 0) return;
  service_t *s = find_svc(n, full, false);
  if (s == NULL || ref_find(&s->users, c, NULL) == NULL) {
    count_refusal(n, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
    send_text(c, "__error", "service request for %s (srv_id %lld): send __ros_service first",
              full, (long long)srv_id);
    return;
  }
  call_t *k = call_alloc(n);
  if (k == NULL || hold_payload(k, p, len) < 0) {
    send_text(c, "__error", "service call %s: too many calls in flight", full);
    return;
  }
  k->state = CALL_WAIT_SERVER;
  k->client = c;
  k->svc = s;
  k->srv_id = srv_id;
  snprintf(k->dest, sizeof k->dest, "%s", dest);
  k->t0 = dtw_clock_mono_ns();
  k->deadline = k->t0 + (int64_t)(n->s.service_timeout_s * 1e9);
  call_try_send(n, k);
}

static void frame_unity_response(client_t *c, const uint8_t *p, size_t len, int64_t srv_id) {
  dtw_bridge_node_t *n = c->node;
  for (size_t i = 0; i < MAX_CALLS; i++) {
    call_t *k = &n->calls[i];
    if (k->state == UREQ_SENT && k->client == c && k->srv_id == srv_id) {
      if (hold_payload(k, p, len) < 0) {
        call_free(k);
        return;
      }
      k->state = UREQ_REPLY;
      call_try_reply(n, k);
      return;
    }
  }
  count_refusal(n, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
  send_text(c, "__error", "__response srv_id %lld: no such request pending", (long long)srv_id);
}

/* Replies from ROS services and requests for Unity services (poll thread). */
static void service_events(dtw_bridge_node_t *n) {
  for (size_t i = 0; i < n->n_svcs; i++) {
    service_t *s = n->svcs[i];
    if (s->cli != NULL) {
      int64_t seq;
      while (dtw_raw_client_take(s->cli, &n->svc_buf, &seq) == 1) {
        for (size_t j = 0; j < MAX_CALLS; j++) {
          call_t *k = &n->calls[j];
          if (k->state != CALL_SENT || k->svc != s || k->seq != seq) continue;
          send_service_frames(k->client, "__response", k->srv_id, k->dest, n->svc_buf.data,
                              n->svc_buf.len);
          observe(n, n->m.ros_service, k->t0);
          call_free(k);
          break;
        }
      }
    } else {
      dtw_raw_request_id_t rid;
      while (dtw_raw_srv_take(s->srv, &n->svc_buf, &rid) == 1) {
        call_t *k = s->users.n > 0 ? call_alloc(n) : NULL;
        if (k == NULL) {
          dtw__log_limited(&n->lim, DTW_LOG_WARN, LOG, "%s: request dropped (%s)", s->name,
                           s->users.n ? "too many calls in flight" : "no Unity client serves it");
          continue;
        }
        const ref_t *owner = &s->users.v[0];
        k->state = UREQ_SENT;
        k->client = owner->c;
        k->svc = s;
        k->rid = rid;
        k->srv_id = n->next_srv_id++;
        snprintf(k->dest, sizeof k->dest, "%s", owner->dest);
        k->t0 = dtw_clock_mono_ns();
        k->deadline = k->t0 + (int64_t)(n->s.service_timeout_s * 1e9);
        send_service_frames(owner->c, "__request", k->srv_id, owner->dest, n->svc_buf.data,
                            n->svc_buf.len);
      }
    }
  }
}

/* Retries and timeouts of calls. Returns true if a retry is waiting. */
static bool service_timers(dtw_bridge_node_t *n, int64_t now) {
  bool retry = false;
  for (size_t i = 0; i < MAX_CALLS; i++) {
    call_t *k = &n->calls[i];
    if (k->state == CALL_WAIT_SERVER) call_try_send(n, k);
    if (k->state == UREQ_REPLY) call_try_reply(n, k);
    if (k->state == CALL_FREE) continue;
    if (now >= k->deadline) {
      if (k->state == CALL_WAIT_SERVER || k->state == CALL_SENT)
        send_text(k->client, "__error", "service %s: no %s within %.1f s (srv_id %lld)",
                  k->svc->name, k->state == CALL_SENT ? "reply" : "server",
                  n->s.service_timeout_s, (long long)k->srv_id);
      else
        dtw__log_limited(&n->lim, DTW_LOG_WARN, LOG, "%s: Unity did not answer srv_id %lld",
                         k->svc->name, (long long)k->srv_id);
      call_free(k);
      continue;
    }
    if (k->state == CALL_WAIT_SERVER || k->state == UREQ_REPLY) retry = true;
  }
  return retry;
}

/* ---- input ---------------------------------------------------------------- */

static void close_with(client_t *c, dtw_bridge_refusal_t reason, const char *what) {
  if (c->close_reason >= 0) return;
  c->close_reason = (int)reason;
  count_refusal(c->node, reason);
  DTW_WARN(LOG, "client #%u (%s): %s: closing the connection", c->id, c->peer, what);
}

static void handle_command(client_t *c, const dtw_bridge_frame_t *f) {
  dtw_bridge_cmd_t cmd;
  char err[300];
  int rc = dtw_bridge_cmd_parse(f->dest, f->dest_len, f->payload, f->payload_len, &cmd, err,
                                sizeof err);
  if (rc < 0) {
    close_with(c, rc == DTW_EUNSUP ? DTW_BRIDGE_REFUSAL_UNKNOWN_COMMAND : DTW_BRIDGE_REFUSAL_BAD_JSON,
               err);
    return;
  }
  switch (cmd.kind) {
  case DTW_BRIDGE_CMD_SUBSCRIBE: cmd_subscribe(c, &cmd); break;
  case DTW_BRIDGE_CMD_PUBLISH: cmd_publish(c, &cmd); break;
  case DTW_BRIDGE_CMD_ROS_SERVICE: cmd_service(c, &cmd, false); break;
  case DTW_BRIDGE_CMD_UNITY_SERVICE: cmd_service(c, &cmd, true); break;
  case DTW_BRIDGE_CMD_REQUEST:
  case DTW_BRIDGE_CMD_RESPONSE:
    c->pending = cmd.kind;
    c->pending_srv_id = cmd.srv_id;
    break;
  case DTW_BRIDGE_CMD_TOPIC_LIST: cmd_topic_list(c); break;
  case DTW_BRIDGE_CMD_REMOVE_SUBSCRIBER:
  case DTW_BRIDGE_CMD_REMOVE_PUBLISHER:
  case DTW_BRIDGE_CMD_REMOVE_ROS_SERVICE:
  case DTW_BRIDGE_CMD_REMOVE_UNITY_SERVICE: cmd_remove(c, &cmd); break;
  default:
    /* __handshake/__log/... flow server -> client; a client sending them is harmless */
    DTW_DEBUG(LOG, "client #%u sent %s: ignored", c->id, dtw_bridge_cmd_name(cmd.kind));
    break;
  }
}

static void handle_data(client_t *c, const dtw_bridge_frame_t *f) {
  dtw_bridge_node_t *n = c->node;
  char dest[DTW_BRIDGE_DEST_MAX + 1];
  memcpy(dest, f->dest, f->dest_len);
  dest[f->dest_len] = '\0';
  int pending = c->pending;
  c->pending = 0;
  if (pending == DTW_BRIDGE_CMD_REQUEST) {
    frame_ros_request(c, dest, f->payload, f->payload_len, c->pending_srv_id);
    return;
  }
  if (pending == DTW_BRIDGE_CMD_RESPONSE) {
    frame_unity_response(c, f->payload, f->payload_len, c->pending_srv_id);
    return;
  }
  for (size_t i = 0; i < n->n_topics; i++) {
    topic_t *t = n->topics[i];
    if (t->pub == NULL || ref_find(&t->pubs, c, dest) == NULL) continue;
    if (dtw_pub_cdr(t->pub, f->payload, f->payload_len) < 0) {
      count_refusal(n, DTW_BRIDGE_REFUSAL_INVALID_MESSAGE);
      send_text(c, "__error", "message on %s is not a valid %s (CDR with encapsulation header)",
                t->name, t->type);
      return;
    }
    pthread_mutex_lock(&n->lock);
    n->st.published++;
    pthread_mutex_unlock(&n->lock);
    return;
  }
  count_refusal(n, DTW_BRIDGE_REFUSAL_NOT_REGISTERED);
  send_text(c, "__error", "message for %s: send __publish for it first", dest);
}

static void handle_frames(client_t *c) {
  dtw_bridge_node_t *n = c->node;
  size_t off = 0, used = 0;
  dtw_bridge_frame_t f;
  char err[200];
  int rc = 0;
  while (c->close_reason < 0 &&
         (rc = dtw_bridge_frame_decode(c->rbuf + off, c->rlen - off, (size_t)n->s.max_frame_bytes,
                                       &f, &used, err, sizeof err)) == 1) {
    off += used;
    pthread_mutex_lock(&n->lock);
    n->st.frames_in++;
    n->st.bytes_in += used;
    pthread_mutex_unlock(&n->lock);
    dtw_counter_add(n->m.frames_in, 1);
    dtw_counter_add(n->m.bytes_in, used);
    if (f.dest_len == 0) continue; /* keepalive */
    if (f.dest_len >= 2 && f.dest[0] == '_' && f.dest[1] == '_')
      handle_command(c, &f);
    else
      handle_data(c, &f);
  }
  if (rc < 0)
    close_with(c, rc == DTW_EFULL ? DTW_BRIDGE_REFUSAL_FRAME_TOO_LARGE
                                  : DTW_BRIDGE_REFUSAL_MALFORMED_FRAME,
               err);
  if (off > 0) {
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
  }
}

static void on_readable(client_t *c) {
  dtw_bridge_node_t *n = c->node;
  size_t max = 8 + DTW_BRIDGE_DEST_MAX + (size_t)n->s.max_frame_bytes, budget = READ_BUDGET;
  while (c->close_reason < 0 && budget > 0) {
    if (c->rlen == c->rcap) {
      size_t cap = c->rcap * 2 > max ? max : c->rcap * 2;
      uint8_t *p = cap > c->rcap ? realloc(c->rbuf, cap) : NULL;
      if (p == NULL) { /* cannot happen below max: the decoder refuses longer frames */
        close_with(c, DTW_BRIDGE_REFUSAL_FRAME_TOO_LARGE, "frame does not fit");
        return;
      }
      c->rbuf = p;
      c->rcap = cap;
    }
    ssize_t r = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c->close_reason = DTW_BRIDGE_REFUSAL_COUNT;
      return;
    }
    if (r == 0) {
      if (c->rlen > 0)
        close_with(c, DTW_BRIDGE_REFUSAL_TRUNCATED, "connection ended inside a frame");
      else
        c->close_reason = DTW_BRIDGE_REFUSAL_COUNT;
      return;
    }
    c->last_rx_ns = dtw_clock_mono_ns();
    c->rlen += (size_t)r;
    budget -= (size_t)r < budget ? (size_t)r : budget;
    handle_frames(c);
  }
}

/* ---- connections ------------------------------------------------------------- */

static void client_free(client_t *c) {
  free(c->rbuf);
  free(c->out);
  free(c->ring);
  free(c->qlen);
  free(c);
}

static void client_close(dtw_bridge_node_t *n, client_t *c) {
  pthread_mutex_lock(&n->lock);
  for (size_t i = 0; i < n->n_clients; i++) {
    if (n->clients[i] == c) {
      n->clients[i] = n->clients[--n->n_clients];
      break;
    }
  }
  for (size_t i = 0; i < n->n_topics; i++) {
    ref_remove(&n->topics[i]->subs, c);
    ref_remove(&n->topics[i]->pubs, c);
  }
  n->st.clients = n->n_clients;
  pthread_mutex_unlock(&n->lock);
  for (size_t i = 0; i < n->n_svcs; i++) ref_remove(&n->svcs[i]->users, c);
  for (size_t i = 0; i < MAX_CALLS; i++)
    if (n->calls[i].client == c) {
      if (n->calls[i].state == UREQ_REPLY)
        n->calls[i].client = NULL; /* the reply is complete: still deliver it */
      else
        call_free(&n->calls[i]);
    }
  dtw_gauge_set(n->m.clients, (double)n->n_clients);
  epoll_ctl(n->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  DTW_INFO(LOG, "client #%u (%s) disconnected", c->id, c->peer);
  client_free(c);
  collect_garbage(n);
}

static void on_accept(dtw_bridge_node_t *n) {
  for (;;) {
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    int fd = accept4(n->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        dtw__log_limited(&n->lim, DTW_LOG_WARN, LOG, "accept: %s", strerror(errno));
      return;
    }
    char host[48] = "?", peer[64];
    int port = 0;
    if (sa.ss_family == AF_INET) {
      const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      port = ntohs(in->sin_port);
    } else if (sa.ss_family == AF_INET6) {
      const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)&sa;
      inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
      port = ntohs(in->sin6_port);
    }
    snprintf(peer, sizeof peer, "%s:%d", host, port);
    if (n->n_clients >= (size_t)n->s.max_clients) {
      count_refusal(n, DTW_BRIDGE_REFUSAL_MAX_CLIENTS);
      dtw__log_limited(&n->lim, DTW_LOG_WARN, LOG, "refused %s: %zu clients connected (max_clients)",
                       peer, n->n_clients);
      close(fd);
      continue;
    }
    client_t *c = calloc(1, sizeof *c);
    if (c == NULL || (c->rbuf = malloc(RBUF_INITIAL)) == NULL) {
      free(c);
      close(fd);
      continue;
    }
    c->node = n;
    c->fd = fd;
    c->id = ++n->next_client_id;
    c->rcap = RBUF_INITIAL;
    c->close_reason = -1;
    c->last_rx_ns = dtw_clock_mono_ns();
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* small frames, low latency */
    /* bound what the kernel buffers (autotuning goes to MiBs): past it our queue
     * drops the oldest frames, so a slow client gets recent data, not seconds-old */
    int sndbuf = CLIENT_SNDBUF;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
      close(fd);
      client_free(c);
      continue;
    }
    char hs[128];
    int hl = dtw_bridge_json_handshake(hs, sizeof hs);
    pthread_mutex_lock(&n->lock);
    n->clients[n->n_clients++] = c;
    n->st.clients = n->n_clients;
    n->st.accepted++;
    send_frame(c, "__handshake", hs, hl > 0 ? (size_t)hl : 0); /* the first frame, always */
    pthread_mutex_unlock(&n->lock);
    dtw_gauge_set(n->m.clients, (double)n->n_clients);
    DTW_INFO(LOG, "client #%u connected from %s", c->id, peer);
  }
}

/* ---- poll ------------------------------------------------------------------ */

int dtw_bridge_node_poll(dtw_bridge_node_t *n, int timeout_ms) {
  struct epoll_event evs[64];
  bool retry = false;
  for (size_t i = 0; i < MAX_CALLS && !retry; i++)
    retry = n->calls[i].state == CALL_WAIT_SERVER || n->calls[i].state == UREQ_REPLY;
  if (retry && timeout_ms > 5) timeout_ms = 5; /* waiting for DDS matching: poll it */
  int nev = epoll_wait(n->epfd, evs, 64, timeout_ms);
  if (nev < 0) {
    if (errno == EINTR) return 0;
    return DTW_EIO;
  }
  for (int i = 0; i < nev; i++) {
    void *p = evs[i].data.ptr;
    if (p == &n->lfd) {
      on_accept(n);
    } else if (p == &n->efd) {
      uint64_t v;
      ssize_t r = read(n->efd, &v, sizeof v);
      (void)r;
    } else {
      client_t *c = p;
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
      if (evs[i].events & EPOLLOUT) {
        pthread_mutex_lock(&n->lock);
        flush_out(c);
        pthread_mutex_unlock(&n->lock);
      }
    }
  }
  if (atomic_exchange(&n->svc_event, false)) service_events(n);
  int64_t now = dtw_clock_mono_ns();
  service_timers(n, now);
  int64_t idle_ns = (int64_t)(n->s.idle_timeout_s * 1e9);
  /* close at a safe point: after every event of this round is handled */
  for (size_t i = 0; i < n->n_clients;) {
    client_t *c = n->clients[i];
    if (idle_ns > 0 && c->close_reason < 0 && now - c->last_rx_ns > idle_ns)
      close_with(c, DTW_BRIDGE_REFUSAL_IDLE_TIMEOUT, "idle timeout");
    pthread_mutex_lock(&n->lock);
    bool gone = c->broken || c->close_reason >= 0;
    pthread_mutex_unlock(&n->lock);
    if (gone) {
      client_close(n, c); /* swaps the last client into slot i */
      continue;
    }
    i++;
  }
  return nev;
}

/* ---- create / destroy ---------------------------------------------------------- */

static bool in_container(void) {
  return access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0 ||
         getenv("KUBERNETES_SERVICE_HOST") != NULL;
}

static int open_listener(dtw_bridge_node_t *n, char *err, size_t errlen) {
  const char *bind_addr = n->s.bind_address;
  if (strcmp(bind_addr, "auto") == 0) bind_addr = in_container() ? "0.0.0.0" : "127.0.0.1";
  char port[16];
  snprintf(port, sizeof port, "%d", (int)n->s.port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int g = getaddrinfo(bind_addr, port, &hints, &ai);
  if (g != 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "bridge.bind_address '%s': %s", bind_addr,
                    gai_strerror(g));
  int rc = DTW_EIO, e = 0;
  for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 64) < 0) {
      e = errno;
      close(fd);
      continue;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (sa.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, n->addr, sizeof n->addr);
      n->port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    } else {
      inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, n->addr, sizeof n->addr);
      n->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
    }
    n->lfd = fd;
    rc = 0;
    break;
  }
  freeaddrinfo(ai);
  if (rc < 0)
    return dtw_errf(err, errlen, DTW_EIO, "cannot listen on %s:%s: %s", bind_addr, port,
                    strerror(e));
  return 0;
}

static void register_metrics(dtw_bridge_node_t *n, dtw_metrics_t *reg) {
  if (reg == NULL) return;
  const char *fqn = n->fqn;
  n->m.clients = dtw_metrics_gauge(reg, "dtwin_bridge_clients", "TCP clients connected",
                                   "node", fqn);
  const char *fh = "Frames received (in) from / sent (out) to TCP clients";
  const char *bh = "Bytes received (in) from / sent (out) to TCP clients";
  n->m.frames_in = dtw_metrics_counter(reg, "dtwin_bridge_frames_total", fh, "node", fqn,
                                       "direction", "in");
  n->m.frames_out = dtw_metrics_counter(reg, "dtwin_bridge_frames_total", fh, "node", fqn,
                                        "direction", "out");
  n->m.bytes_in = dtw_metrics_counter(reg, "dtwin_bridge_bytes_total", bh, "node", fqn,
                                      "direction", "in");
  n->m.bytes_out = dtw_metrics_counter(reg, "dtwin_bridge_bytes_total", bh, "node", fqn,
                                       "direction", "out");
  n->m.dropped = dtw_metrics_counter(reg, "dtwin_bridge_dropped_total",
                                     "Queued messages dropped (oldest first) for slow clients",
                                     "node", fqn);
  for (int r = 0; r < DTW_BRIDGE_REFUSAL_COUNT; r++)
    n->m.refused[r] = dtw_metrics_counter(reg, "dtwin_bridge_refused_total",
                                          "Connections and inputs refused, by reason", "node",
                                          fqn, "reason", dtw_bridge_refusal_name(r));
  static const double b[] = {100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                             25e-3,  50e-3,  100e-3, 250e-3, 500e-3, 1.0, 5.0};
  const char *hh = "Service calls through the bridge, request to reply";
  n->m.ros_service = dtw_metrics_histogram(reg, "dtwin_bridge_service_duration_seconds", hh, b,
                                           sizeof b / sizeof b[0], "node", fqn, "kind",
                                           "ros_service");
  n->m.unity_service = dtw_metrics_histogram(reg, "dtwin_bridge_service_duration_seconds", hh, b,
                                             sizeof b / sizeof b[0], "node", fqn, "kind",
                                             "unity_service");
}

int dtw_bridge_node_create(const dtw_bridge_node_settings_t *s, const dtw_node_host_t *host,
                           dtw_bridge_node_t **out, char *err, size_t errlen) {
  int rc;
  dtw_bridge_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
  n->s = *s;
  n->lfd = n->efd = n->epfd = -1;
  n->next_srv_id = DTW_BRIDGE_FIRST_SRV_ID;
  pthread_mutex_init(&n->lock, NULL);
  dtw_node_fqn(s->namespace, s->node_name, n->fqn, sizeof n->fqn);
  if ((n->clients = calloc((size_t)s->max_clients, sizeof *n->clients)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
    goto fail;
  }
  if ((rc = dtw_bus_node_create(host->bus, s->node_name, s->namespace, &n->bus_node, err,
                                errlen)) < 0 ||
      (rc = dtw_node_add_remaps(n->bus_node, s->remappings, err, errlen)) < 0)
    goto fail;
  if ((rc = dtw_graph_create(host->bus, &n->graph, err, errlen)) < 0) goto fail;
  if ((rc = open_listener(n, err, errlen)) < 0) goto fail;
  n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  n->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (n->efd < 0 || n->epfd < 0) {
    rc = dtw_errf(err, errlen, DTW_EIO, "bridge: eventfd/epoll: %s", strerror(errno));
    goto fail;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &n->lfd};
  struct epoll_event ev2 = {.events = EPOLLIN, .data.ptr = &n->efd};
  if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->lfd, &ev) < 0 ||
      epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->efd, &ev2) < 0) {
    rc = dtw_errf(err, errlen, DTW_EIO, "bridge: epoll_ctl: %s", strerror(errno));
    goto fail;
  }
  register_metrics(n, host->metrics);
  if (host->health != NULL) {
    char name[600];
    snprintf(name, sizeof name, "%s: listening", n->fqn);
    dtw_health_set_ready(dtw_health_add_ready(host->health, name), true);
  }
  DTW_INFO(LOG, "%s listening on %s:%d", n->fqn, n->addr, n->port);
  *out = n;
  return 0;
fail:
  dtw_bridge_node_destroy(n);
  return rc;
}

void dtw_bridge_node_destroy(dtw_bridge_node_t *n) {
  if (n == NULL) return;
  while (n->n_clients > 0) client_close(n, n->clients[0]);
  for (size_t i = 0; i < MAX_CALLS; i++) call_free(&n->calls[i]);
  collect_garbage(n); /* everything is unused now */
  if (n->lfd >= 0) close(n->lfd);
  if (n->efd >= 0) close(n->efd);
  if (n->epfd >= 0) close(n->epfd);
  dtw_graph_destroy(n->graph);
  dtw_bus_node_destroy(n->bus_node);
  free(n->svc_buf.data);
  free(n->topics);
  free(n->svcs);
  free(n->clients);
  pthread_mutex_destroy(&n->lock);
  free(n);
}

int dtw_bridge_node_port(const dtw_bridge_node_t *n) { return n->port; }
const char *dtw_bridge_node_address(const dtw_bridge_node_t *n) { return n->addr; }
const char *dtw_bridge_node_fqn(const dtw_bridge_node_t *n) { return n->fqn; }

void dtw_bridge_node_get_stats(dtw_bridge_node_t *n, dtw_bridge_node_stats_t *out) {
  pthread_mutex_lock(&n->lock);
  *out = n->st;
  pthread_mutex_unlock(&n->lock);
}
