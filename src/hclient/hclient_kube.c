/* Reaching the Kubernetes API: in-cluster service account or a kubeconfig
 * (dtw/hclient.h), and the base64 its *-data fields use. No I/O but files. */
#include "dtw/hclient.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/yaml.h"

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
