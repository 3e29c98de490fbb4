/* Health checks of a running system: report, Prometheus text, HTTP with
 * libcurl, metric and graph checks, the Kubernetes API. */
#include "dtw/health_check.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/yaml.h"

#define MAX_BODY (16u << 20)

/* ---- report ------------------------------------------------------------------------------ */

void dtw_hcheck_add(dtw_hcheck_report_t *r, dtw_hcheck_status_t status, const char *name,
                    const char *fmt, ...) {
  if (r->n >= DTW_HCHECK_MAX) return;
  dtw_hcheck_item_t *it = &r->items[r->n++];
  it->status = status;
  snprintf(it->name, sizeof it->name, "%s", name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(it->detail, sizeof it->detail, fmt, ap);
  va_end(ap);
}

bool dtw_hcheck_ok(const dtw_hcheck_report_t *r) {
  return dtw_hcheck_count(r, DTW_HCHECK_FAIL) == 0;
}

size_t dtw_hcheck_count(const dtw_hcheck_report_t *r, dtw_hcheck_status_t status) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += r->items[i].status == status;
  return n;
}

static const char *status_word(dtw_hcheck_status_t s) {
  return s == DTW_HCHECK_OK ? "ok" : s == DTW_HCHECK_FAIL ? "FAIL" : "skip";
}

void dtw_hcheck_print_text(const dtw_hcheck_report_t *r, FILE *out) {
  for (size_t i = 0; i < r->n; i++)
    fprintf(out, "%s %s: %s\n", status_word(r->items[i].status), r->items[i].name,
            r->items[i].detail);
  fflush(out);
}

int dtw_hcheck_print_json(const dtw_hcheck_report_t *r, FILE *out) {
  cJSON *root = cJSON_CreateObject();
  cJSON *checks = root ? cJSON_AddArrayToObject(root, "checks") : NULL;
  if (checks == NULL || cJSON_AddBoolToObject(root, "ok", dtw_hcheck_ok(r)) == NULL) goto nomem;
  for (size_t i = 0; i < r->n; i++) {
    cJSON *c = cJSON_CreateObject();
    if (c == NULL) goto nomem;
    cJSON_AddItemToArray(checks, c);
    if (cJSON_AddStringToObject(c, "name", r->items[i].name) == NULL ||
        cJSON_AddBoolToObject(c, "ok", r->items[i].status != DTW_HCHECK_FAIL) == NULL ||
        cJSON_AddBoolToObject(c, "skipped", r->items[i].status == DTW_HCHECK_SKIP) == NULL ||
        cJSON_AddStringToObject(c, "detail", r->items[i].detail) == NULL)
      goto nomem;
  }
  char *text = cJSON_PrintUnformatted(root);
  if (text == NULL) goto nomem;
  fprintf(out, "%s\n", text);
  fflush(out);
  cJSON_free(text);
  cJSON_Delete(root);
  return 0;
nomem:
  cJSON_Delete(root);
  return DTW_ENOMEM;
}

/* ---- Prometheus text ---------------------------------------------------------------------- */

