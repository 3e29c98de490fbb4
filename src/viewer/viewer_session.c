/* The Foxglove protocol for one client, without sockets: what a new client is
 * told, how its messages are parsed and checked, and its bounded outgoing
 * queue (drop oldest). Runs in the server thread. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "viewer__internal.h"

#define LOG "viewer"

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- queue ----------------------------------------------------------------- */

dtw__vframe_t *dtw__vsession_pop(dtw__vsession_t *s) {
  dtw__vframe_t *f = s->head;
  if (f == NULL) return NULL;
  s->head = f->next;
  if (s->head == NULL) s->tail = NULL;
  s->queued_bytes -= f->len;
  return f;
}

void dtw__vsession_queue(dtw_viewer_t *v, dtw__vsession_t *s, const void *hdr, size_t hdr_len,
                         const void *body, size_t len, bool binary) {
  if (s->closing) return;
  size_t total = hdr_len + len;
  /* a slow client never makes us hold more than its budget: drop the oldest */
  while (s->head != NULL && s->queued_bytes + total > v->o.queue_bytes) {
    free(dtw__vsession_pop(s));
    v->st.frames_dropped++;
  }
  dtw__vframe_t *f = malloc(sizeof *f + DTW__VIEWER_PRE + total);
  if (f == NULL) {
    v->st.frames_dropped++;
    return;
  }
  f->next = NULL;
  f->len = total;
  f->binary = binary;
  if (hdr_len) memcpy(f->data + DTW__VIEWER_PRE, hdr, hdr_len);
  if (len) memcpy(f->data + DTW__VIEWER_PRE + hdr_len, body, len);
  if (s->tail) s->tail->next = f;
  else s->head = f;
  s->tail = f;
  s->queued_bytes += total;
  dtw__vserver_want_write(v, s);
}

static void queue_json(dtw_viewer_t *v, dtw__vsession_t *s, cJSON *j) {
  char *text = cJSON_PrintUnformatted(j);
  if (text != NULL) dtw__vsession_queue(v, s, NULL, 0, text, strlen(text), false);
  free(text);
}

static void send_status(dtw_viewer_t *v, dtw__vsession_t *s, int level, const char *msg) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", "status");
  cJSON_AddNumberToObject(j, "level", level);
  cJSON_AddStringToObject(j, "message", msg);
  queue_json(v, s, j);
  cJSON_Delete(j);
}

/* ---- what a new client is told ------------------------------------------------ */

static void send_hello(dtw_viewer_t *v, dtw__vsession_t *s) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", "serverInfo");
  cJSON_AddStringToObject(j, "name", v->name);
  cJSON *caps = cJSON_AddArrayToObject(j, "capabilities");
  if (!v->o.read_only) {
    if (v->n_svc) cJSON_AddItemToArray(caps, cJSON_CreateString("services"));
    if (v->n_pub) cJSON_AddItemToArray(caps, cJSON_CreateString("clientPublish"));
  }
  if (v->cb.on_fetch_asset) cJSON_AddItemToArray(caps, cJSON_CreateString("assets"));
  if (!v->o.read_only) {
    cJSON *enc = cJSON_AddArrayToObject(j, "supportedEncodings");
    cJSON_AddItemToArray(enc, cJSON_CreateString("cdr"));
  }
  cJSON *meta = cJSON_AddObjectToObject(j, "metadata");
  cJSON_AddStringToObject(meta, "read_only", v->o.read_only ? "true" : "false");
  char sid[32];
  snprintf(sid, sizeof sid, "%u", s->id);
  cJSON_AddStringToObject(j, "sessionId", sid);
  queue_json(v, s, j);
  cJSON_Delete(j);

  j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", "advertise");
  cJSON *chs = cJSON_AddArrayToObject(j, "channels");
  for (size_t i = 0; i < v->n_ch; i++) {
    const dtw__vchannel_t *c = &v->ch[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)(i + 1));
    cJSON_AddStringToObject(o, "topic", c->topic);
    cJSON_AddStringToObject(o, "encoding", c->encoding);
    cJSON_AddStringToObject(o, "schemaName", c->schema_name);
    cJSON_AddStringToObject(o, "schema", c->schema);
    if (c->schema_encoding[0]) cJSON_AddStringToObject(o, "schemaEncoding", c->schema_encoding);
    cJSON_AddItemToArray(chs, o);
  }
  queue_json(v, s, j);
  cJSON_Delete(j);

  if (v->o.read_only || v->n_svc == 0) return;
  j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", "advertiseServices");
  cJSON *svcs = cJSON_AddArrayToObject(j, "services");
  for (size_t i = 0; i < v->n_svc; i++) {
    const dtw__vservice_t *c = &v->svc[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)(i + 1));
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "type", c->type);
    cJSON_AddStringToObject(o, "requestSchema", c->req_schema);
    cJSON_AddStringToObject(o, "responseSchema", c->resp_schema);
    cJSON_AddItemToArray(svcs, o);
  }
  queue_json(v, s, j);
  cJSON_Delete(j);
}

