/* `dtwin health --kubernetes`: evaluating the API's NodeList / PodList (pure
 * functions of the JSON) and fetching them through dtw/hclient.h. */
#include "dtw/health_check.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/hclient.h"

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
  char *sel = dtw_hclient_escape(selector);
  char *nsq = dtw_hclient_escape(ns);
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
  free(sel);
  free(nsq);
}