static bool name_char(char c, bool first) {
  return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

int dtw_prom_parse_line(const char *line, size_t len, dtw_prom_sample_t *out, char *err,
                        size_t errlen) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == len || line[i] == '#' || line[i] == '\r') return 0;
  memset(out, 0, sizeof *out);
  size_t n = 0;
  if (!name_char(line[i], true))
    return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a metric name", i + 1);
  while (i < len && name_char(line[i], n == 0)) {
    if (n + 1 >= sizeof out->name) return dtw_errf(err, errlen, DTW_ERANGE, "metric name too long");
    out->name[n++] = line[i++];
  }
  if (i < len && line[i] == '{') {
    i++;
    for (;;) {
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] == '}') {
        i++;
        break;
      }
      if (out->n_labels >= DTW_PROM_MAX_LABELS)
        return dtw_errf(err, errlen, DTW_ERANGE, "more than %d labels", DTW_PROM_MAX_LABELS);
      char *ln = out->labels[out->n_labels].name, *lv = out->labels[out->n_labels].value;
      size_t k = 0;
      if (i >= len || !name_char(line[i], true) || line[i] == ':')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a label name", i + 1);
      while (i < len && name_char(line[i], k == 0) && line[i] != ':') {
        if (k + 1 >= sizeof out->labels[0].name)
          return dtw_errf(err, errlen, DTW_ERANGE, "label name too long");
        ln[k++] = line[i++];
      }
      if (i + 1 >= len || line[i] != '=' || line[i + 1] != '"')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected =\" after label '%s'", i + 1,
                        ln);
      i += 2;
      k = 0;
      while (i < len && line[i] != '"') {
        char c = line[i++];
        if (c == '\\') {
          if (i >= len) break;
          c = line[i++];
          if (c == 'n') c = '\n';
          else if (c != '\\' && c != '"')
            return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: bad escape '\\%c'", i, c);
        }
        if (k + 1 >= sizeof out->labels[0].value)
          return dtw_errf(err, errlen, DTW_ERANGE, "value of label '%s' too long", ln);
        lv[k++] = c;
      }
      if (i >= len) return dtw_errf(err, errlen, DTW_EPARSE, "unterminated label value");
      i++; /* closing quote */
      out->n_labels++;
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] == ',') i++;
      else if (i < len && line[i] != '}')
        return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected ',' or '}'", i + 1);
    }
  }
  if (i >= len || (line[i] != ' ' && line[i] != '\t'))
    return dtw_errf(err, errlen, DTW_EPARSE, "col %zu: expected a space before the value", i + 1);
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  char num[64];
  size_t k = 0;
  while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
    if (k + 1 >= sizeof num) return dtw_errf(err, errlen, DTW_EPARSE, "value too long");
    num[k++] = line[i++];
  }
  num[k] = '\0';
  if (k == 0) return dtw_errf(err, errlen, DTW_EPARSE, "missing value");
  if (strcmp(num, "+Inf") == 0) {
    out->value = INFINITY;
  } else if (strcmp(num, "-Inf") == 0) {
    out->value = -INFINITY;
  } else if (strcmp(num, "NaN") == 0) {
    out->value = NAN;
  } else {
    char *end;
    errno = 0;
    out->value = strtod(num, &end);
    /* strtod also reads "inf"/"nan"/hex, which the format does not have */
    if (*end != '\0' || isalpha((unsigned char)num[k - 1]) || strpbrk(num, "xX") != NULL)
      return dtw_errf(err, errlen, DTW_EPARSE, "'%s' is not a number", num);
  }
  return 1;
}

const char *dtw_prom_label(const dtw_prom_sample_t *s, const char *name) {
  for (size_t i = 0; i < s->n_labels; i++)
    if (strcmp(s->labels[i].name, name) == 0) return s->labels[i].value;
  return NULL;
}

int dtw_prom_find(const char *text, const char *name, const char *label, const char *value,
                  dtw_prom_sample_t *out) {
  size_t name_len = strlen(name);
  for (const char *p = text; p != NULL && *p != '\0';) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    /* cheap prefix test first: most lines are other metrics */
    if (len > name_len && strncmp(p, name, name_len) == 0 &&
        (p[name_len] == '{' || p[name_len] == ' ') &&
        dtw_prom_parse_line(p, len, out, NULL, 0) == 1) {
      const char *v = label ? dtw_prom_label(out, label) : NULL;
      if (label == NULL || (v != NULL && strcmp(v, value) == 0)) return 1;
    }
    p = nl ? nl + 1 : NULL;
  }
  return 0;
}

/* ---- HTTP (libcurl) ----------------------------------------------------------------------- */

typedef struct body_buf {
  char *data;
  size_t len, cap;
  bool too_big;
} body_buf_t;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user) {
  body_buf_t *b = user;
  size_t n = size * nmemb;
  if (b->len + n + 1 > MAX_BODY) {
    b->too_big = true;
    return 0;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) return 0;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

/* Perform a prepared GET; shared by plain HTTP and the Kubernetes client. */
static int perform(CURL *h, const char *url, double timeout_s, long *status, char **body,
                   size_t *len, char *err, size_t errlen) {
  body_buf_t b = {0};
  char cerr[CURL_ERROR_SIZE] = "";
  long ms = (long)(timeout_s * 1000);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_USERAGENT, "dtwin-health");
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    free(b.data);
    return dtw_errf(err, errlen, DTW_EIO, "GET %s: %s", url,
                    b.too_big ? "response larger than 16 MiB"
                    : cerr[0]  ? cerr
                               : curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  if (b.data == NULL && (b.data = calloc(1, 1)) == NULL)
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  *body = b.data;
  if (len) *len = b.len;
  return 0;
}

int dtw_hcheck_http_get(const char *url, double timeout_s, long *status, char **body,
                        size_t *len, char *err, size_t errlen) {
  CURL *h = curl_easy_init();
  if (h == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "curl: cannot create a handle");
  int rc = perform(h, url, timeout_s, status, body, len, err, errlen);
  curl_easy_cleanup(h);
  return rc;
}

/* ---- endpoint and metric checks -------------------------------------------------------------- */

/* "a\nb\n" -> "a; b" in place. */
static void one_line(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
  for (char *p = s; *p; p++)
    if (*p == '\n') *p = ';';
}

void dtw_hcheck_endpoint(dtw_hcheck_report_t *r, const char *endpoint, double timeout_s,
                         char **metrics) {
  char url[1024], name[600], err[512];
  long status = 0;
  char *body = NULL;
  size_t base = strlen(endpoint);
  while (base > 0 && endpoint[base - 1] == '/') base--;
  snprintf(name, sizeof name, "readyz %.*s", (int)base, endpoint);
  snprintf(url, sizeof url, "%.*s/readyz", (int)base, endpoint);
  if (metrics) *metrics = NULL;
  if (dtw_hcheck_http_get(url, timeout_s, &status, &body, NULL, err, sizeof err) < 0) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, name, "%s", err);
    return;
  }
  one_line(body);
  if (status == 200)
    dtw_hcheck_add(r, DTW_HCHECK_OK, name, "ready");
  else
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, name, "HTTP %ld: %.600s", status,
                   body[0] ? body : "(no body)");
  free(body);
  if (metrics == NULL) return;
  snprintf(url, sizeof url, "%.*s/metrics", (int)base, endpoint);
  if (dtw_hcheck_http_get(url, timeout_s, &status, &body, NULL, err, sizeof err) < 0) return;
  if (status == 200)
    *metrics = body;
  else
    free(body);
}

