/* dtwin health's checks (dtw_hcheck): the metric checks, Kubernetes API
 * responses from tests/data/health, the report's text and JSON, and readiness /
 * metrics fetched from a real dtw_http server on a free port. The parser and
 * the client they use have their own tests: test_metrics_parse.c,
 * test_hclient.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/file.h"
#include "dtw/health_check.h"
#include "dtw/http.h"
#include "dtw/metrics.h"

static char data_dir[1024];

static char *slurp(const char *name) {
  char path[1300], err[1500];
  char *s = NULL;
  snprintf(path, sizeof path, "%s/%s", data_dir, name);
  if (dtw_file_read(path, 0, &s, NULL, err, sizeof err) != 0) fail_msg("%s", err);
  return s;
}

static const dtw_hcheck_item_t *last(const dtw_hcheck_report_t *r) {
  assert_true(r->n > 0);
  return &r->items[r->n - 1];
}

static void test_metric_checks(void **state) {
  (void)state;
  char *sim = slurp("metrics_sim.txt"), *sync = slurp("metrics_sync.txt"),
       *mon = slurp("metrics_monitor.txt");
  const char *urls[] = {"http://sim", "http://sync", "http://mon"};
  dtw_hcheck_report_t *r = calloc(1, sizeof *r);
  assert_non_null(r);

  const char *only_sim[] = {sim, NULL, NULL};
  dtw_hcheck_metrics(r, only_sim, urls, 3, "/twin/digital_twin", 0.9, "SYNCED");
  assert_int_equal(r->n, 2);
  assert_int_equal(r->items[0].status, DTW_HCHECK_OK);
  assert_non_null(strstr(r->items[0].detail, "1.00"));
  assert_int_equal(r->items[1].status, DTW_HCHECK_SKIP); /* no sync metric anywhere */
  assert_true(dtw_hcheck_ok(r));

  /* the robot emulator's rtf is too low; the sync node says DIVERGED (value 2) */
  memset(r, 0, sizeof *r);
  const char *all[] = {sim, sync, mon};
  dtw_hcheck_metrics(r, all, urls, 3, "/robot/robot_emulator", 0.9, "SYNCED,NO_DATA");
  assert_int_equal(r->items[0].status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(r->items[0].detail, "below 0.90"));
  assert_int_equal(r->items[1].status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(r->items[1].detail, "DIVERGED"));
  assert_non_null(strstr(r->items[1].detail, "http://sync"));
  assert_false(dtw_hcheck_ok(r));
  memset(r, 0, sizeof *r);
  dtw_hcheck_metrics(r, all, urls, 3, "/twin/digital_twin", 0.9, "any");
  assert_int_equal(r->items[1].status, DTW_HCHECK_OK);

  /* without the sync node, the monitor's view (state label = 1) counts */
  memset(r, 0, sizeof *r);
  const char *sim_mon[] = {sim, NULL, mon};
  dtw_hcheck_metrics(r, sim_mon, urls, 3, "/nobody", 0.9, "synced");
  assert_int_equal(r->items[0].status, DTW_HCHECK_SKIP);
  assert_non_null(strstr(r->items[0].detail, "/nobody"));
  assert_int_equal(r->items[1].status, DTW_HCHECK_OK);
  assert_non_null(strstr(r->items[1].detail, "dtwin_monitor_sync_state"));

  assert_true(dtw_hcheck_state_allowed("NO_DATA, SYNCED", "SYNCED"));
  assert_false(dtw_hcheck_state_allowed("NO_DATA,SYNCEDX", "SYNCED"));
  assert_false(dtw_hcheck_state_allowed("", "SYNCED"));
  free(r);
  free(sim);
  free(sync);
  free(mon);
}

