/* `dtwin health` checks: the report, readiness endpoints, metrics read off
 * /metrics, the DDS graph. The Kubernetes checks are in hcheck_k8s.c. */
#include "dtw/health_check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/hclient.h"
#include "dtw/metrics_parse.h"
#include "dtw/sync_states.h"

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
  if (dtw_hclient_get(url, timeout_s, &status, &body, NULL, err, sizeof err) < 0) {
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
  if (dtw_hclient_get(url, timeout_s, &status, &body, NULL, err, sizeof err) < 0) return;
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

static const char *const k_states[] = {
#define DTW__HC_STATE_NAME(name, level, help) #name,
    DTW_SYNC_STATES(DTW__HC_STATE_NAME)
#undef DTW__HC_STATE_NAME
};

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
        if (k >= 0 && k < (int)(sizeof k_states / sizeof *k_states) && s.value == k)
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
