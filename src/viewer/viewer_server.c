/* The Foxglove server on libwebsockets: one context, one vhost serving the web
 * directory over HTTP and the foxglove.websocket.v1 subprotocol, serviced by
 * one thread that also runs the owner's tick. */
#include <libwebsockets.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "viewer__internal.h"

#define LOG "viewer"
#define SUBPROTOCOL "foxglove.websocket.v1"

_Static_assert(DTW__VIEWER_PRE >= LWS_PRE, "frame headroom must hold LWS_PRE");

typedef struct glue {
  dtw_viewer_t *v;
  struct lws_protocols protocols[3];
  struct lws_http_mount mount;
  lws_sorted_usec_list_t sul;
} glue_t;

typedef struct pss {
  dtw__vsession_t *s;
} pss_t;

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

int dtw_viewer_create(const dtw_viewer_options_t *opt, const dtw_viewer_callbacks_t *cb,
                      void *user, dtw_viewer_t **out, char *err, size_t errlen) {
  if (opt == NULL || out == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "no options");
  dtw_viewer_t *v = calloc(1, sizeof *v);
  if (v == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  v->o = *opt;
  if (v->o.queue_bytes == 0) v->o.queue_bytes = 8u << 20;
  if (v->o.max_rx_bytes == 0) v->o.max_rx_bytes = 1u << 20;
  if (v->o.tick_ms <= 0) v->o.tick_ms = 5;
  if (v->o.max_clients <= 0) v->o.max_clients = 32;
  v->address = strdup(opt->address && opt->address[0] ? opt->address : "127.0.0.1");
  v->web_root = opt->web_root ? strdup(opt->web_root) : NULL;
  v->name = dup_or_empty(opt->name ? opt->name : "dtwin");
  if (cb) v->cb = *cb;
  v->user = user;
  if (v->address == NULL || v->name == NULL || (opt->web_root && v->web_root == NULL)) {
    dtw_viewer_destroy(v);
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  }
  *out = v;
  return 0;
}

int dtw_viewer_add_channel(dtw_viewer_t *v, const char *topic, const char *encoding,
                           const char *schema_name, const char *schema_encoding,
                           const char *schema) {
  if (v->started || topic == NULL || encoding == NULL) return DTW_EINVAL;
  if (v->n_ch >= DTW__VIEWER_MAX_CHANNELS) return DTW_EFULL;
  dtw__vchannel_t *c = &v->ch[v->n_ch];
  c->topic = dup_or_empty(topic);
  c->encoding = dup_or_empty(encoding);
  c->schema_name = dup_or_empty(schema_name);
  c->schema_encoding = dup_or_empty(schema_encoding);
  c->schema = dup_or_empty(schema);
  if (!c->topic || !c->encoding || !c->schema_name || !c->schema_encoding || !c->schema)
    return DTW_ENOMEM;
  return (int)++v->n_ch;
}

int dtw_viewer_add_service(dtw_viewer_t *v, const char *name, const char *type,
                           const char *request_schema, const char *response_schema) {
  if (v->started || name == NULL || type == NULL) return DTW_EINVAL;
  if (v->n_svc >= DTW__VIEWER_MAX_SERVICES) return DTW_EFULL;
  dtw__vservice_t *c = &v->svc[v->n_svc];
  c->name = dup_or_empty(name);
  c->type = dup_or_empty(type);
  c->req_schema = dup_or_empty(request_schema);
  c->resp_schema = dup_or_empty(response_schema);
  if (!c->name || !c->type || !c->req_schema || !c->resp_schema) return DTW_ENOMEM;
  return (int)++v->n_svc;
}

int dtw_viewer_allow_publish(dtw_viewer_t *v, const char *topic, const char *schema_name) {
  if (v->started || topic == NULL) return DTW_EINVAL;
  if (v->n_pub >= DTW__VIEWER_MAX_PUBLISH) return DTW_EFULL;
  v->pub[v->n_pub].topic = dup_or_empty(topic);
  v->pub[v->n_pub].schema_name = dup_or_empty(schema_name);
  if (!v->pub[v->n_pub].topic || !v->pub[v->n_pub].schema_name) return DTW_ENOMEM;
  v->n_pub++;
  return 0;
}

void dtw__vserver_want_write(dtw_viewer_t *v, dtw__vsession_t *s) {
  (void)v;
  if (s->wsi != NULL) lws_callback_on_writable(s->wsi);
}

static void on_tick(lws_sorted_usec_list_t *sul) {
  glue_t *g = lws_container_of(sul, glue_t, sul);
  dtw_viewer_t *v = g->v;
  if (v->cb.tick) v->cb.tick(v, v->user);
  lws_sul_schedule(v->ctx, 0, &g->sul, on_tick, (lws_usec_t)v->o.tick_ms * LWS_US_PER_MS);
}

/* Append a fragment; a complete message is handled. < 0: close the client. */
static int receive(dtw_viewer_t *v, struct lws *wsi, dtw__vsession_t *s, const void *in,
                   size_t len) {
  if (lws_is_first_fragment(wsi)) {
    s->rx_len = 0;
    s->rx_binary = lws_frame_is_binary(wsi);
  }
  if (s->rx_len + len > v->o.max_rx_bytes) {
    DTW_WARN(LOG, "client %u: closing: message larger than %zu bytes", s->id, v->o.max_rx_bytes);
    v->st.closed_malformed++;
    return DTW_ERANGE;
  }
  if (s->rx_len + len > s->rx_cap) {
    size_t cap = s->rx_cap ? s->rx_cap : 4096;
    while (cap < s->rx_len + len) cap *= 2;
    uint8_t *p = realloc(s->rx, cap);
    if (p == NULL) return DTW_ENOMEM;
    s->rx = p;
    s->rx_cap = cap;
  }
  if (len) memcpy(s->rx + s->rx_len, in, len);
  s->rx_len += len;
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
  int rc = dtw__vsession_input(v, s, s->rx, s->rx_len, s->rx_binary);
  s->rx_len = 0;
  return rc;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  pss_t *p = user;
  dtw_viewer_t *v = lws_context_user(lws_get_context(wsi));
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    if (v->st.clients_now >= (uint64_t)v->o.max_clients) {
      v->st.clients_refused++;
      return -1;
    }
    p->s = dtw__vsession_open(v, wsi);
    return p->s ? 0 : -1;
  case LWS_CALLBACK_CLOSED:
    dtw__vsession_free(v, p->s);
    p->s = NULL;
    return 0;
  case LWS_CALLBACK_RECEIVE:
    if (p->s == NULL) return -1;
    if (receive(v, wsi, p->s, in, len) < 0) {
      static const char why[] = "malformed message";
      lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)why,
                       sizeof why - 1);
      p->s->closing = true;
      return -1;
    }
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE: {
    if (p->s == NULL) return 0;
    dtw__vframe_t *f = dtw__vsession_pop(p->s);
    if (f == NULL) return 0;
    int n = lws_write(wsi, f->data + DTW__VIEWER_PRE, f->len,
                      f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    size_t sent = f->len;
    free(f);
    if (n < 0 || (size_t)n < sent) return -1;
    v->st.frames_sent++;
    v->st.bytes_sent += sent;
    if (p->s->head) lws_callback_on_writable(wsi);
    return 0;
  }
  default:
    return 0;
  }
}