dtw__vsession_t *dtw__vsession_open(dtw_viewer_t *v, void *wsi) {
  dtw__vsession_t *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->id = ++v->next_client;
  s->wsi = wsi;
  s->next = v->sessions;
  v->sessions = s;
  v->st.clients_total++;
  v->st.clients_now++;
  send_hello(v, s);
  return s;
}

void dtw__vsession_free(dtw_viewer_t *v, dtw__vsession_t *s) {
  if (s == NULL) return;
  for (dtw__vsession_t **p = &v->sessions; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      v->st.clients_now--;
      break;
    }
  dtw__vframe_t *f;
  while ((f = dtw__vsession_pop(s)) != NULL) free(f);
  free(s->rx);
  free(s);
}

dtw__vsession_t *dtw__vsession_find(dtw_viewer_t *v, uint32_t id) {
  for (dtw__vsession_t *s = v->sessions; s; s = s->next)
    if (s->id == id) return s;
  return NULL;
}

/* ---- input ---------------------------------------------------------------------- */

/* A JSON number that is an integer in [0, 2^32). */
static bool get_id(const cJSON *o, const char *key, uint32_t *out) {
  const cJSON *n = key ? cJSON_GetObjectItemCaseSensitive(o, key) : o;
  if (!cJSON_IsNumber(n)) return false;
  double d = n->valuedouble;
  if (!isfinite(d) || d < 0 || d > 4294967295.0 || d != floor(d)) return false;
  *out = (uint32_t)d;
  return true;
}

static int malformed(dtw_viewer_t *v, dtw__vsession_t *s, const char *why) {
  DTW_WARN(LOG, "client %u: closing: %s", s->id, why);
  v->st.closed_malformed++;
  return DTW_EPARSE;
}

static int on_subscribe(dtw_viewer_t *v, dtw__vsession_t *s, const cJSON *j) {
  const cJSON *subs = cJSON_GetObjectItemCaseSensitive(j, "subscriptions");
  if (!cJSON_IsArray(subs)) return malformed(v, s, "subscribe without a subscriptions array");
  const cJSON *e;
  cJSON_ArrayForEach(e, subs) {
    uint32_t id, ch;
    if (!cJSON_IsObject(e) || !get_id(e, "id", &id) || !get_id(e, "channelId", &ch))
      return malformed(v, s, "subscribe: an entry without integer id and channelId");
    if (ch < 1 || ch > v->n_ch) {
      send_status(v, s, 1, "subscribe: unknown channel");
      continue;
    }
    bool dup = false;
    for (size_t i = 0; i < s->n_subs; i++) dup |= s->subs[i].sub_id == id;
    if (dup || s->n_subs >= DTW__VIEWER_MAX_SUBS) {
      send_status(v, s, 1, dup ? "subscribe: subscription id in use" : "too many subscriptions");
      continue;
    }
    s->subs[s->n_subs].sub_id = id;
    s->subs[s->n_subs].channel = ch;
    s->n_subs++;
    if (v->cb.on_subscribe) v->cb.on_subscribe(v, s->id, ch, v->user);
  }
  return 0;
}