static void test_k8s_eval(void **state) {
  (void)state;
  dtw_hcheck_report_t *r = calloc(1, sizeof *r);
  assert_non_null(r);
  char *j = slurp("nodes_ready.json");
  dtw_hcheck_k8s_nodes(r, j);
  free(j);
  assert_int_equal(last(r)->status, DTW_HCHECK_OK);
  assert_string_equal(last(r)->detail, "2/2 Ready");

  j = slurp("nodes_notready.json");
  dtw_hcheck_k8s_nodes(r, j);
  free(j);
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "1/3 Ready"));
  assert_non_null(strstr(last(r)->detail, "node-b (Ready=False: KubeletNotReady)"));
  assert_non_null(strstr(last(r)->detail, "node-c (Ready=Unknown"));
  assert_null(strstr(last(r)->detail, "node-a"));

  j = slurp("pods_ok.json");
  dtw_hcheck_k8s_pods(r, j, "dtwin", "app.kubernetes.io/name=dtwin");
  assert_int_equal(last(r)->status, DTW_HCHECK_OK);
  assert_non_null(strstr(last(r)->detail, "2/2 Running and Ready"));

  /* the pods' metrics/health ports (named *-http), IPv6 in brackets */
  char urls[4][DTW_HCHECK_URL_MAX];
  assert_int_equal(dtw_hcheck_k8s_pod_endpoints(j, urls, 4), 2);
  assert_string_equal(urls[0], "http://10.1.0.5:9101");
  assert_string_equal(urls[1], "http://[fd00::7]:9104");
  assert_int_equal(dtw_hcheck_k8s_pod_endpoints(j, urls, 1), 2); /* counts past max */
  assert_int_equal(dtw_hcheck_k8s_pod_endpoints("{not json", urls, 4), 0);
  free(j);

  j = slurp("pods_crashloop.json");
  dtw_hcheck_k8s_pods(r, j, "dtwin", "app=x");
  free(j);
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "1/3"));
  assert_non_null(strstr(last(r)->detail, "dtwin-sync-7f (Running, not ready"));
  assert_non_null(strstr(last(r)->detail, "CrashLoopBackOff"));
  assert_non_null(strstr(last(r)->detail, "restarted 5 times"));
  assert_non_null(strstr(last(r)->detail, "dtwin-bridge-1 (Pending"));

  j = slurp("pods_empty.json");
  dtw_hcheck_k8s_pods(r, j, "dtwin", "app=x");
  free(j);
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "no pod matches app=x in namespace dtwin"));

  j = slurp("status_forbidden.json");
  dtw_hcheck_k8s_nodes(r, j);
  free(j);
  assert_int_equal(last(r)->status, DTW_HCHECK_SKIP);
  assert_non_null(strstr(last(r)->detail, "not allowed to list nodes"));
  /* any other API error on nodes still fails */
  dtw_hcheck_k8s_nodes(r, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd timeout\"}");
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "etcd timeout"));

  dtw_hcheck_k8s_pods(r, "{not json", "dtwin", "app=x");
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "not JSON"));
  free(r);
}

static void test_report_output(void **state) {
  (void)state;
  dtw_hcheck_report_t *r = calloc(1, sizeof *r);
  assert_non_null(r);
  dtw_hcheck_add(r, DTW_HCHECK_OK, "readyz http://x", "ready");
  dtw_hcheck_add(r, DTW_HCHECK_SKIP, "sync state", "not \"exported\"");
  assert_true(dtw_hcheck_ok(r));
  dtw_hcheck_add(r, DTW_HCHECK_FAIL, "node /a", "missing");
  assert_false(dtw_hcheck_ok(r));
  assert_int_equal(dtw_hcheck_count(r, DTW_HCHECK_SKIP), 1);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  dtw_hcheck_print_text(r, f);
  fclose(f);
  assert_string_equal(buf, "ok readyz http://x: ready\nskip sync state: not \"exported\"\n"
                           "FAIL node /a: missing\n");
  free(buf);
  f = open_memstream(&buf, &len);
  assert_int_equal(dtw_hcheck_print_json(r, f), 0);
  fclose(f);
  assert_non_null(strstr(buf, "\"ok\":false"));
  assert_non_null(strstr(buf, "{\"name\":\"sync state\",\"ok\":true,\"skipped\":true,"
                              "\"detail\":\"not \\\"exported\\\"\"}"));
  assert_non_null(strstr(buf, "{\"name\":\"node /a\",\"ok\":false"));
  free(buf);
  /* the report is bounded */
  for (int i = 0; i < DTW_HCHECK_MAX + 5; i++) dtw_hcheck_add(r, DTW_HCHECK_OK, "x", "%d", i);
  assert_int_equal(r->n, DTW_HCHECK_MAX);
  free(r);
}