bool dtw_hcheck_state_allowed(const char *list, const char *state) {
  const char *p = list;
  while (*p) {
    size_t n = strcspn(p, ", ");
    if ((n == 3 && strncasecmp(p, "any", 3) == 0) ||
        (n == strlen(state) && strncasecmp(p, state, n) == 0))
      return true;
    p += n;
    while (*p == ',' || *p == ' ') p++;
  }
  return false;
}

static const char *const k_states[] = {"NO_DATA", "SYNCED", "DIVERGED", "STALE", "FAULT"};

/* Find the sync state in one exposition: the sync node's, else the monitor's. */
static const char *sync_state_in(const char *text, char *buf, size_t cap, const char **metric) {
  dtw_prom_sample_t s;
  for (const char *p = text; p != NULL && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (dtw_prom_parse_line(p, len, &s, NULL, 0) == 1) {
      bool sync = strcmp(s.name, "dtwin_sync_state") == 0;
      bool mon = strcmp(s.name, "dtwin_monitor_sync_state") == 0;
      const char *label = dtw_prom_label(&s, "state");
      if ((sync || mon) && label != NULL && s.value == 1) {
        *metric = sync ? "dtwin_sync_state" : "dtwin_monitor_sync_state";
        snprintf(buf, cap, "%s", label);
        return buf;
      }
      if (sync && label == NULL) {
        *metric = "dtwin_sync_state";
        int k = isfinite(s.value) ? (int)s.value : -1;
        if (k >= 0 && k < 5 && s.value == k)
          snprintf(buf, cap, "%s", k_states[k]);
        else
          snprintf(buf, cap, "unknown(%g)", s.value);
        return buf;
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

void dtw_hcheck_metrics(dtw_hcheck_report_t *r, const char *const *texts,
                        const char *const *urls, size_t n, const char *twin_node, double min_rtf,
                        const char *allowed_states) {
  dtw_prom_sample_t s;
  bool found = false;
  for (size_t i = 0; i < n && !found; i++) {
    if (texts[i] == NULL || !dtw_prom_find(texts[i], "dtwin_real_time_factor", "node", twin_node, &s))
      continue;
    found = true;
    if (s.value >= min_rtf)
      dtw_hcheck_add(r, DTW_HCHECK_OK, "real-time factor", "%s at %.2f >= %.2f (%s)", twin_node,
                     s.value, min_rtf, urls[i]);
    else
      dtw_hcheck_add(r, DTW_HCHECK_FAIL, "real-time factor", "%s at %.2f, below %.2f (%s)",
                     twin_node, s.value, min_rtf, urls[i]);
  }
  if (!found)
    dtw_hcheck_add(r, DTW_HCHECK_SKIP, "real-time factor",
                   "dtwin_real_time_factor{node=\"%s\"} is exported by no endpoint", twin_node);
  /* the sync node's own metric first, then the monitor's view of it */
  char state[64];
  const char *metric = NULL;
  const char *got = NULL;
  size_t where = 0;
  for (size_t pass = 0; pass < 2 && got == NULL; pass++)
    for (size_t i = 0; i < n && got == NULL; i++) {
      if (texts[i] == NULL) continue;
      const char *st = sync_state_in(texts[i], state, sizeof state, &metric);
      if (st != NULL && (pass == 1 || strcmp(metric, "dtwin_sync_state") == 0)) {
        got = st;
        where = i;
      }
    }
  if (got == NULL)
    dtw_hcheck_add(r, DTW_HCHECK_SKIP, "sync state",
                   "neither dtwin_sync_state nor dtwin_monitor_sync_state is exported by any "
                   "endpoint");
  else if (dtw_hcheck_state_allowed(allowed_states, got))
    dtw_hcheck_add(r, DTW_HCHECK_OK, "sync state", "%s (%s at %s; allowed: %s)", got, metric,
                   urls[where], allowed_states);
  else
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, "sync state", "%s, not one of %s (%s at %s)", got,
                   allowed_states, metric, urls[where]);
}

void dtw_hcheck_graph(dtw_hcheck_report_t *r, dtw_bus_t *bus, const char *const *nodes,
                      size_t n, double timeout_s) {
  char err[512], name[400];
  dtw_graph_t *g = NULL;
  if (dtw_graph_create(bus, &g, err, sizeof err) < 0) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, "dds graph", "%s", err);
    return;
  }
  int64_t t0 = dtw_clock_mono_ns();
  int64_t end = t0 + (int64_t)(timeout_s * 1e9);
  size_t missing;
  do {
    if (dtw_graph_update(g) < 0) break;
    missing = 0;
    for (size_t i = 0; i < n; i++) missing += !dtw_graph_has_node(g, nodes[i]);
    if (missing == 0) break;
    dtw_clock_sleep_ns(DTW_NS_PER_S / 50);
  } while (dtw_clock_mono_ns() < end);
  double waited = (double)(dtw_clock_mono_ns() - t0) * 1e-9;
  for (size_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "node %s", nodes[i]);
    if (dtw_graph_has_node(g, nodes[i]))
      dtw_hcheck_add(r, DTW_HCHECK_OK, name, "on the DDS graph (domain %u)",
                     dtw_bus_domain_id(bus));
    else
      dtw_hcheck_add(r, DTW_HCHECK_FAIL, name,
                     "not on the DDS graph of domain %u after %.1f s (%zu participants, %zu ROS "
                     "nodes seen)",
                     dtw_bus_domain_id(bus), waited, dtw_graph_participant_count(g),
                     dtw_graph_node_count(g));
  }
  dtw_graph_destroy(g);
}