static int on_unsubscribe(dtw_viewer_t *v, dtw__vsession_t *s, const cJSON *j) {
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(j, "subscriptionIds");
  if (!cJSON_IsArray(ids)) return malformed(v, s, "unsubscribe without subscriptionIds");
  const cJSON *e;
  cJSON_ArrayForEach(e, ids) {
    uint32_t id;
    if (!get_id(e, NULL, &id)) return malformed(v, s, "unsubscribe: a non-integer id");
    for (size_t i = 0; i < s->n_subs; i++)
      if (s->subs[i].sub_id == id) {
        s->subs[i] = s->subs[--s->n_subs];
        break;
      }
  }
  return 0;
}

static int on_client_advertise(dtw_viewer_t *v, dtw__vsession_t *s, const cJSON *j) {
  const cJSON *chs = cJSON_GetObjectItemCaseSensitive(j, "channels");
  if (!cJSON_IsArray(chs)) return malformed(v, s, "advertise without a channels array");
  const cJSON *e;
  cJSON_ArrayForEach(e, chs) {
    uint32_t id;
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(e, "topic");
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(e, "encoding");
    if (!cJSON_IsObject(e) || !get_id(e, "id", &id) || !cJSON_IsString(topic) ||
        !cJSON_IsString(enc))
      return malformed(v, s, "advertise: an entry without id, topic and encoding");
    if (v->o.read_only) {
      send_status(v, s, 2, "read-only server: publishing is off");
      continue;
    }
    int allowed = -1;
    for (size_t i = 0; i < v->n_pub; i++)
      if (strcmp(v->pub[i].topic, topic->valuestring) == 0) allowed = (int)i;
    if (allowed < 0 || strcmp(enc->valuestring, "cdr") != 0) {
      send_status(v, s, 2, "advertise: publishing on this topic (or encoding) is not allowed");
      continue;
    }
    size_t k = 0;
    while (k < s->n_cch && s->cch[k].id != id) k++;
    if (k == s->n_cch) {
      if (s->n_cch >= DTW__VIEWER_MAX_CLIENT_CH) {
        send_status(v, s, 2, "advertise: too many client channels");
        continue;
      }
      s->n_cch++;
    }
    s->cch[k].id = id;
    s->cch[k].allowed = allowed;
  }
  return 0;
}

static int on_client_unadvertise(dtw_viewer_t *v, dtw__vsession_t *s, const cJSON *j) {
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(j, "channelIds");
  if (!cJSON_IsArray(ids)) return malformed(v, s, "unadvertise without channelIds");
  const cJSON *e;
  cJSON_ArrayForEach(e, ids) {
    uint32_t id;
    if (!get_id(e, NULL, &id)) return malformed(v, s, "unadvertise: a non-integer id");
    for (size_t i = 0; i < s->n_cch; i++)
      if (s->cch[i].id == id) {
        s->cch[i] = s->cch[--s->n_cch];
        break;
      }
  }
  return 0;
}

