/* HTTP endpoint on libmicrohttpd: /metrics, /healthz, /readyz (see dtw/http.h). */
#include "dtw/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"

#define HTTP_DEFAULT_ADDRESS "127.0.0.1"
#define HTTP_DEFAULT_CONNECTIONS 64
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

struct dtw_http_server {
  struct MHD_Daemon *daemon;
  dtw_metrics_t *registry;
  dtw_health_t *health;
  uint16_t port;
  char url[80];
  char start_error[200]; /* last libmicrohttpd message; read only when start failed */
  dtw_counter_t *requests[ROUTE_N][NCODES];
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  dtw_http_server_t *s = cls;
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
  return 0;
}

int dtw_http_server_start(const dtw_http_opts_t *opts, dtw_http_server_t **out, char *err,
                          size_t errlen) {
  if (opts == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "http: opts or out is NULL");
  const char *addr = opts->bind_address ? opts->bind_address : HTTP_DEFAULT_ADDRESS;
  unsigned max_conn = opts->max_connections ? opts->max_connections : HTTP_DEFAULT_CONNECTIONS;
  unsigned timeout_s = opts->timeout_s ? opts->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
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
  if (s->registry != NULL && (rc = register_requests(s, err, errlen)) < 0) goto err_free;

  s->daemon = MHD_start_daemon(
      flags, opts->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, max_conn,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
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
  free(s);
  return rc;
}

uint16_t dtw_http_server_port(const dtw_http_server_t *s) { return s->port; }

const char *dtw_http_server_url(const dtw_http_server_t *s) { return s->url; }

void dtw_http_server_stop(dtw_http_server_t *s) {
  if (s == NULL) return;
  MHD_stop_daemon(s->daemon);
  free(s);
}
