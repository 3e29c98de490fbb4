/* bridge__server.h - what the server's upper layers share inside src/bridge:
 * the server object (bridge_server.c), a client's session state
 * (bridge_session.c) and the router's registrations (bridge_router.c).
 *
 * Locking: the transport lock (dtw__bt_lock) guards the counters below and
 * every send. The bus's threads touch only the inbox (its own lock). Everything
 * else - topics, services, calls, subscriber and publisher lists, session
 * state - belongs to the poll thread. Bus entities are created and destroyed
 * by the poll thread with no lock held (destroying a reader waits for its
 * running callback, which may be waiting for the inbox lock). */
#ifndef DTW_BRIDGE__SERVER_H
#define DTW_BRIDGE__SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge__calls.h"
#include "bridge__transport.h"
#include "dtw/bridge.h"
#include "dtw/bridge_server.h"
#include "dtw/bus.h"
#include "dtw/bus_raw.h"
#include "dtw/log.h"
#include "dtw/ros_names.h"

#define DTW__BRIDGE_LOG "bridge"
#define DTW__BRIDGE_MAX_CALLS 256 /* service calls in flight, both ways */

/* One client's protocol state (owned by the session layer; conn's user). */
typedef struct dtw__bs_client {
  dtw_bridge_server_t *srv;
  dtw__bt_conn_t *conn;
  unsigned id;
  char peer[64];
  int pending;            /* DTW_BRIDGE_CMD_REQUEST/RESPONSE: the next frame is its payload */
  int64_t pending_srv_id;
  int64_t err_window_ns;  /* __log/__warn/__error rate limit */
  unsigned err_in_window;
  size_t n_regs;          /* registrations held (topics and services) */
  size_t regs_peak;       /* the most it held */
  uint64_t bytes_in;      /* what it sent */
  int64_t last_cmd_ns;    /* connect, or the last frame other than a keepalive */
} dtw__bs_client_t;

/* A client's registration on a topic or service, with its own spelling of
 * the name (frames it gets carry that spelling as destination). */
typedef struct dtw__br_ref {
  dtw__bs_client_t *c;
  char dest[DTW_BRIDGE_NAME_MAX];
  size_t dest_len;
} dtw__br_ref_t;

typedef struct dtw__br_refs {
  dtw__br_ref_t *v;
  size_t n, cap;
} dtw__br_refs_t;

typedef struct dtw__br_topic {
  dtw_bridge_server_t *srv;
  char name[DTW_ROS_NAME_BUF]; /* resolved */
  char type[DTW_BRIDGE_NAME_MAX];
  dtw_sub_t *sub;
  dtw_pub_t *pub;
  dtw__br_refs_t subs, pubs;
} dtw__br_topic_t;

typedef struct dtw__br_service {
  char name[DTW_ROS_NAME_BUF];
  char type[DTW_BRIDGE_NAME_MAX];
  bool unity;             /* Unity implements it (raw server) or ROS does (raw client) */
  dtw_raw_client_t *cli;
  dtw_raw_srv_t *srv;
  dtw__br_refs_t users;   /* ROS service: registered clients; Unity: the owner (one) */
} dtw__br_service_t;

/* Samples on their way from the bus to the poll thread: the delivering
 * thread appends {topic, len, bytes} to buf[fill] and sets wake_pending (it
 * wakes the poll thread only without a fan-out tick); the poll thread swaps
 * the buffers and fans the other one out. */
typedef struct dtw__br_inbox {
  pthread_mutex_t lock;
  uint8_t *buf[2];
  size_t cap[2], len; /* len: bytes in buf[fill] */
  int fill;
  uint64_t dropped;   /* samples that found it full (under lock) */
  uint64_t dropped_logged; /* poll thread */
  atomic_bool wake_pending;
  uint8_t *hdr;       /* frame headers of one fan-out chunk (poll thread) */
  size_t hdr_cap;
} dtw__br_inbox_t;