/* ---- base64 --------------------------------------------------------------------------------- */

static int b64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int dtw_base64_decode(const char *text, uint8_t **out, size_t *len) {
  size_t n = strlen(text);
  uint8_t *buf = malloc(n / 4 * 3 + 4);
  if (buf == NULL) return DTW_ENOMEM;
  uint32_t acc = 0;
  int bits = 0;
  size_t k = 0;
  bool pad = false;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)text[i];
    if (isspace(c)) continue;
    if (c == '=') {
      pad = true;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || pad) {
      free(buf);
      return DTW_EPARSE;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      buf[k++] = (uint8_t)(acc >> bits);
    }
  }
  /* leftover bits must be padding zeros, and never a whole sextet */
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
    free(buf);
    return DTW_EPARSE;
  }
  buf[k] = 0;
  *out = buf;
  *len = k;
  return 0;
}

/* ---- Kubernetes: connection ------------------------------------------------------------------ */

void dtw_k8s_conn_fini(dtw_k8s_conn_t *c) {
  free(c->token);
  free(c->ca_file);
  free(c->ca_pem);
  free(c->cert_file);
  free(c->key_file);
  free(c->cert_pem);
  free(c->key_pem);
  memset(c, 0, sizeof *c);
}

/* Whole file into a malloc'd string with trailing whitespace trimmed. */
static char *read_trimmed(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, len = 0;
  char *s = malloc(cap);
  size_t got;
  while (s != NULL && (got = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *p = cap < (1u << 20) ? realloc(s, cap * 2) : NULL;
      if (p == NULL) {
        free(s);
        s = NULL;
        break;
      }
      s = p;
      cap *= 2;
    }
  }
  fclose(f);
  if (s == NULL) return NULL;
  while (len > 0 && isspace((unsigned char)s[len - 1])) len--;
  s[len] = '\0';
  return s;
}

