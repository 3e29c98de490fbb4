/* dtw/health_check.h - checking a running dtwin system from outside (`dtwin
 * health`): HTTP readiness of its endpoints, the DDS graph, metrics read off
 * /metrics, and optionally the Kubernetes API.
 *
 * Each check adds one line to a report: "ok|FAIL|skip <check>: <detail>". The
 * system is healthy when no check failed (skips pass: a metric nobody exports
 * is not a failure, it is said so).
 *
 * The evaluation functions (Prometheus text, Kubernetes API responses,
 * kubeconfig) are pure functions of their input and are unit tested with
 * files; the fetching ones use libcurl (HTTP and HTTPS, with timeouts).
 * Nothing here is meant for hot paths: functions allocate freely.
 * Not thread-safe per report; distinct reports may be used concurrently. */
#ifndef DTW_HEALTH_CHECK_H
#define DTW_HEALTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtw/bus.h"

/* ---- Prometheus text format (0.0.4) ------------------------------------------------------ */

#define DTW_PROM_MAX_LABELS 16

typedef struct dtw_prom_sample {
  char name[128];
  size_t n_labels;
  struct {
    char name[64];
    char value[256]; /* unescaped */
  } labels[DTW_PROM_MAX_LABELS];
  double value;
} dtw_prom_sample_t;

/* Parse one line `name{l="v",...} value [timestamp]` (len bytes, no newline
 * needed). Returns 1 with *out filled, 0 for a blank or '#' line, DTW_EPARSE
 * (with the reason) for anything else, DTW_ERANGE when a name/value does not
 * fit or there are more than DTW_PROM_MAX_LABELS labels. */
int dtw_prom_parse_line(const char *line, size_t len, dtw_prom_sample_t *out, char *err,
                        size_t errlen);
/* First sample of metric `name` in a whole exposition whose label `label` has
 * value `value` (label NULL: any sample of that name). Malformed lines are
 * skipped. Returns 1 (found, *out filled) or 0. */
int dtw_prom_find(const char *text, const char *name, const char *label, const char *value,
                  dtw_prom_sample_t *out);
/* Value of label `name` in s, or NULL. */
const char *dtw_prom_label(const dtw_prom_sample_t *s, const char *name);

/* ---- report --------------------------------------------------------------------------------- */

typedef enum { DTW_HCHECK_OK = 0, DTW_HCHECK_FAIL = 1, DTW_HCHECK_SKIP = 2 } dtw_hcheck_status_t;

#define DTW_HCHECK_MAX 64

typedef struct dtw_hcheck_item {
  dtw_hcheck_status_t status;
  char name[128];
  char detail[768];
} dtw_hcheck_item_t;

typedef struct dtw_hcheck_report {
  size_t n;
  dtw_hcheck_item_t items[DTW_HCHECK_MAX];
} dtw_hcheck_report_t;

