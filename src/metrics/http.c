/* HTTP endpoint on libmicrohttpd: /metrics, /healthz, /readyz (see dtw/http.h). */
#include "dtw/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"

#define HTTP_DEFAULT_ADDRESS "127.0.0.1"
#define HTTP_DEFAULT_CONNECTIONS 64
#define HTTP_DEFAULT_PER_ADDRESS 16
#define HTTP_DEFAULT_HEADER_TIMEOUT_S 2.0
#define HTTP_DEFAULT_TIMEOUT_S 5
#define HTTP_DEFAULT_REQUEST_BYTES 16384
#define HTTP_HEALTH_BODY 8192 /* fits DTW_HEALTH_MAX_ITEMS lines of maximal names */

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

/* Routes, and the status codes each can answer: the label sets of
 * dtwin_http_requests_total, all created at start so the hot path only adds. */
typedef enum { ROUTE_METRICS, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_OTHER, ROUTE_N } route_t;
static const char *const route_paths[ROUTE_N] = {"/metrics", "/healthz", "/readyz", "other"};
static const unsigned codes[] = {200, 404, 405, 500, 503};
#define NCODES (sizeof codes / sizeof codes[0])
static const unsigned char route_answers[ROUTE_N][NCODES] = {
    /*              200 404 405 500 503 */
    [ROUTE_METRICS] = {1, 0, 1, 1, 0},
    [ROUTE_HEALTHZ] = {1, 0, 1, 1, 1},
    [ROUTE_READYZ] = {1, 0, 1, 1, 1},
    [ROUTE_OTHER] = {0, 1, 1, 0, 0},
};

/* Why a connection was closed by us rather than by its client (the label of
 * dtwin_http_connections_dropped_total). */
typedef enum { DROP_CAPACITY, DROP_PER_ADDRESS, DROP_HEADER_TIMEOUT, DROP_N } drop_t;
static const char *const drop_reasons[DROP_N] = {"capacity", "per_address", "header_timeout"};

/* One accepted connection. Every callback of the server runs on libmicrohttpd's
 * single internal thread, so the table needs no lock. A connection is "waiting"
 * from its accept, and again after each answer, until its next request's headers
 * are complete; waiting connections are the ones a slow or idle client holds. */
typedef struct conn_slot {
  bool used, live;        /* live: not yet shut down by us */
  int fd;
  struct sockaddr_storage addr;
  bool waiting;
  int64_t waiting_since_ns;
} conn_slot_t;

struct dtw_http_server {
  struct MHD_Daemon *daemon;
  dtw_metrics_t *registry;
  dtw_health_t *health;
  uint16_t port;
  char url[80];
  char start_error[200]; /* last libmicrohttpd message; read only when start failed */
  dtw_counter_t *requests[ROUTE_N][NCODES];
  dtw_counter_t *dropped[DROP_N];
  unsigned max_live, max_per_address;
  int64_t header_timeout_ns;
  conn_slot_t *slots; /* 2 * max_live: room for shut-down connections not yet closed */
  size_t n_slots;
};

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  dtw_http_server_t *s = cls;
  char line[200];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  snprintf(s->start_error, sizeof s->start_error, "%s", line);
  /* per-client complaints (bad requests, timeouts) are not the node's problem */
  DTW_DEBUG("http", "%s", line);
}

static route_t route_of(const char *url) {
  for (int r = 0; r < ROUTE_OTHER; r++)
    if (strcmp(url, route_paths[r]) == 0) return (route_t)r;
  return ROUTE_OTHER;
}

static void count(dtw_http_server_t *s, route_t r, unsigned code) {
  for (size_t i = 0; i < NCODES; i++)
    if (codes[i] == code) dtw_counter_add(s->requests[r][i], 1);
}