int dtw_k8s_conn_in_cluster(const char *sa_dir, dtw_k8s_conn_t *c, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  const char *host = getenv("KUBERNETES_SERVICE_HOST");
  const char *port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == NULL || host[0] == '\0')
    return dtw_errf(err, errlen, DTW_ENOENT,
                    "not in a cluster (KUBERNETES_SERVICE_HOST unset) and no kubeconfig given");
  if (sa_dir == NULL) sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  /* an IPv6 service address needs brackets in a URL */
  bool v6 = strchr(host, ':') != NULL;
  snprintf(c->server, sizeof c->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
           port && port[0] ? port : "443");
  char path[1024];
  snprintf(path, sizeof path, "%s/token", sa_dir);
  if ((c->token = read_trimmed(path)) == NULL) {
    dtw_k8s_conn_fini(c);
    return dtw_errf(err, errlen, DTW_ENOENT, "in-cluster: cannot read %s", path);
  }
  snprintf(path, sizeof path, "%s/ca.crt", sa_dir);
  if ((c->ca_file = strdup(path)) == NULL) {
    dtw_k8s_conn_fini(c);
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  }
  snprintf(path, sizeof path, "%s/namespace", sa_dir);
  char *ns = read_trimmed(path);
  if (ns) snprintf(c->ns, sizeof c->ns, "%s", ns);
  free(ns);
  snprintf(c->source, sizeof c->source, "in-cluster");
  return 0;
}

/* The entry of a kubeconfig list (clusters/contexts/users) named name: its
 * inner mapping under `inner` ("cluster"...). */
static const dtw_yaml_node_t *named_entry(const dtw_yaml_node_t *root, const char *list,
                                          const char *name, const char *inner) {
  const dtw_yaml_node_t *seq = dtw_yaml_get(root, list);
  if (seq == NULL || seq->kind != DTW_YAML_SEQUENCE) return NULL;
  for (size_t i = 0; i < seq->count; i++) {
    const dtw_yaml_node_t *n = dtw_yaml_get(seq->items[i], "name");
    if (n && n->kind == DTW_YAML_SCALAR && strcmp(n->text, name) == 0)
      return dtw_yaml_get(seq->items[i], inner);
  }
  return NULL;
}

static const char *scalar(const dtw_yaml_node_t *map, const char *key) {
  const dtw_yaml_node_t *n = dtw_yaml_get(map, key);
  return n && n->kind == DTW_YAML_SCALAR && n->text[0] ? n->text : NULL;
}

/* Path relative to the kubeconfig's directory. */
static char *rel_path(const char *kubeconfig, const char *p) {
  if (p[0] == '/') return strdup(p);
  const char *slash = strrchr(kubeconfig, '/');
  size_t dir = slash ? (size_t)(slash - kubeconfig) + 1 : 0;
  char *out = malloc(dir + strlen(p) + 1);
  if (out == NULL) return NULL;
  memcpy(out, kubeconfig, dir);
  strcpy(out + dir, p);
  return out;
}

/* file field or base64 -data field of map into *file / *pem. */
static int pem_field(const char *path, const dtw_yaml_node_t *map, const char *key, char **file,
                     uint8_t **pem, size_t *pem_len, char *err, size_t errlen) {
  char data_key[96];
  snprintf(data_key, sizeof data_key, "%s-data", key);
  const char *data = scalar(map, data_key);
  const char *f = scalar(map, key);
  if (data != NULL) {
    int rc = dtw_base64_decode(data, pem, pem_len);
    if (rc < 0)
      return dtw_errf(err, errlen, rc, "%s:%d: %s: %s", path, dtw_yaml_get(map, data_key)->line,
                      data_key, rc == DTW_EPARSE ? "not valid base64" : "out of memory");
  } else if (f != NULL && (*file = rel_path(path, f)) == NULL) {
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  }
  return 0;
}

