/* bridge__calls.h - the bridge's service calls in flight: a fixed table of
 * calls and the state machine each one goes through, in both directions.
 *
 *   Unity calls a ROS service (__ros_service registered, then
 *   __request{srv_id} + request frame):
 *     WAIT_SERVER  request held until the ROS server is matched
 *        -> SENT   sent on the bus (seq), waiting for its reply
 *        -> done   reply with that seq: __response{srv_id} + frame to the client
 *   ROS calls a Unity service (__unity_service registered; a DDS request):
 *     UREQ_SENT    __request{srv_id} (ids from DTW_BRIDGE_FIRST_SRV_ID) + frame
 *                  went to the client, waiting for its __response{srv_id}
 *        -> UREQ_REPLY  response held until the DDS client can receive it
 *        -> done   replied on the bus
 *   Every call ends after service_timeout (error to the client, or a log
 *   line), or when its client goes (a complete UREQ_REPLY is still delivered).
 *
 * Bounds (dtw__call_limits_t): calls and held payload bytes per client, held
 * bytes in total, and the table's cap. A call past a client's own bound is
 * refused (__error, refused CALL_LIMIT). When the table or the total bytes are
 * full, a client holding less than its fair share (cap or total / clients with
 * calls) ends the oldest call of the client holding most beyond its share
 * (__error to that client, refused CALL_PREEMPTED): one client cannot starve
 * another's calls.
 *
 * The table knows neither the bus nor sockets: it reaches them through the
 * caller's dtw__call_ops_t (bridge_router.c wires them to dtw/bus_raw.h and
 * the client's frame queue; tests to fakes). Clients and services are opaque
 * pointers that must stay valid while a call refers to them
 * (dtw__calls_uses / dtw__calls_client_gone tell when they may go).
 *
 * Memory: the table is sized at init (cap calls); a call holds a copy of the
 * payload it waits to deliver (malloc'd, freed when it moves on).
 * Threads: one thread (the bridge's poll thread) makes every call; the ops run
 * in it. Times are CLOCK_MONOTONIC ns passed in (now), so tests control them. */
#ifndef DTW_BRIDGE__CALLS_H
#define DTW_BRIDGE__CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/bridge.h"
#include "dtw/bus_raw.h"

typedef enum {
  DTW__CALL_FREE = 0,
  DTW__CALL_WAIT_SERVER, /* Unity -> ROS: request held until the server matches */
  DTW__CALL_SENT,        /* Unity -> ROS: waiting for the DDS reply */
  DTW__CALL_UREQ_SENT,   /* ROS -> Unity: forwarded, waiting for __response */
  DTW__CALL_UREQ_REPLY   /* ROS -> Unity: response held until the DDS client's reader matches */
} dtw__call_state_t;

/* Which way a finished call went (for its duration histogram). */
typedef enum { DTW__CALL_ROS_SERVICE = 0, DTW__CALL_UNITY_SERVICE = 1 } dtw__call_kind_t;

typedef struct dtw__call {
  dtw__call_state_t state;
  void *client;         /* NULL once the client went (UREQ_REPLY only) */
  void *svc;            /* the caller's service */
  const char *svc_name; /* its resolved name, for messages (owned by svc) */
  char dest[DTW_BRIDGE_DEST_MAX + 1]; /* service name as the client spells it */
  int64_t srv_id, seq;
  dtw_raw_request_id_t rid; /* ROS -> Unity: whom to reply to */
  int64_t t0, deadline;
  uint8_t *data; /* held payload */
  size_t len;
} dtw__call_t;

typedef struct dtw__call_limits {
  size_t per_client;       /* calls in flight per client (0: the table's cap) */
  size_t per_client_bytes; /* held payload bytes per client (0: no bound) */
  size_t total_bytes;      /* held payload bytes, all calls (0: no bound) */
} dtw__call_limits_t;

