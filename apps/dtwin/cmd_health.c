/* dtwin health - check a running system: readiness endpoints, the DDS graph,
 * real-time factor and sync state from /metrics, optionally Kubernetes. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "dtw/clock.h"
#include "dtw/health_check.h"
#include "dtw/monitor_node.h"
#include "dtw/sync.h"
#include "process.h"

const char dtwin_usage_health[] =
    "usage: dtwin health [--endpoint URL]... [--expect-node NAME]... [--no-graph]\n"
    "                    [--discovery-timeout S] [--timeout S] [--twin-node NAME] [--min-rtf X]\n"
    "                    [--allow-sync-state LIST] [--kubernetes [--kubeconfig FILE]\n"
    "                    [--namespace NS] [--selector SEL]] [--wait S] [--json]\n"
    "\n"
    "Checks a running dtwin system and prints one line per check, `ok|FAIL|skip <check>: "
    "<detail>`:\n"
    "  readyz       GET <endpoint>/readyz answers 200 for every --endpoint\n"
    "  node         each expected ROS 2 node is on the DDS graph (dtwin.ros_domain_id)\n"
    "  real-time factor  dtwin_real_time_factor{node=<twin node>} >= --min-rtf\n"
    "  sync state   dtwin_sync_state (or the monitor's view of it) is allowed\n"
    "  kubernetes   nodes Ready; the twin's pods Running and Ready (with --kubernetes)\n"
    "A metric no endpoint exports gives a `skip` line. Fast enough for a container\n"
    "HEALTHCHECK (well under 5 s with the defaults on a healthy system).\n"
    "\n"
    "  --endpoint URL           a node's HTTP endpoint, repeatable (default http://127.0.0.1:9100;\n"
    "                           with --kubernetes: every port named *-http of the pods)\n"
    "  --expect-node NAME       fully qualified node name, repeatable (default: the\n"
    "                           setting monitor.expected_nodes, which is\n"
    "                           " DTW_MONITOR_DEFAULT_NODES ")\n"
    "  --no-graph               do not join DDS (no node checks)\n"
    "  --discovery-timeout S    wait this long for the nodes (default 3)\n"
    "  --timeout S              per HTTP request (default 2)\n"
    "  --twin-node NAME         node label of the twin's real-time factor (default /twin/digital_twin)\n"
    "  --min-rtf X              lowest acceptable real-time factor (default 0.9)\n"
    "  --allow-sync-state LIST  comma-separated NO_DATA,SYNCED,DIVERGED,STALE,FAULT,DEGRADED or any\n"
    "                           (default SYNCED)\n"
    "  --kubernetes             also check the cluster: in-cluster service account, or --kubeconfig\n"
    "  --kubeconfig FILE        kubeconfig (default $KUBECONFIG; token or client certificate)\n"
    "  --namespace NS           namespace of the twin's pods (default dtwin)\n"
    "  --selector SEL           label selector of the twin's pods\n"
    "                           (default app.kubernetes.io/name=dtwin: the twin's pods)\n"
    "  --wait S                 repeat the checks every 2 s until all pass or S seconds\n"
    "                           have gone (a deploy gate); the last round is printed\n"
    "  --json                   print one JSON object {\"ok\":..,\"checks\":[..]} instead\n"
    "\n"
    "Exit codes: 0 every check passed, 1 a check failed, 2 bad options.\n";

#define MAX_LIST 32

typedef struct health_opts {
  const char *endpoints[MAX_LIST];
  size_t n_endpoints;
  const char *nodes[MAX_LIST];
  size_t n_nodes;
  bool no_graph, kubernetes, json;
  double discovery_timeout_s, timeout_s, min_rtf, wait_s;
  const char *twin_node, *allowed, *kubeconfig, *ns, *selector;
  dtw_monitor_node_settings_t monitor; /* expected nodes when no --expect-node */
} health_opts_t;

/* --min-rtf: a number, not a duration */
static int parse_number(dtwin_cli_t *cli, const char *opt, const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || v < 0)
    return dtwin_usage_error(cli, "%s needs a number >= 0, not '%s'", opt, text);
  *out = v;
  return 0;
}