/* Append a check (dropped beyond DTW_HCHECK_MAX). */
void dtw_hcheck_add(dtw_hcheck_report_t *r, dtw_hcheck_status_t status, const char *name,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* True when no check failed. */
bool dtw_hcheck_ok(const dtw_hcheck_report_t *r);
/* Number of checks with this status. */
size_t dtw_hcheck_count(const dtw_hcheck_report_t *r, dtw_hcheck_status_t status);
/* One line per check: "ok <name>: <detail>" / "FAIL ..." / "skip ...". */
void dtw_hcheck_print_text(const dtw_hcheck_report_t *r, FILE *out);
/* {"ok":bool,"checks":[{"name":..,"ok":bool,"skipped":bool,"detail":..},...]} and a
 * newline. Returns 0 or DTW_ENOMEM. */
int dtw_hcheck_print_json(const dtw_hcheck_report_t *r, FILE *out);

/* ---- HTTP ----------------------------------------------------------------------------------- */

/* GET url with a total timeout. On a completed exchange returns 0 with *status
 * (HTTP code) and *body (malloc'd, NUL-terminated, caller frees; at most
 * 16 MiB); DTW_EIO with curl's reason (refused, timed out...) otherwise. */
int dtw_hcheck_http_get(const char *url, double timeout_s, long *status, char **body,
                        size_t *len, char *err, size_t errlen);

/* ---- the checks ------------------------------------------------------------------------------ */

/* GET <endpoint>/readyz: ok on 200, FAIL naming the unmet conditions (503
 * body) or the connection error. Check name "readyz <endpoint>". If metrics
 * is not NULL, <endpoint>/metrics is fetched too and *metrics gets its body
 * (malloc'd, or NULL when unavailable). */
void dtw_hcheck_endpoint(dtw_hcheck_report_t *r, const char *endpoint, double timeout_s,
                         char **metrics);

/* Is `state` ("SYNCED") in the comma-separated list (case-insensitive; "any"
 * allows everything)? */
bool dtw_hcheck_state_allowed(const char *list, const char *state);

/* Metric checks over the /metrics bodies of the endpoints (NULL entries are
 * skipped; urls[i] names texts[i] in details):
 *  "real-time factor": dtwin_real_time_factor{node=twin_node} >= min_rtf;
 *  "sync state": dtwin_sync_state (value = state index NO_DATA 0, SYNCED 1,
 *   DIVERGED 2, STALE 3, or a {state} label with value 1), else the monitor's
 *   dtwin_monitor_sync_state{state} == 1, must be in allowed_states.
 * A metric found nowhere gives a "skip" line. */
void dtw_hcheck_metrics(dtw_hcheck_report_t *r, const char *const *texts,
                        const char *const *urls, size_t n, const char *twin_node, double min_rtf,
                        const char *allowed_states);

/* One check per expected node, "node <fqn>": wait up to timeout_s (reading
 * the graph of bus) until every node is on the DDS graph. */
void dtw_hcheck_graph(dtw_hcheck_report_t *r, dtw_bus_t *bus, const char *const *nodes,
                      size_t n, double timeout_s);

/* ---- Kubernetes --------------------------------------------------------------------------- */

/* How to reach the API server. Blobs are PEM (decoded *-data fields). */
typedef struct dtw_k8s_conn {
  char server[512];      /* "https://10.0.0.1:443" */
  char *token;           /* bearer token or NULL */
  char *ca_file;         /* certificate-authority path or NULL */
  uint8_t *ca_pem;       /* certificate-authority-data, or NULL */
  size_t ca_pem_len;
  char *cert_file, *key_file; /* client-certificate / client-key paths or NULL */
  uint8_t *cert_pem, *key_pem; /* client-*-data or NULL */
  size_t cert_pem_len, key_pem_len;
  bool insecure;         /* insecure-skip-tls-verify */
  char ns[256];          /* namespace of the context ("" if none) */
  char source[512];      /* "in-cluster" or the kubeconfig path, for messages */
} dtw_k8s_conn_t;

/* In-cluster: KUBERNETES_SERVICE_HOST/PORT, the service account token and CA
 * under sa_dir (NULL: /var/run/secrets/kubernetes.io/serviceaccount).
 * Returns 0, DTW_ENOENT (not in a cluster / files missing), DTW_ENOMEM. */
int dtw_k8s_conn_in_cluster(const char *sa_dir, dtw_k8s_conn_t *c, char *err, size_t errlen);
/* A kubeconfig file: its current-context's cluster (server,
 * certificate-authority[-data], insecure-skip-tls-verify) and user (token,
 * tokenFile, client-certificate[-data], client-key[-data]); relative paths
 * are relative to the file. exec / auth-provider users: DTW_EUNSUP. Returns 0
 * or DTW_ENOENT / DTW_EPARSE / DTW_EUNSUP / DTW_ENOMEM with "file:line: ...". */
int dtw_k8s_conn_from_kubeconfig(const char *path, dtw_k8s_conn_t *c, char *err, size_t errlen);
/* Free what a conn holds; safe on a zeroed one. */
void dtw_k8s_conn_fini(dtw_k8s_conn_t *c);
/* GET server + path (e.g. "/api/v1/nodes"); as dtw_hcheck_http_get. */
int dtw_k8s_get(const dtw_k8s_conn_t *c, const char *path, double timeout_s, long *status,
                char **body, size_t *len, char *err, size_t errlen);

/* Evaluate API responses (JSON text of a NodeList / PodList): check
 * "kubernetes nodes" (every node Ready) and "kubernetes pods" (at least one
 * pod, each Running and Ready; details name the bad ones and why). */
void dtw_hcheck_k8s_nodes(dtw_hcheck_report_t *r, const char *json);
void dtw_hcheck_k8s_pods(dtw_hcheck_report_t *r, const char *json, const char *ns,
                         const char *selector);
/* The HTTP endpoints of the pods in a PodList: "http://<podIP>:<port>" for
 * every TCP containerPort whose name ends in "-http" (how deploy/k8s names
 * the metrics/health ports), pods without an IP left out. Writes at most max
 * URLs; returns how many there are (may exceed max), or 0 for bad JSON. */
#define DTW_HCHECK_URL_MAX 96
size_t dtw_hcheck_k8s_pod_endpoints(const char *json, char (*urls)[DTW_HCHECK_URL_MAX],
                                    size_t max);

/* Fetch /api/v1/nodes and /api/v1/namespaces/<ns>/pods?labelSelector=<selector>
 * and evaluate them (HTTP and API errors become FAIL lines; a 403 on nodes,
 * which are cluster-scoped, is a skip). When urls is not NULL, the pods'
 * endpoints go there as dtw_hcheck_k8s_pod_endpoints and *n_urls is set. */
void dtw_hcheck_kubernetes(dtw_hcheck_report_t *r, const dtw_k8s_conn_t *c, const char *ns,
                           const char *selector, double timeout_s,
                           char (*urls)[DTW_HCHECK_URL_MAX], size_t max_urls, size_t *n_urls);

/* Standard base64 (padding optional, whitespace ignored) into a malloc'd
 * buffer. Returns 0 or DTW_EPARSE / DTW_ENOMEM. */
int dtw_base64_decode(const char *text, uint8_t **out, size_t *len);

#endif /* DTW_HEALTH_CHECK_H */