int dtw_k8s_conn_from_kubeconfig(const char *path, dtw_k8s_conn_t *c, char *err, size_t errlen) {
  dtw_yaml_doc_t doc = {0};
  int rc;
  memset(c, 0, sizeof *c);
  if ((rc = dtw_yaml_load_file(path, &doc, err, errlen)) < 0) return rc;
  const dtw_yaml_node_t *root = doc.root;
  const char *ctx_name = root ? scalar(root, "current-context") : NULL;
  if (ctx_name == NULL) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: no current-context", path);
    goto out;
  }
  const dtw_yaml_node_t *ctx = named_entry(root, "contexts", ctx_name, "context");
  if (ctx == NULL) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: context '%s' not found", path, ctx_name);
    goto out;
  }
  const char *cluster_name = scalar(ctx, "cluster"), *user_name = scalar(ctx, "user");
  const char *ns = scalar(ctx, "namespace");
  if (ns) snprintf(c->ns, sizeof c->ns, "%s", ns);
  const dtw_yaml_node_t *cluster =
      cluster_name ? named_entry(root, "clusters", cluster_name, "cluster") : NULL;
  if (cluster == NULL || scalar(cluster, "server") == NULL) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%d: context '%s': cluster '%s' not found or has no "
                  "server", path, ctx->line, ctx_name, cluster_name ? cluster_name : "");
    goto out;
  }
  snprintf(c->server, sizeof c->server, "%s", scalar(cluster, "server"));
  size_t sl = strlen(c->server);
  while (sl > 0 && c->server[sl - 1] == '/') c->server[--sl] = '\0';
  const char *insecure = scalar(cluster, "insecure-skip-tls-verify");
  c->insecure = insecure != NULL && strcmp(insecure, "true") == 0;
  if ((rc = pem_field(path, cluster, "certificate-authority", &c->ca_file, &c->ca_pem,
                      &c->ca_pem_len, err, errlen)) < 0)
    goto out;
  const dtw_yaml_node_t *user = user_name ? named_entry(root, "users", user_name, "user") : NULL;
  if (user != NULL) {
    if (dtw_yaml_get(user, "exec") != NULL || dtw_yaml_get(user, "auth-provider") != NULL) {
      rc = dtw_errf(err, errlen, DTW_EUNSUP,
                    "%s:%d: user '%s': exec / auth-provider credentials are not supported (use a "
                    "token or a client certificate)",
                    path, user->line, user_name);
      goto out;
    }
    const char *token = scalar(user, "token"), *token_file = scalar(user, "tokenFile");
    if (token != NULL) {
      c->token = strdup(token);
    } else if (token_file != NULL) {
      char *tf = rel_path(path, token_file);
      c->token = tf ? read_trimmed(tf) : NULL;
      if (c->token == NULL) {
        rc = dtw_errf(err, errlen, DTW_ENOENT, "%s: user '%s': cannot read tokenFile %s", path,
                      user_name, tf ? tf : token_file);
        free(tf);
        goto out;
      }
      free(tf);
    }
    if ((rc = pem_field(path, user, "client-certificate", &c->cert_file, &c->cert_pem,
                        &c->cert_pem_len, err, errlen)) < 0 ||
        (rc = pem_field(path, user, "client-key", &c->key_file, &c->key_pem, &c->key_pem_len,
                        err, errlen)) < 0)
      goto out;
  }
  snprintf(c->source, sizeof c->source, "%s", path);
  rc = 0;
out:
  dtw_yaml_free(&doc);
  if (rc < 0) dtw_k8s_conn_fini(c);
  return rc;
}

