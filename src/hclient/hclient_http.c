/* HTTP(S) GET with libcurl: plain URLs and the Kubernetes API (dtw/hclient.h).
 * The only file that includes curl.h; libcurl's global state is set up here,
 * once, on first use. */
#include "dtw/hclient.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

#define MAX_BODY (16u << 20)

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

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc = CURLE_FAILED_INIT;

static void global_init(void) { g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* A new easy handle, after libcurl's global init (once per process: the
 * global init is not safe to race, so it is ours, not the callers'). */
static CURL *new_handle(char *err, size_t errlen, int *rc) {
  pthread_once(&g_once, global_init);
  if (g_init_rc != CURLE_OK) {
    *rc = dtw_errf(err, errlen, DTW_EIO, "libcurl initialisation failed: %s",
                   curl_easy_strerror(g_init_rc));
    return NULL;
  }
  CURL *h = curl_easy_init();
  if (h == NULL) *rc = dtw_errf(err, errlen, DTW_ENOMEM, "curl: cannot create a handle");
  return h;
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

int dtw_hclient_get(const char *url, double timeout_s, long *status, char **body,
                        size_t *len, char *err, size_t errlen) {
  int rc;
  CURL *h = new_handle(err, errlen, &rc);
  if (h == NULL) return rc;
  rc = perform(h, url, timeout_s, status, body, len, err, errlen);
  curl_easy_cleanup(h);
  return rc;
}

int dtw_k8s_get(const dtw_k8s_conn_t *c, const char *path, double timeout_s, long *status,
                char **body, size_t *len, char *err, size_t errlen) {
  int rc;
  CURL *h = new_handle(err, errlen, &rc);
  if (h == NULL) return rc;
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

char *dtw_hclient_escape(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1), *o = out;
  if (out == NULL) return NULL;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  *o = '\0';
  return out;
}