static int on_option(dtwin_cli_t *cli, int c, const char *arg, void *user) {
  health_opts_t *o = user;
  switch (c) {
  case 'e':
    if (o->n_endpoints >= MAX_LIST) return dtwin_usage_error(cli, "too many --endpoint");
    if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0)
      return dtwin_usage_error(cli, "--endpoint needs an http:// or https:// URL, not '%s'", arg);
    o->endpoints[o->n_endpoints++] = arg;
    return 0;
  case 'n':
    if (o->n_nodes >= MAX_LIST) return dtwin_usage_error(cli, "too many --expect-node");
    if (arg[0] == '\0') return dtwin_usage_error(cli, "--expect-node needs a node name");
    o->nodes[o->n_nodes++] = arg;
    return 0;
  case 'G': o->no_graph = true; return 0;
  case 'D': return dtwin_parse_seconds(cli, "--discovery-timeout", arg, &o->discovery_timeout_s);
  case 'T': return dtwin_parse_seconds(cli, "--timeout", arg, &o->timeout_s);
  case 'r': return parse_number(cli, "--min-rtf", arg, &o->min_rtf);
  case 'w': o->twin_node = arg; return 0;
  case 'a': o->allowed = arg; return 0;
  case 'k': o->kubernetes = true; return 0;
  case 'K': o->kubeconfig = arg; o->kubernetes = true; return 0;
  case 'N': o->ns = arg; return 0;
  case 'S': o->selector = arg; return 0;
  case 'j': o->json = true; return 0;
  case 'W': return dtwin_parse_seconds(cli, "--wait", arg, &o->wait_s);
  default: return dtwin_usage_error(cli, "unknown or incomplete option '%s'", cli->argv[optind - 1]);
  }
}

/* Every sync state, comma-separated (dtw/sync.h's table). */
static const char *sync_state_list(void) {
  static char list[160];
  size_t len = 0;
  for (int k = 0; k < DTW_SYNC_STATE_COUNT && len < sizeof list; k++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? "," : "",
                            dtw_sync_state_name(k));
  return list;
}

static int parse_opts(dtwin_cli_t *cli, health_opts_t *o) {
  static const struct option opts[] = {{"endpoint", required_argument, NULL, 'e'},
                                       {"expect-node", required_argument, NULL, 'n'},
                                       {"no-graph", no_argument, NULL, 'G'},
                                       {"discovery-timeout", required_argument, NULL, 'D'},
                                       {"timeout", required_argument, NULL, 'T'},
                                       {"twin-node", required_argument, NULL, 'w'},
                                       {"min-rtf", required_argument, NULL, 'r'},
                                       {"allow-sync-state", required_argument, NULL, 'a'},
                                       {"kubernetes", no_argument, NULL, 'k'},
                                       {"kubeconfig", required_argument, NULL, 'K'},
                                       {"namespace", required_argument, NULL, 'N'},
                                       {"selector", required_argument, NULL, 'S'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"wait", required_argument, NULL, 'W'},
                                       {NULL, 0, NULL, 0}};
  *o = (health_opts_t){.discovery_timeout_s = 3, .timeout_s = 2, .min_rtf = 0.9,
                       .twin_node = "/twin/digital_twin", .allowed = "SYNCED", .ns = "dtwin",
                       .selector = "app.kubernetes.io/name=dtwin"};
  int rc = dtwin_parse_options(cli, opts, on_option, o);
  if (rc != 0) return rc;
  /* every item of the list must be a state or "any" */
  char list[256];
  snprintf(list, sizeof list, "%s", o->allowed);
  for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
    if (!dtw_hcheck_state_allowed(sync_state_list(), tok) && strcasecmp(tok, "any") != 0)
      return dtwin_usage_error(cli, "--allow-sync-state: unknown state '%s' (%s or any)", tok,
                               sync_state_list());
  /* with --kubernetes the pods' own endpoints are found through the API */
  if (o->n_endpoints == 0 && !o->kubernetes) o->endpoints[o->n_endpoints++] = "http://127.0.0.1:9100";
  if (o->n_nodes == 0) {
    /* the nodes the monitor expects (monitor.expected_nodes of --config) */
    if ((rc = dtwin_get_settings(cli, "monitor", &o->monitor)) != 0) return rc;
    for (char *save = NULL, *tok = strtok_r(o->monitor.expected_nodes, " ", &save);
         tok && o->n_nodes < MAX_LIST; tok = strtok_r(NULL, " ", &save))
      o->nodes[o->n_nodes++] = tok;
  }
  return 0;
}

