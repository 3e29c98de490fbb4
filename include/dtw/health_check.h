/* dtw/health_check.h - checking a running dtwin system from outside (`dtwin
 * health`): HTTP readiness of its endpoints, the DDS graph, metrics read off
 * /metrics, and optionally the Kubernetes API.
 *
 * Each check adds one line to a report: "ok|FAIL|skip <check>: <detail>". The
 * system is healthy when no check failed (skips pass: a metric nobody exports
 * is not a failure, it is said so).
 *
 * Library dtw_hcheck (src/hcheck): the checks and the report. What they use
 * lives below them: the Prometheus parser in dtw_metrics (dtw/metrics_parse.h),
 * HTTP and the Kubernetes API client in dtw_hclient (dtw/hclient.h). The
 * evaluation functions (metrics text, Kubernetes API responses) are pure
 * functions of their input and are unit tested with files.
 * Nothing here is meant for hot paths: functions allocate freely.
 * Not thread-safe per report; distinct reports may be used concurrently. */
#ifndef DTW_HEALTH_CHECK_H
#define DTW_HEALTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtw/bus.h"
#include "dtw/hclient.h"        /* HTTP and the Kubernetes API (dtw_hclient) */
#include "dtw/metrics_parse.h"  /* the Prometheus text parser (dtw_metrics) */

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

#endif /* DTW_HEALTH_CHECK_H */
