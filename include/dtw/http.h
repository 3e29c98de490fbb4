/* dtw/http.h - the HTTP endpoint of every long-running dtwin node, and its health model.
 *
 * Routes (GET and HEAD; anything else 405 with "Allow: GET, HEAD"; unknown paths 404):
 *   /metrics  200, Content-Type "text/plain; version=0.0.4; charset=utf-8": the registry
 *             after running its collectors (404 when the server has no registry)
 *   /healthz  liveness: 200 "ok\n" while every registered loop has beaten within its
 *             deadline, else 503 with one line per stale loop: "stale <name> <age>s\n"
 *   /readyz   readiness: 200 "ok\n" when every readiness condition is true, else 503 with
 *             one line per unmet condition: "unready <name>\n"
 * Requests are counted in dtwin_http_requests_total{path,code} (path is one of the routes
 * above or "other", so cardinality stays bounded) when the server has a registry.
 *
 * The server runs on libmicrohttpd's own internal thread (epoll/poll), so node loops are
 * never blocked by clients. Protection, so that probes are answered whatever other
 * clients do:
 *  - connection slots (max_connections) and slots per client address (max_per_address);
 *    a new client always gets a slot while some slot is held by a client that is not
 *    sending a request (idle keep-alive, or headers still arriving): the one of its own
 *    address that waited longest when its address is at the limit, else the longest
 *    waiting of all when every slot is taken (slowloris cannot starve /healthz);
 *  - a header deadline (header_timeout_s): a connection that has not completed its next
 *    request's headers that long after it opened or was last answered is closed, however
 *    slowly it keeps sending bytes; the idle timeout (timeout_s) closes silent ones;
 *  - a per-connection memory limit that bounds request headers (oversized requests get
 *    431/414 from libmicrohttpd).
 * Each closed or refused connection is counted in
 * dtwin_http_connections_dropped_total{reason="capacity"|"per_address"|"header_timeout"}. */
#ifndef DTW_HTTP_H
#define DTW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/metrics.h"

/* ---- health model ----------------------------------------------------------------------- */

#define DTW_HEALTH_MAX_ITEMS 256 /* loops, and separately readiness conditions (dtwin up --twins 64) */
#define DTW_HEALTH_MAX_NAME 64  /* bytes of a loop or condition name, NUL included */

typedef struct dtw_health dtw_health_t;
typedef struct dtw_health_loop dtw_health_loop_t;
typedef struct dtw_health_ready dtw_health_ready_t;

/* Create an empty health model (fixed capacity, one allocation). Returns 0 or DTW_ENOMEM. */
int dtw_health_create(dtw_health_t **out);
/* Free h and its handles. NULL is ignored. Stop any server using h first. */
void dtw_health_destroy(dtw_health_t *h);

/* Register a loop that must call dtw_health_beat at least every deadline_s seconds
 * (registration counts as the first beat). name is copied (truncated to
 * DTW_HEALTH_MAX_NAME - 1 bytes). Returns the handle (valid until destroy), or NULL if
 * deadline_s is not finite and > 0, name is NULL/empty, or DTW_HEALTH_MAX_ITEMS loops
 * exist. Thread-safe (a mutex serialises adds); does not allocate. */
dtw_health_loop_t *dtw_health_add_loop(dtw_health_t *h, const char *name, double deadline_s);
/* Record a beat now: one atomic store of the monotonic clock. Hot-path safe; NULL ignored. */
void dtw_health_beat(dtw_health_loop_t *loop);

/* Register a readiness condition, initially false. Same rules as dtw_health_add_loop. */
dtw_health_ready_t *dtw_health_add_ready(dtw_health_t *h, const char *name);
/* Set a condition (atomic store). Any thread; NULL ignored. */
void dtw_health_set_ready(dtw_health_ready_t *r, bool ready);

/* Evaluate at monotonic time now_ns. Write the report (the /healthz or /readyz body) into
 * buf like snprintf (may be NULL with cap 0). Return 1 if live / ready, 0 if not.
 * Thread-safe; does not allocate. */
int dtw_health_check_live(dtw_health_t *h, int64_t now_ns, char *buf, size_t cap);
int dtw_health_check_ready(dtw_health_t *h, char *buf, size_t cap);

/* ---- server ----------------------------------------------------------------------------- */

/* Zero means "default" for every field, so `dtw_http_opts_t o = {0}` works. */
typedef struct dtw_http_opts {
  const char *bind_address;  /* numeric IPv4 or IPv6 address; NULL: "127.0.0.1" */
  uint16_t port;             /* 0: let the kernel pick a free port (see dtw_http_server_port) */
  dtw_metrics_t *registry;   /* may be NULL (then /metrics is 404 and nothing is counted) */
  dtw_health_t *health;      /* may be NULL (then /healthz and /readyz are always 200) */
  unsigned max_connections;  /* live connection slots; 0: 64 (at most 4096) */
  unsigned max_per_address;  /* slots one client address may hold; 0: 16 */
  double header_timeout_s;   /* deadline for a request's headers; 0: 2 s */
  unsigned timeout_s;        /* idle timeout per connection; 0: 5 */
  size_t max_request_bytes;  /* per-connection memory, bounds headers; 0: 16384 */
} dtw_http_opts_t;

typedef struct dtw_http_server dtw_http_server_t;

/* Start serving on a libmicrohttpd internal thread. registry and health are borrowed and
 * must outlive the server. If a registry is given, dtwin_http_requests_total is registered
 * in it. Returns 0 and *out, or DTW_EINVAL (bad address/options), DTW_EIO (cannot bind or
 * start; message in err) or DTW_ENOMEM. Allocates; call from one thread. */
int dtw_http_server_start(const dtw_http_opts_t *opts, dtw_http_server_t **out, char *err,
                          size_t errlen);
/* The port actually bound (useful with port 0). */
uint16_t dtw_http_server_port(const dtw_http_server_t *s);
/* "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6); owned by s. */
const char *dtw_http_server_url(const dtw_http_server_t *s);
/* Stop the thread, close every connection and free s. NULL is ignored. */
void dtw_http_server_stop(dtw_http_server_t *s);

#endif /* DTW_HTTP_H */