static void test_endpoint(void **state) {
  (void)state;
  dtw_metrics_t *reg;
  dtw_health_t *h;
  dtw_http_server_t *srv;
  char err[512];
  assert_int_equal(dtw_metrics_create(&reg), 0);
  assert_int_equal(dtw_health_create(&h), 0);
  dtw_gauge_set(dtw_metrics_gauge(reg, "dtwin_real_time_factor", "rtf", "node",
                                  "/twin/digital_twin"),
                0.97);
  dtw_health_ready_t *ready = dtw_health_add_ready(h, "/twin/digital_twin: model loaded");
  dtw_http_opts_t o = {0};
  o.registry = reg;
  o.health = h;
  assert_int_equal(dtw_http_server_start(&o, &srv, err, sizeof err), 0);
  char url[256]; /* the server owns its URL: keep a copy for after it stops */
  snprintf(url, sizeof url, "%s", dtw_http_server_url(srv));
  dtw_hcheck_report_t *r = calloc(1, sizeof *r);
  assert_non_null(r);
  char *metrics = NULL;

  dtw_hcheck_endpoint(r, url, 2.0, &metrics);
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "HTTP 503"));
  assert_non_null(strstr(last(r)->detail, "unready /twin/digital_twin: model loaded"));
  assert_non_null(metrics);
  free(metrics);

  dtw_health_set_ready(ready, true);
  char slash_url[300];
  snprintf(slash_url, sizeof slash_url, "%s/", url); /* a trailing '/' is fine */
  dtw_hcheck_endpoint(r, slash_url, 2.0, &metrics);
  assert_int_equal(last(r)->status, DTW_HCHECK_OK);
  char name[400];
  snprintf(name, sizeof name, "readyz %s", url);
  assert_string_equal(last(r)->name, name);
  assert_non_null(metrics);
  const char *texts[] = {metrics};
  const char *urls[] = {url};
  dtw_hcheck_metrics(r, texts, urls, 1, "/twin/digital_twin", 0.9, "SYNCED");
  assert_int_equal(r->items[r->n - 2].status, DTW_HCHECK_OK);
  free(metrics);

  long status;
  char *body;
  char u[400];
  snprintf(u, sizeof u, "%s/nothing", url);
  assert_int_equal(dtw_hclient_get(u, 2.0, &status, &body, NULL, err, sizeof err), 0);
  assert_int_equal(status, 404);
  free(body);
  dtw_http_server_stop(srv);

  /* nobody listens any more: a FAIL naming the connection problem, quickly */
  dtw_hcheck_endpoint(r, url, 2.0, NULL);
  assert_int_equal(last(r)->status, DTW_HCHECK_FAIL);
  assert_non_null(strstr(last(r)->detail, "/readyz"));
  free(r);
  dtw_health_destroy(h);
  dtw_metrics_destroy(reg);
}

int main(void) {
  const char *d = getenv("DTW_TEST_DATA");
  snprintf(data_dir, sizeof data_dir, "%s/health", d ? d : "tests/data");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_metric_checks),
      cmocka_unit_test(test_k8s_eval),
      cmocka_unit_test(test_report_output),
      cmocka_unit_test(test_endpoint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