/* Queue a response owning buf (malloc'd; freed by libmicrohttpd), or a copy of text. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *ctype,
                             char *buf, size_t len, const char *text) {
  if (text == NULL) text = "";
  struct MHD_Response *resp =
      buf != NULL ? MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE)
                  : MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                    MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) {
    free(buf);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(resp, "Allow", "GET, HEAD");
  enum MHD_Result rc = MHD_queue_response(c, code, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* ---- connection slots --------------------------------------------------------------------- */

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr *b) {
  if (a->ss_family != b->sa_family) return false;
  if (b->sa_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  if (b->sa_family == AF_INET6)
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
  return false;
}

/* Close a connection from our side: libmicrohttpd sees the shutdown on its next
 * poll and releases the connection as if the client had gone. */
static void drop(dtw_http_server_t *s, conn_slot_t *slot, drop_t why) {
  shutdown(slot->fd, SHUT_RDWR);
  slot->live = false;
  dtw_counter_add(s->dropped[why], 1);
  DTW_DEBUG("http", "closed a connection (%s)", drop_reasons[why]);
}

/* Shut every connection down that has waited longer than the header timeout, and
 * return the live waiting connection that has waited longest (of addr when not
 * NULL), or NULL. Linear in the slots: a few dozen, once per accepted connection. */
static conn_slot_t *sweep(dtw_http_server_t *s, int64_t now_ns, const struct sockaddr *addr,
                          unsigned *live, unsigned *live_addr) {
  conn_slot_t *oldest = NULL;
  *live = *live_addr = 0;
  for (size_t i = 0; i < s->n_slots; i++) {
    conn_slot_t *c = &s->slots[i];
    if (!c->used || !c->live) continue;
    if (c->waiting && now_ns - c->waiting_since_ns > s->header_timeout_ns) {
      drop(s, c, DROP_HEADER_TIMEOUT);
      continue;
    }
    bool mine = addr != NULL && same_address(&c->addr, addr);
    (*live)++;
    if (mine) (*live_addr)++;
    if (c->waiting && (addr == NULL || mine) &&
        (oldest == NULL || c->waiting_since_ns < oldest->waiting_since_ns))
      oldest = c;
  }
  return oldest;
}

/* Before each accept: a new client always gets a slot while some slot is held by a
 * client that is not sending a request (idle keep-alive, or headers still coming):
 * the one of its own address that waited longest when the address is at its limit,
 * else the longest waiting of all when the server is full. Refused only when every
 * slot is busy answering. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
  dtw_http_server_t *s = cls;
  (void)addrlen;
  unsigned live, live_addr;
  int64_t now = dtw_clock_mono_ns();
  conn_slot_t *own = sweep(s, now, addr, &live, &live_addr);
  if (live_addr >= s->max_per_address) {
    if (own == NULL) {
      dtw_counter_add(s->dropped[DROP_PER_ADDRESS], 1);
      return MHD_NO;
    }
    drop(s, own, DROP_PER_ADDRESS);
    live--;
  }
  if (live >= s->max_live) {
    conn_slot_t *oldest = sweep(s, now, NULL, &live, &live_addr);
    if (oldest == NULL) {
      dtw_counter_add(s->dropped[DROP_CAPACITY], 1);
      return MHD_NO;
    }
    drop(s, oldest, DROP_CAPACITY);
  }
  return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  dtw_http_server_t *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    conn_slot_t *slot = *socket_context;
    if (slot != NULL) slot->used = false;
    *socket_context = NULL;
    return;
  }
  const union MHD_ConnectionInfo *fd =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  const union MHD_ConnectionInfo *ad =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  *socket_context = NULL;
  for (size_t i = 0; i < s->n_slots && fd != NULL; i++) {
    conn_slot_t *slot = &s->slots[i];
    if (slot->used) continue;
    memset(slot, 0, sizeof *slot);
    slot->used = slot->live = true;
    slot->fd = fd->connect_fd;
    if (ad != NULL && ad->client_addr != NULL)
      memcpy(&slot->addr, ad->client_addr,
             ad->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in));
    slot->waiting = true;
    slot->waiting_since_ns = dtw_clock_mono_ns();
    *socket_context = slot;
    return;
  }
}

/* The connection's slot, as on_connection filed it (NULL if it found none). */
static conn_slot_t *slot_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *i =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return i != NULL ? i->socket_context : NULL;
}

/* An answered request: the connection waits for its next one from now on. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)cls, (void)req_cls, (void)why;
  conn_slot_t *slot = slot_of(c);
  if (slot == NULL) return;
  slot->waiting = true;
  slot->waiting_since_ns = dtw_clock_mono_ns();
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  dtw_http_server_t *s = cls;
  conn_slot_t *slot = slot_of(c);
  if (slot != NULL) slot->waiting = false; /* headers are complete */
  route_t r = route_of(url);
  int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  /* answer on the first call, right after the headers: no route takes a body */
  if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
    count(s, r, 405);
    return reply(c, 405, CT_TEXT, NULL, 0, "method not allowed\n");
  }
  if (r == ROUTE_OTHER || (r == ROUTE_METRICS && s->registry == NULL)) {
    count(s, ROUTE_OTHER, 404);
    return reply(c, 404, CT_TEXT, NULL, 0, "not found\n");
  }
  if (r == ROUTE_METRICS) {
    char *text = NULL;
    size_t len = 0;
    if (dtw_metrics_scrape(s->registry, &text, &len) < 0) {
      count(s, r, 500);
      return reply(c, 500, CT_TEXT, NULL, 0, "out of memory\n");
    }
    count(s, r, 200);
    return reply(c, 200, CT_METRICS, text, len, NULL);
  }
  char *body = malloc(HTTP_HEALTH_BODY);
  if (body == NULL) {
    count(s, r, 500);
    return reply(c, 500, CT_TEXT, NULL, 0, "out of memory\n");
  }
  int ok = r == ROUTE_HEALTHZ
               ? dtw_health_check_live(s->health, dtw_clock_mono_ns(), body, HTTP_HEALTH_BODY)
               : dtw_health_check_ready(s->health, body, HTTP_HEALTH_BODY);
  unsigned code = ok ? 200 : 503;
  count(s, r, code);
  return reply(c, code, CT_TEXT, body, strlen(body), NULL);
}