/* fetchAsset: answered at once (binary opcode 4: request id, status, error, data) */
static int on_fetch_asset(dtw_viewer_t *v, dtw__vsession_t *s, const cJSON *j) {
  uint32_t req;
  const cJSON *uri = cJSON_GetObjectItemCaseSensitive(j, "uri");
  if (!cJSON_IsString(uri) || !get_id(j, "requestId", &req))
    return malformed(v, s, "fetchAsset without a string uri and an integer requestId");
  char why[256] = "";
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = v->cb.on_fetch_asset(v, uri->valuestring, &data, &len, why, sizeof why, v->user);
  if (rc < 0 && why[0] == '\0') snprintf(why, sizeof why, "%s", dtw_strerror(rc));
  size_t elen = rc < 0 ? strlen(why) : 0;
  uint8_t hdr[10 + 256];
  hdr[0] = 0x04;
  put_u32(hdr + 1, req);
  hdr[5] = rc < 0 ? 1 : 0;
  put_u32(hdr + 6, (uint32_t)elen);
  memcpy(hdr + 10, why, elen);
  v->st.assets++;
  dtw__vsession_queue(v, s, hdr, 10 + elen, rc < 0 ? NULL : data, rc < 0 ? 0 : len, true);
  free(data);
  return 0;
}

static int text_input(dtw_viewer_t *v, dtw__vsession_t *s, const uint8_t *data, size_t len) {
  cJSON *j = cJSON_ParseWithLength((const char *)data, len);
  if (j == NULL) return malformed(v, s, "text message is not JSON");
  int rc = 0;
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "op");
  if (!cJSON_IsObject(j) || !cJSON_IsString(op)) {
    rc = malformed(v, s, "JSON message without a string op");
  } else if (strcmp(op->valuestring, "subscribe") == 0) {
    rc = on_subscribe(v, s, j);
  } else if (strcmp(op->valuestring, "unsubscribe") == 0) {
    rc = on_unsubscribe(v, s, j);
  } else if (strcmp(op->valuestring, "advertise") == 0) {
    rc = on_client_advertise(v, s, j);
  } else if (strcmp(op->valuestring, "unadvertise") == 0) {
    rc = on_client_unadvertise(v, s, j);
  } else if (strcmp(op->valuestring, "fetchAsset") == 0 && v->cb.on_fetch_asset) {
    rc = on_fetch_asset(v, s, j);
  } else if (strcmp(op->valuestring, "getParameters") == 0 ||
             strcmp(op->valuestring, "setParameters") == 0 ||
             strcmp(op->valuestring, "subscribeParameterUpdates") == 0 ||
             strcmp(op->valuestring, "unsubscribeParameterUpdates") == 0 ||
             strcmp(op->valuestring, "subscribeConnectionGraph") == 0 ||
             strcmp(op->valuestring, "unsubscribeConnectionGraph") == 0 ||
             (strcmp(op->valuestring, "fetchAsset") == 0 && !v->cb.on_fetch_asset)) {
    send_status(v, s, 1, "operation not supported by this server");
  } else {
    rc = malformed(v, s, "unknown op");
  }
  cJSON_Delete(j);
  return rc;
}

static int binary_input(dtw_viewer_t *v, dtw__vsession_t *s, const uint8_t *d, size_t len) {
  if (len < 1) return malformed(v, s, "empty binary message");
  if (d[0] == 0x01) { /* client message data: channel id, payload */
    if (len < 5) return malformed(v, s, "client message data too short");
    uint32_t id = get_u32(d + 1);
    for (size_t i = 0; i < s->n_cch; i++)
      if (s->cch[i].id == id) {
        v->st.publishes++;
        int rc = v->cb.on_publish ? v->cb.on_publish(v, s->id, v->pub[s->cch[i].allowed].topic,
                                                     d + 5, len - 5, v->user)
                                  : DTW_EUNSUP;
        if (rc < 0) send_status(v, s, 1, "message refused (not a valid sample of the type)");
        return 0;
      }
    return malformed(v, s, "client message data on a channel it did not advertise");
  }
  if (d[0] == 0x02) { /* service call request */
    if (len < 13) return malformed(v, s, "service call request too short");
    uint32_t svc = get_u32(d + 1), call = get_u32(d + 5), elen = get_u32(d + 9);
    if (elen > len - 13) return malformed(v, s, "service call encoding length past the end");
    if (svc < 1 || svc > v->n_svc || v->o.read_only)
      return malformed(v, s, "service call for an unknown service");
    if (elen != 3 || memcmp(d + 13, "cdr", 3) != 0) {
      dtw_viewer_call_failed(v, s->id, svc, call, "only the cdr encoding is supported");
      return 0;
    }
    v->st.calls++;
    if (v->cb.on_call)
      v->cb.on_call(v, s->id, svc, call, d + 13 + elen, len - 13 - elen, v->user);
    else
      dtw_viewer_call_failed(v, s->id, svc, call, "no handler");
    return 0;
  }
  return malformed(v, s, "unknown binary opcode");
}