static void check_kubernetes(dtw_hcheck_report_t *r, const health_opts_t *o,
                             char (*urls)[DTW_HCHECK_URL_MAX], size_t *n_urls) {
  *n_urls = 0;
  dtw_k8s_conn_t conn;
  char err[1024];
  int rc;
  const char *path = o->kubeconfig;
  char first[1024];
  if (path == NULL && getenv("KUBECONFIG") != NULL && getenv("KUBECONFIG")[0] != '\0') {
    /* KUBECONFIG may list several files; the first one is used */
    snprintf(first, sizeof first, "%s", getenv("KUBECONFIG"));
    first[strcspn(first, ":")] = '\0';
    path = first;
  }
  if (path != NULL)
    rc = dtw_k8s_conn_from_kubeconfig(path, &conn, err, sizeof err);
  else
    rc = dtw_k8s_conn_in_cluster(NULL, &conn, err, sizeof err);
  if (rc < 0) {
    dtw_hcheck_add(r, DTW_HCHECK_FAIL, "kubernetes", "%s", err);
    return;
  }
  dtw_hcheck_kubernetes(r, &conn, o->ns, o->selector, o->timeout_s, urls, MAX_LIST, n_urls);
  dtw_k8s_conn_fini(&conn);
}

/* One round of every check into r (emptied first). */
static void run_checks(const health_opts_t *o, dtw_bus_t *bus, dtw_hcheck_report_t *r) {
  char *texts[MAX_LIST] = {0};
  char pod_urls[MAX_LIST][DTW_HCHECK_URL_MAX];
  const char *endpoints[MAX_LIST];
  size_t n_endpoints = o->n_endpoints;
  memset(r, 0, sizeof *r);
  for (size_t i = 0; i < n_endpoints; i++) endpoints[i] = o->endpoints[i];
  if (o->kubernetes) {
    size_t n_pod_urls = 0;
    check_kubernetes(r, o, pod_urls, &n_pod_urls);
    if (o->n_endpoints == 0)
      for (n_endpoints = 0; n_endpoints < n_pod_urls; n_endpoints++)
        endpoints[n_endpoints] = pod_urls[n_endpoints];
  }
  for (size_t i = 0; i < n_endpoints; i++)
    dtw_hcheck_endpoint(r, endpoints[i], o->timeout_s, &texts[i]);
  if (!o->no_graph) {
    if (bus == NULL)
      dtw_hcheck_add(r, DTW_HCHECK_FAIL, "dds graph", "cannot join the DDS domain");
    else
      dtw_hcheck_graph(r, bus, o->nodes, o->n_nodes, o->discovery_timeout_s);
  }
  dtw_hcheck_metrics(r, (const char *const *)texts, endpoints, n_endpoints, o->twin_node,
                     o->min_rtf, o->allowed);
  for (size_t i = 0; i < n_endpoints; i++) free(texts[i]);
}

/* The names of the failing checks, for the progress line of --wait. */
static void failing_names(const dtw_hcheck_report_t *r, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->n && len + 1 < cap; i++)
    if (r->items[i].status == DTW_HCHECK_FAIL) {
      int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", r->items[i].name);
      if (n < 0) break;
      len = len + (size_t)n < cap ? len + (size_t)n : cap - 1;
    }
}

int dtwin_cmd_health(dtwin_cli_t *cli) {
  health_opts_t o;
  int rc = parse_opts(cli, &o);
  if (rc != 0) return rc;
  dtw_hcheck_report_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    fprintf(stderr, "dtwin %s: out of memory\n", cli->cmd_name);
    return DTWIN_EXIT_FAILURE;
  }
  /* one participant for every round: what it discovered carries over */
  dtw_bus_t *bus = NULL;
  if (!o.no_graph && dtwin_bus_open(cli, &bus) != 0) bus = NULL;

  const int64_t retry_ns = 2 * DTW_NS_PER_S;
  const int64_t deadline = dtw_clock_mono_ns() + (int64_t)(o.wait_s * 1e9);
  for (int round = 1;; round++) {
    run_checks(&o, bus, r);
    if (dtw_hcheck_ok(r) || dtw_clock_mono_ns() + retry_ns > deadline) break;
    char names[512];
    failing_names(r, names, sizeof names);
    fprintf(stderr, "dtwin %s: round %d failed (%s); retrying for %.0f s more\n", cli->cmd_name,
            round, names, (double)(deadline - dtw_clock_mono_ns()) * 1e-9);
    dtw_clock_sleep_ns(retry_ns);
  }

  if (o.json)
    dtw_hcheck_print_json(r, stdout);
  else
    dtw_hcheck_print_text(r, stdout);
  int exit_code = dtw_hcheck_ok(r) ? DTWIN_EXIT_OK : DTWIN_EXIT_FAILURE;
  if (bus != NULL) dtw_bus_destroy(bus);
  free(r);
  return exit_code;
}