int dtw_k8s_get(const dtw_k8s_conn_t *c, const char *path, double timeout_s, long *status,
                char **body, size_t *len, char *err, size_t errlen) {
  CURL *h = curl_easy_init();
  if (h == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "curl: cannot create a handle");
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
  char *auth = NULL;
  if (c->token != NULL) {
    size_t n = strlen(c->token) + 32;
    if ((auth = malloc(n)) != NULL) {
      snprintf(auth, n, "Authorization: Bearer %s", c->token);
      hdr = curl_slist_append(hdr, auth);
    }
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
  if (c->ca_pem) {
    struct curl_blob blob = {c->ca_pem, c->ca_pem_len, CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (c->cert_file) curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
  if (c->cert_pem) {
    struct curl_blob blob = {c->cert_pem, c->cert_pem_len, CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (c->key_file) curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
  if (c->key_pem) {
    struct curl_blob blob = {c->key_pem, c->key_pem_len, CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (c->insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  size_t n = strlen(c->server) + strlen(path) + 1;
  char *url = malloc(n);
  int rc;
  if (url == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  } else {
    snprintf(url, n, "%s%s", c->server, path);
    rc = perform(h, url, timeout_s, status, body, len, err, errlen);
  }
  free(url);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdr);
  if (auth) {
    /* the token should not linger in freed memory */
    memset(auth, 0, strlen(auth));
    free(auth);
  }
  return rc;
}

/* ---- Kubernetes: evaluation ------------------------------------------------------------------ */

static const char *jstr(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* The condition of `type` in obj.status.conditions, or NULL. */
static const cJSON *condition(const cJSON *status, const char *type) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions")) {
    const char *t = jstr(c, "type");
    if (t && strcmp(t, type) == 0) return c;
  }
  return NULL;
}

/* Append to a bounded detail buffer. */
static void appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...) {
  size_t len = strlen(buf);
  if (len + 1 >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
}

/* items of a List, or NULL after adding a FAIL for an API error / bad JSON. */
static const cJSON *list_items(dtw_hcheck_report_t *r, const char *check, const cJSON *root) {
  if (root == NULL) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "the API response is not JSON");
    return NULL;
  }
  const char *kind = jstr(root, "kind");
  if (kind && strcmp(kind, "Status") == 0) {
    const char *msg = jstr(root, "message");
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "API error: %s", msg ? msg : "(no message)");
    return NULL;
  }
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
  if (!cJSON_IsArray(items)) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "the API response has no items list");
    return NULL;
  }
  return items;
}

void dtw_hcheck_k8s_nodes(dtw_hcheck_report_t *r, const char *json) {
  const char *check = "kubernetes nodes";
  cJSON *root = cJSON_Parse(json);
  /* Nodes are cluster-scoped; the namespaced Role we ship grants none, so a 403
   * means "not asked for", not "unhealthy". */
  const cJSON *code = root ? cJSON_GetObjectItemCaseSensitive(root, "code") : NULL;
  const char *kind = root ? jstr(root, "kind") : NULL;
  if (kind && strcmp(kind, "Status") == 0 && cJSON_IsNumber(code) && code->valuedouble == 403) {
    dtw_hcheck_add(r, DTW_HCHECK_SKIP, check,
                   "not allowed to list nodes (node readiness needs a ClusterRole; the namespaced "
                   "Role in deploy/k8s/base/rbac.yaml grants none)");
    cJSON_Delete(root);
    return;
  }
  const cJSON *items = list_items(r, check, root);
  if (items == NULL) goto out;
  int total = 0, ready = 0;
  char bad[600] = "";
  const cJSON *node;
  cJSON_ArrayForEach(node, items) {
    total++;
    const char *name = jstr(cJSON_GetObjectItemCaseSensitive(node, "metadata"), "name");
    const cJSON *c = condition(cJSON_GetObjectItemCaseSensitive(node, "status"), "Ready");
    const char *st = c ? jstr(c, "status") : NULL;
    if (st && strcmp(st, "True") == 0) {
      ready++;
      continue;
    }
    const char *reason = c ? jstr(c, "reason") : NULL;
    appendf(bad, sizeof bad, "%s%s (Ready=%s%s%s)", bad[0] ? ", " : "", name ? name : "?",
            st ? st : "missing", reason ? ": " : "", reason ? reason : "");
  }
  if (total == 0)
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "the cluster lists no nodes");
  else if (ready == total)
    dtw_hcheck_add(r, DTW_HCHECK_OK, check, "%d/%d Ready", ready, total);
  else
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "%d/%d Ready; not ready: %s", ready, total, bad);
out:
  cJSON_Delete(root);
}

/* Why a pod is not Running+Ready, appended to buf. Returns true if it is fine. */
static bool pod_ok(const cJSON *pod, char *buf, size_t cap) {
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(pod, "status");
  const char *name = jstr(meta, "name");
  const char *phase = jstr(status, "phase");
  const cJSON *c = condition(status, "Ready");
  const char *ready = c ? jstr(c, "status") : NULL;
  bool terminating = cJSON_GetObjectItemCaseSensitive(meta, "deletionTimestamp") != NULL;
  bool running = phase && strcmp(phase, "Running") == 0;
  bool is_ready = ready && strcmp(ready, "True") == 0;
  if (running && is_ready && !terminating) return true;
  appendf(buf, cap, "%s%s (%s%s%s", buf[0] ? ", " : "", name ? name : "?",
          phase ? phase : "no phase", is_ready ? "" : ", not ready",
          terminating ? ", terminating" : "");
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(status, "containerStatuses")) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(cs, "state");
    const cJSON *waiting = cJSON_GetObjectItemCaseSensitive(state, "waiting");
    const cJSON *terminated = cJSON_GetObjectItemCaseSensitive(state, "terminated");
    const cJSON *restarts = cJSON_GetObjectItemCaseSensitive(cs, "restartCount");
    const char *cname = jstr(cs, "name");
    const char *why = waiting ? jstr(waiting, "reason") : terminated ? jstr(terminated, "reason")
                                                                     : NULL;
    if (why != NULL)
      appendf(buf, cap, "; container %s %s %s", cname ? cname : "?",
              waiting ? "waiting:" : "terminated:", why);
    if (cJSON_IsNumber(restarts) && restarts->valuedouble > 0)
      appendf(buf, cap, "; %s restarted %d times", cname ? cname : "?", restarts->valueint);
  }
  appendf(buf, cap, ")");
  return false;
}