int dtw__vsession_input(dtw_viewer_t *v, dtw__vsession_t *s, const uint8_t *data, size_t len,
                        bool binary) {
  return binary ? binary_input(v, s, data, len) : text_input(v, s, data, len);
}

/* ---- publishing ------------------------------------------------------------------ */

static void send_data(dtw_viewer_t *v, dtw__vsession_t *s, uint32_t channel, uint64_t stamp_ns,
                      const void *payload, size_t len) {
  for (size_t i = 0; i < s->n_subs; i++) {
    if (s->subs[i].channel != channel) continue;
    uint8_t hdr[13];
    hdr[0] = 0x01;
    put_u32(hdr + 1, s->subs[i].sub_id);
    put_u64(hdr + 5, stamp_ns);
    dtw__vsession_queue(v, s, hdr, sizeof hdr, payload, len, true);
  }
}

void dtw_viewer_publish(dtw_viewer_t *v, uint32_t channel, uint64_t stamp_ns,
                        const void *payload, size_t len) {
  for (dtw__vsession_t *s = v->sessions; s; s = s->next)
    send_data(v, s, channel, stamp_ns, payload, len);
}

void dtw_viewer_send(dtw_viewer_t *v, uint32_t client, uint32_t channel, uint64_t stamp_ns,
                     const void *payload, size_t len) {
  dtw__vsession_t *s = dtw__vsession_find(v, client);
  if (s) send_data(v, s, channel, stamp_ns, payload, len);
}

bool dtw_viewer_subscribed(const dtw_viewer_t *v, uint32_t channel) {
  for (const dtw__vsession_t *s = v->sessions; s; s = s->next)
    for (size_t i = 0; i < s->n_subs; i++)
      if (s->subs[i].channel == channel) return true;
  return false;
}

void dtw_viewer_reply(dtw_viewer_t *v, uint32_t client, uint32_t service, uint32_t call_id,
                      const void *payload, size_t len) {
  dtw__vsession_t *s = dtw__vsession_find(v, client);
  if (s == NULL) return;
  uint8_t hdr[16];
  hdr[0] = 0x03;
  put_u32(hdr + 1, service);
  put_u32(hdr + 5, call_id);
  put_u32(hdr + 9, 3);
  memcpy(hdr + 13, "cdr", 3);
  dtw__vsession_queue(v, s, hdr, sizeof hdr, payload, len, true);
}

void dtw_viewer_call_failed(dtw_viewer_t *v, uint32_t client, uint32_t service,
                            uint32_t call_id, const char *message) {
  dtw__vsession_t *s = dtw__vsession_find(v, client);
  if (s == NULL) return;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", "serviceCallFailure");
  cJSON_AddNumberToObject(j, "serviceId", service);
  cJSON_AddNumberToObject(j, "callId", call_id);
  cJSON_AddStringToObject(j, "message", message);
  queue_json(v, s, j);
  cJSON_Delete(j);
}

void dtw_viewer_get_stats(const dtw_viewer_t *v, dtw_viewer_stats_t *out) { *out = v->st; }

int dtw_viewer_test_input(dtw_viewer_t *v, const uint8_t *data, size_t len, bool binary) {
  dtw__vsession_t *s = dtw__vsession_open(v, NULL);
  if (s == NULL) return DTW_ENOMEM;
  int rc = dtw__vsession_input(v, s, data, len, binary);
  dtw__vsession_free(v, s);
  return rc;
}