typedef struct dtw__call_ops {
  /* Unity -> ROS: send k's request (k->data, k->len) to k->svc's server.
   * Return 1 when sent (set k->seq), 0 when no server is matched yet (try
   * again later), < 0 when it failed (DTW_EPARSE: not a valid request; err
   * says why). */
  int (*ros_send)(void *user, dtw__call_t *k, char *err, size_t errlen);
  /* ROS -> Unity: reply to k->rid with k->data. 0 sent, DTW_EBUSY not yet
   * possible (retry), other < 0 failed (DTW_EPARSE: not a valid response). */
  int (*ros_reply)(void *user, dtw__call_t *k, char *err, size_t errlen);
  /* Send "__request"/"__response" {srv_id} and the payload frame to client,
   * back to back. */
  void (*deliver)(void *user, void *client, const char *cmd, int64_t srv_id, const char *dest,
                  const void *payload, size_t len);
  /* An __error for client (text is one line). */
  void (*client_error)(void *user, void *client, const char *text);
  /* A warning with no client to tell (rate-limited by the caller). */
  void (*warn)(void *user, const char *text);
  /* An input refused (dtw_bridge_refusal_t: invalid_message, call_limit, call_preempted). */
  void (*refused)(void *user, int reason);
  /* A call answered after duration_ns. */
  void (*done)(void *user, dtw__call_kind_t kind, int64_t duration_ns);
} dtw__call_ops_t;

typedef struct dtw__calls {
  dtw__call_t *v;
  size_t cap;
  dtw__call_limits_t lim;
  size_t active, bytes; /* calls in flight, payload bytes they hold */
  int64_t timeout_ns;
  int64_t next_srv_id; /* ROS -> Unity ids, from DTW_BRIDGE_FIRST_SRV_ID */
  const dtw__call_ops_t *ops;
  void *user;
} dtw__calls_t;

/* Allocate cap free calls with limits (NULL: only the cap). Returns 0 or DTW_ENOMEM. */
int dtw__calls_init(dtw__calls_t *t, size_t cap, int64_t timeout_ns,
                    const dtw__call_limits_t *limits, const dtw__call_ops_t *ops, void *user);
/* Free every call and the table; safe on a zeroed table. Sends nothing. */
void dtw__calls_fini(dtw__calls_t *t);

/* Unity -> ROS: a client's __request{srv_id} + request frame for svc (dest as
 * the client spelled it). Sent at once if the server is there. Returns 0
 * (taken: sent, waiting, or already failed and reported through ops) or
 * DTW_EFULL (past a bound, and no fair share to take back: refused and told
 * to the client through ops), DTW_ENOMEM. */
int dtw__calls_ros_request(dtw__calls_t *t, void *client, void *svc, const char *svc_name,
                           const char *dest, const uint8_t *payload, size_t len, int64_t srv_id,
                           int64_t now);
/* Unity -> ROS: a reply taken from svc's bus client for sequence number seq:
 * delivered as __response to the call that sent it. Returns 1, or 0 when no
 * call waits for it (a late reply after a timeout: dropped). */
int dtw__calls_ros_reply(dtw__calls_t *t, const void *svc, int64_t seq, const uint8_t *payload,
                         size_t len, int64_t now);
/* ROS -> Unity: a request taken from svc's bus server, for client (the
 * service's owner, dest its spelling): forwarded as __request with the next
 * srv_id. Returns 0, or DTW_EFULL (past the client's or the table's bound:
 * the request is dropped and counted, the caller logs it). */
int dtw__calls_unity_request(dtw__calls_t *t, void *client, void *svc, const char *svc_name,
                             const char *dest, const dtw_raw_request_id_t *rid,
                             const uint8_t *payload, size_t len, int64_t now);
/* ROS -> Unity: client's __response{srv_id} + response frame. Replied on the
 * bus now or as soon as possible. Returns 1 when it matched a request of that
 * client (a response past the byte bounds ends the call: refused, __error),
 * 0 when none is pending (the caller refuses it), DTW_ENOMEM. */
int dtw__calls_unity_response(dtw__calls_t *t, const void *client, int64_t srv_id,
                              const uint8_t *payload, size_t len, int64_t now);

/* Retries (WAIT_SERVER, UREQ_REPLY) and timeouts, at now. Returns true if a
 * call still waits for the bus to match (poll again soon). */
bool dtw__calls_tick(dtw__calls_t *t, int64_t now);
/* True if a call waits for matching (without retrying anything). */
bool dtw__calls_retry_pending(const dtw__calls_t *t);
/* client is going: its calls end silently, except complete responses to ROS
 * (UREQ_REPLY), which are still delivered. */
void dtw__calls_client_gone(dtw__calls_t *t, const void *client);
/* True if a call refers to svc (it must not be destroyed yet). */
bool dtw__calls_uses(const dtw__calls_t *t, const void *svc);
/* Calls in flight; payload bytes they hold. */
size_t dtw__calls_active(const dtw__calls_t *t);
size_t dtw__calls_bytes(const dtw__calls_t *t);
/* Calls of client in flight. */
size_t dtw__calls_of(const dtw__calls_t *t, const void *client);

#endif /* DTW_BRIDGE__CALLS_H */