void dtw_hcheck_k8s_pods(dtw_hcheck_report_t *r, const char *json, const char *ns,
                         const char *selector) {
  const char *check = "kubernetes pods";
  cJSON *root = cJSON_Parse(json);
  const cJSON *items = list_items(r, check, root);
  if (items == NULL) goto out;
  int total = 0, good = 0;
  char bad[700] = "";
  const cJSON *pod;
  cJSON_ArrayForEach(pod, items) {
    total++;
    good += pod_ok(pod, bad, sizeof bad);
  }
  if (total == 0)
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "no pod matches %s in namespace %s", selector, ns);
  else if (good == total)
    dtw_hcheck_add(r, DTW_HCHECK_OK, check, "%d/%d Running and Ready (namespace %s, %s)", good,
                   total, ns, selector);
  else
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "%d/%d Running and Ready (namespace %s); %s", good,
                   total, ns, bad);
out:
  cJSON_Delete(root);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

size_t dtw_hcheck_k8s_pod_endpoints(const char *json, char (*urls)[DTW_HCHECK_URL_MAX],
                                    size_t max) {
  cJSON *root = cJSON_Parse(json);
  const cJSON *items = root ? cJSON_GetObjectItemCaseSensitive(root, "items") : NULL;
  if (!cJSON_IsArray(items)) items = NULL;
  size_t n = 0;
  const cJSON *pod, *ctr, *port;
  cJSON_ArrayForEach(pod, items) {
    const char *ip = jstr(cJSON_GetObjectItemCaseSensitive(pod, "status"), "podIP");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    if (ip == NULL || ip[0] == '\0' || spec == NULL) continue;
    bool v6 = strchr(ip, ':') != NULL;
    cJSON_ArrayForEach(ctr, cJSON_GetObjectItemCaseSensitive(spec, "containers")) {
      cJSON_ArrayForEach(port, cJSON_GetObjectItemCaseSensitive(ctr, "ports")) {
        const char *name = jstr(port, "name"), *proto = jstr(port, "protocol");
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(port, "containerPort");
        if (name == NULL || !ends_with(name, "-http") || !cJSON_IsNumber(num)) continue;
        if (proto != NULL && strcmp(proto, "TCP") != 0) continue;
        if (n < max)
          snprintf(urls[n], DTW_HCHECK_URL_MAX, "http://%s%s%s:%d", v6 ? "[" : "", ip,
                   v6 ? "]" : "", num->valueint);
        n++;
      }
    }
  }
  cJSON_Delete(root);
  return n;
}

/* GET and hand the body to eval; HTTP errors become FAIL lines, except a 403 when
 * pass_forbidden (eval decides what a refusal means). */
static bool k8s_fetch(dtw_hcheck_report_t *r, const dtw_k8s_conn_t *c, const char *check,
                      const char *path, double timeout_s, bool pass_forbidden, char **body) {
  char err[600];
  long status = 0;
  if (dtw_k8s_get(c, path, timeout_s, &status, body, NULL, err, sizeof err) < 0) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "%s (%s)", err, c->source);
    return false;
  }
  if (status == 403 && pass_forbidden) return true;
  if (status != 200) {
    /* the API explains itself in a Status object; keep its message */
    cJSON *root = cJSON_Parse(*body);
    const char *msg = root ? jstr(root, "message") : NULL;
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, check, "GET %s%s: HTTP %ld: %.400s", c->server, path,
                   status, msg ? msg : "(no message)");
    cJSON_Delete(root);
    free(*body);
    *body = NULL;
    return false;
  }
  return true;
}

void dtw_hcheck_kubernetes(dtw_hcheck_report_t *r, const dtw_k8s_conn_t *c, const char *ns,
                           const char *selector, double timeout_s,
                           char (*urls)[DTW_HCHECK_URL_MAX], size_t max_urls, size_t *n_urls) {
  if (n_urls != NULL) *n_urls = 0;
  char *body = NULL;
  if (k8s_fetch(r, c, "kubernetes nodes", "/api/v1/nodes", timeout_s, true, &body)) {
    dtw_hcheck_k8s_nodes(r, body);
    free(body);
  }
  CURL *h = curl_easy_init();
  char *sel = h ? curl_easy_escape(h, selector, 0) : NULL;
  char *nsq = h ? curl_easy_escape(h, ns, 0) : NULL;
  if (sel == NULL || nsq == NULL) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, "kubernetes pods", "out of memory");
  } else {
    char path[1400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods?labelSelector=%s", nsq, sel);
    body = NULL;
    if (k8s_fetch(r, c, "kubernetes pods", path, timeout_s, false, &body)) {
      dtw_hcheck_k8s_pods(r, body, ns, selector);
      if (urls != NULL && n_urls != NULL) {
        size_t n = dtw_hcheck_k8s_pod_endpoints(body, urls, max_urls);
        *n_urls = n < max_urls ? n : max_urls;
      }
      free(body);
    }
  }
  curl_free(sel);
  curl_free(nsq);
  if (h) curl_easy_cleanup(h);
}