static void *service_thread(void *arg) {
  dtw_viewer_t *v = arg;
  while (!v->stop)
    if (lws_service(v->ctx, 0) < 0) break;
  return NULL;
}

int dtw_viewer_start(dtw_viewer_t *v, char *err, size_t errlen) {
  glue_t *g = calloc(1, sizeof *g);
  if (g == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  v->glue = g;
  g->v = v;
  g->protocols[0] = (struct lws_protocols){.name = "http", .callback = lws_callback_http_dummy};
  g->protocols[1] = (struct lws_protocols){.name = SUBPROTOCOL,
                                           .callback = callback,
                                           .per_session_data_size = sizeof(pss_t),
                                           .rx_buffer_size = 65536};
  if (v->web_root) {
    g->mount.mountpoint = "/";
    g->mount.mountpoint_len = 1;
    g->mount.origin = v->web_root;
    g->mount.def = "index.html";
    g->mount.origin_protocol = LWSMPRO_FILE;
  }
  lws_set_log_level(LLL_ERR, NULL);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = v->o.port;
  info.iface = v->address;
  info.protocols = g->protocols;
  info.mounts = v->web_root ? &g->mount : NULL;
  info.user = v;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (strchr(v->address, ':') == NULL) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  v->ctx = lws_create_context(&info);
  if (v->ctx == NULL)
    return dtw_errf(err, errlen, DTW_EIO, "viewer: cannot listen on %s port %d", v->address,
                    v->o.port);
  v->vhost = lws_get_vhost_by_name(v->ctx, "default");
  v->port = v->vhost ? lws_get_vhost_listen_port(v->vhost) : v->o.port;
  if (v->port <= 0) {
    lws_context_destroy(v->ctx);
    v->ctx = NULL;
    return dtw_errf(err, errlen, DTW_EIO, "viewer: cannot listen on %s port %d", v->address,
                    v->o.port);
  }
  lws_sul_schedule(v->ctx, 0, &g->sul, on_tick, (lws_usec_t)v->o.tick_ms * LWS_US_PER_MS);
  v->started = true;
  if (pthread_create(&v->thread, NULL, service_thread, v) != 0) {
    v->started = false;
    lws_context_destroy(v->ctx);
    v->ctx = NULL;
    return dtw_errf(err, errlen, DTW_EIO, "viewer: cannot start its thread");
  }
  return 0;
}

int dtw_viewer_port(const dtw_viewer_t *v) { return v->port; }

void dtw_viewer_destroy(dtw_viewer_t *v) {
  if (v == NULL) return;
  if (v->started) {
    v->stop = 1;
    lws_cancel_service(v->ctx);
    pthread_join(v->thread, NULL);
  }
  if (v->ctx) lws_context_destroy(v->ctx); /* closes connections: sessions freed in CLOSED */
  while (v->sessions) dtw__vsession_free(v, v->sessions);
  for (size_t i = 0; i < v->n_ch; i++) {
    free(v->ch[i].topic);
    free(v->ch[i].encoding);
    free(v->ch[i].schema_name);
    free(v->ch[i].schema_encoding);
    free(v->ch[i].schema);
  }
  for (size_t i = 0; i < v->n_svc; i++) {
    free(v->svc[i].name);
    free(v->svc[i].type);
    free(v->svc[i].req_schema);
    free(v->svc[i].resp_schema);
  }
  for (size_t i = 0; i < v->n_pub; i++) {
    free(v->pub[i].topic);
    free(v->pub[i].schema_name);
  }
  free(v->glue);
  free(v->address);
  free(v->web_root);
  free(v->name);
  free(v);
}