struct dtw_bridge_server {
  dtw_bridge_server_config_t cfg;
  dtw_bridge_metrics_t m;
  dtw_bus_node_t *bus_node; /* borrowed */
  dtw_graph_t *graph;       /* borrowed, may be NULL; poll thread */
  dtw__bt_t *tp;
  dtw__calls_t calls;
  /* router */
  dtw__br_topic_t **topics;
  size_t n_topics, cap_topics;
  dtw__br_service_t **svcs;
  size_t n_svcs, cap_svcs;
  dtw_cdr_buf_t svc_buf;  /* reused for every request/reply taken from the bus */
  atomic_bool svc_event;  /* set by the bus's notify: take requests/replies */
  dtw__br_inbox_t inbox;
  size_t n_regs;          /* all clients' registrations */
  uint64_t n_regs_seen, calls_seen, call_bytes_seen; /* for get_stats, under the lock */
  /* counters (under the transport lock); the transport keeps the output ones */
  uint64_t frames_in, bytes_in, published, service_calls;
  uint64_t refused[DTW_BRIDGE_REFUSAL_COUNT];
  dtw_log_limiter_t lim;    /* poll thread */
};

/* ---- session (bridge_session.c) -------------------------------------------------------- */

/* The transport's callbacks (handler.user = the server). */
extern const dtw__bt_handler_t dtw__bs_handler;
/* Count a refusal (stats + metric). Takes the lock. */
void dtw__bs_refuse(dtw_bridge_server_t *s, dtw_bridge_refusal_t r);
/* Send a frame to c (dest as the client spells it). Lock held. */
void dtw__bs_send_frame(dtw__bs_client_t *c, const char *dest, const void *payload, size_t len);
/* The same, taking the lock. */
void dtw__bs_send_locked(dtw__bs_client_t *c, const char *dest, const void *payload, size_t len);
/* __log / __warn / __error to c (rate-limited per client) and a log line. */
void dtw__bs_send_text(dtw__bs_client_t *c, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- router (bridge_router.c) ------------------------------------------------------------- */

/* The call table's ops (user = the server). */
extern const dtw__call_ops_t dtw__br_call_ops;
/* Commands: __subscribe, __publish, __ros_service / __unity_service, __remove_*, __topic_list. */
void dtw__br_subscribe(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd);
void dtw__br_publish(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd);
void dtw__br_service(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd, bool unity);
void dtw__br_remove(dtw__bs_client_t *c, const dtw_bridge_cmd_t *cmd);
void dtw__br_topic_list(dtw__bs_client_t *c);
/* A data frame: published on the topic c registered under dest. True if it
 * was published (the caller counts it in the server's `published`). */
bool dtw__br_data(dtw__bs_client_t *c, const char *dest, const uint8_t *p, size_t len);
/* The frame after __request{srv_id}: a call of the ROS service dest. */
void dtw__br_ros_request(dtw__bs_client_t *c, const char *dest, const uint8_t *p, size_t len,
                         int64_t srv_id);
/* The frame after __response{srv_id}: the reply to a Unity service request. */
void dtw__br_unity_response(dtw__bs_client_t *c, const uint8_t *p, size_t len, int64_t srv_id);
/* Replies from ROS services and requests for Unity services (poll thread). */
void dtw__br_service_events(dtw_bridge_server_t *s);
/* c is going: drop its registrations and calls (takes the lock for topic lists). */
void dtw__br_client_gone(dtw_bridge_server_t *s, dtw__bs_client_t *c);
/* Destroy topics and services nobody uses any more. */
void dtw__br_collect_garbage(dtw_bridge_server_t *s);
/* The inbox: set up / free (server create / destroy), and fan what it holds
 * out to the subscribed clients (poll thread). */
int dtw__br_inbox_init(dtw_bridge_server_t *s);
void dtw__br_inbox_fini(dtw_bridge_server_t *s);
void dtw__br_fanout(dtw_bridge_server_t *s);
/* Does any topic have a bus subscription (samples may come)? Poll thread. */
bool dtw__br_subscribed(const dtw_bridge_server_t *s);
/* A topic's subscription callback (the bus's thread): into the inbox. */
void dtw__br_on_sample(dtw_sub_t *sub, const void *msg, void *user);

#endif /* DTW_BRIDGE__SERVER_H */
