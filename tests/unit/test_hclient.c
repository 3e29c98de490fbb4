/* Reaching the Kubernetes API (dtw/hclient.h): kubeconfigs and an in-cluster
 * service-account directory from tests/data/health, and base64. (HTTP GET
 * itself is exercised against a real server in test_health_check.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/hclient.h"

static char data_dir[1024];

static void test_kubeconfig(void **state) {
  (void)state;
  char path[1300], err[1024];
  dtw_k8s_conn_t c;
  snprintf(path, sizeof path, "%s/kubeconfig_token.yaml", data_dir);
  assert_int_equal(dtw_k8s_conn_from_kubeconfig(path, &c, err, sizeof err), 0);
  assert_string_equal(c.server, "https://10.0.0.1:6443"); /* trailing '/' dropped */
  assert_string_equal(c.token, "abc.def.ghi");
  assert_string_equal(c.ns, "dtwin-staging");
  assert_non_null(c.ca_pem);
  assert_null(c.ca_file);
  assert_non_null(strstr((const char *)c.ca_pem, "TESTCA"));
  assert_false(c.insecure);
  dtw_k8s_conn_fini(&c);

  snprintf(path, sizeof path, "%s/kubeconfig_cert.yaml", data_dir);
  assert_int_equal(dtw_k8s_conn_from_kubeconfig(path, &c, err, sizeof err), 0);
  assert_null(c.token);
  char want[1400];
  snprintf(want, sizeof want, "%s/certs/client.crt", data_dir);
  assert_string_equal(c.cert_file, want);
  snprintf(want, sizeof want, "%s/certs/client.key", data_dir);
  assert_string_equal(c.key_file, want);
  snprintf(want, sizeof want, "%s/serviceaccount/ca.crt", data_dir);
  assert_string_equal(c.ca_file, want);
  dtw_k8s_conn_fini(&c);

  snprintf(path, sizeof path, "%s/kubeconfig_exec.yaml", data_dir);
  assert_int_equal(dtw_k8s_conn_from_kubeconfig(path, &c, err, sizeof err), DTW_EUNSUP);
  assert_non_null(strstr(err, "exec"));
  snprintf(path, sizeof path, "%s/kubeconfig_nocontext.yaml", data_dir);
  assert_int_equal(dtw_k8s_conn_from_kubeconfig(path, &c, err, sizeof err), DTW_EPARSE);
  assert_non_null(strstr(err, "context 'missing' not found"));
  snprintf(path, sizeof path, "%s/no_such_kubeconfig.yaml", data_dir);
  assert_true(dtw_k8s_conn_from_kubeconfig(path, &c, err, sizeof err) < 0);

  /* in-cluster, from a service-account directory */
  snprintf(path, sizeof path, "%s/serviceaccount", data_dir);
  unsetenv("KUBERNETES_SERVICE_HOST");
  assert_int_equal(dtw_k8s_conn_in_cluster(path, &c, err, sizeof err), DTW_ENOENT);
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  assert_int_equal(dtw_k8s_conn_in_cluster(path, &c, err, sizeof err), 0);
  assert_string_equal(c.server, "https://10.96.0.1:443");
  assert_string_equal(c.token, "sa-token-123");
  assert_string_equal(c.ns, "dtwin");
  snprintf(want, sizeof want, "%s/ca.crt", path);
  assert_string_equal(c.ca_file, want);
  dtw_k8s_conn_fini(&c);
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  assert_int_equal(dtw_k8s_conn_in_cluster(path, &c, err, sizeof err), 0);
  assert_string_equal(c.server, "https://[fd00::1]:443");
  dtw_k8s_conn_fini(&c);
  unsetenv("KUBERNETES_SERVICE_HOST");
}


static void test_base64(void **state) {
  (void)state;
  uint8_t *out;
  size_t len;
  assert_int_equal(dtw_base64_decode("aGVsbG8gd29ybGQ=", &out, &len), 0);
  assert_int_equal(len, 11);
  assert_memory_equal(out, "hello world", 11);
  free(out);
  assert_int_equal(dtw_base64_decode("aGVs\nbG8", &out, &len), 0); /* no padding, newline */
  assert_int_equal(len, 5);
  assert_memory_equal(out, "hello", 5);
  free(out);
  assert_int_equal(dtw_base64_decode("", &out, &len), 0);
  assert_int_equal(len, 0);
  free(out);
  assert_int_equal(dtw_base64_decode("aGV*", &out, &len), DTW_EPARSE);
  assert_int_equal(dtw_base64_decode("a", &out, &len), DTW_EPARSE);
  assert_int_equal(dtw_base64_decode("aG=V", &out, &len), DTW_EPARSE);
}


static void test_escape(void **state) {
  (void)state;
  char *e = dtw_hclient_escape("app.kubernetes.io/name=dtwin,tier in (a b)~_-");
  assert_non_null(e);
  assert_string_equal(e, "app.kubernetes.io%2Fname%3Ddtwin%2Ctier%20in%20%28a%20b%29~_-");
  free(e);
  e = dtw_hclient_escape("\xc3\xa9");
  assert_string_equal(e, "%C3%A9");
  free(e);
}

int main(void) {
  const char *d = getenv("DTW_TEST_DATA");
  snprintf(data_dir, sizeof data_dir, "%s/health", d ? d : "tests/data");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kubeconfig),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_escape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