/* dtwin_http_requests_total children for every reachable (path, code). */
static int register_requests(dtw_http_server_t *s, char *err, size_t errlen) {
  for (int r = 0; r < ROUTE_N; r++) {
    for (size_t i = 0; i < NCODES; i++) {
      char code[8];
      snprintf(code, sizeof code, "%u", codes[i]);
      if (!route_answers[r][i]) continue;
      const char *labels[] = {"path", route_paths[r], "code", code, NULL};
      int rc = dtw_metrics_add_counter(s->registry, "dtwin_http_requests_total",
                                       "HTTP requests served by path and status code.", labels,
                                       &s->requests[r][i], err, errlen);
      if (rc < 0) return rc;
    }
  }
  for (int d = 0; d < DROP_N; d++) {
    const char *labels[] = {"reason", drop_reasons[d], NULL};
    int rc = dtw_metrics_add_counter(
        s->registry, "dtwin_http_connections_dropped_total",
        "HTTP connections the endpoint closed or refused to keep others served, by reason.",
        labels, &s->dropped[d], err, errlen);
    if (rc < 0) return rc;
  }
  return 0;
}

int dtw_http_server_start(const dtw_http_opts_t *opts, dtw_http_server_t **out, char *err,
                          size_t errlen) {
  if (opts == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "http: opts or out is NULL");
  const char *addr = opts->bind_address ? opts->bind_address : HTTP_DEFAULT_ADDRESS;
  unsigned max_conn = opts->max_connections ? opts->max_connections : HTTP_DEFAULT_CONNECTIONS;
  unsigned timeout_s = opts->timeout_s ? opts->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
  unsigned per_addr = opts->max_per_address ? opts->max_per_address : HTTP_DEFAULT_PER_ADDRESS;
  double header_s = opts->header_timeout_s > 0 ? opts->header_timeout_s
                                               : HTTP_DEFAULT_HEADER_TIMEOUT_S;
  if (max_conn > 4096 || !(header_s < 3600.0))
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "http: max_connections %u (at most 4096) or header timeout %g s out of range",
                    max_conn, header_s);
  size_t mem = opts->max_request_bytes ? opts->max_request_bytes : HTTP_DEFAULT_REQUEST_BYTES;

  /* numeric addresses only: binding must not wait on DNS */
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  int v6 = 0;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(opts->port);
  } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(opts->port);
    flags |= MHD_USE_IPv6;
    v6 = 1;
  } else {
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "http: bind address '%s' is not a numeric IPv4 or IPv6 address", addr);
  }

  int rc;
  dtw_http_server_t *s = calloc(1, sizeof *s);
  if (s == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "http: out of memory");
  s->registry = opts->registry;
  s->health = opts->health;
  s->max_live = max_conn;
  s->max_per_address = per_addr;
  s->header_timeout_ns = (int64_t)(header_s * 1e9);
  s->n_slots = 2 * (size_t)max_conn;
  s->slots = calloc(s->n_slots, sizeof *s->slots);
  if (s->slots == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "http: out of memory");
    goto err_free;
  }
  if (s->registry != NULL && (rc = register_requests(s, err, errlen)) < 0) goto err_free;

  /* libmicrohttpd's own limit leaves room for connections we shut down that it
   * has not closed yet; on_accept keeps the live ones within max_conn */
  s->daemon = MHD_start_daemon(
      flags, opts->port, on_accept, s, on_request, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->n_slots,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
  if (s->daemon == NULL) {
    rc = dtw_errf(err, errlen, DTW_EIO, "http: cannot serve on %s port %u: %s", addr,
                  (unsigned)opts->port,
                  s->start_error[0] ? s->start_error : "libmicrohttpd failed to start");
    goto err_free;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info != NULL && info->port != 0 ? info->port : opts->port;
  snprintf(s->url, sizeof s->url, v6 ? "http://[%s]:%u" : "http://%s:%u", addr,
           (unsigned)s->port);
  DTW_INFO("http", "serving /metrics /healthz /readyz on %s", s->url);
  *out = s;
  return 0;
err_free:
  free(s->slots);
  free(s);
  return rc;
}

uint16_t dtw_http_server_port(const dtw_http_server_t *s) { return s->port; }

const char *dtw_http_server_url(const dtw_http_server_t *s) { return s->url; }

void dtw_http_server_stop(dtw_http_server_t *s) {
  if (s == NULL) return;
  MHD_stop_daemon(s->daemon);
  free(s->slots);
  free(s);
}
