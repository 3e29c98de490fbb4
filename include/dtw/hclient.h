/* dtw/hclient.h - a small HTTP(S) client (libcurl) and how to reach the
 * Kubernetes API with it: for tools that look at a running system from
 * outside (`dtwin health`), never for nodes (no node links this library).
 *
 * libcurl's process-wide initialisation is done here, once, on the first
 * request (callers do not call curl_global_init); its global state lives
 * until the process exits.
 *
 * Memory: bodies and connection fields are malloc'd and owned by the caller
 * (free() / dtw_k8s_conn_fini). Threads: every function may be called from
 * any thread; a dtw_k8s_conn_t is read-only once built and may be shared.
 * Errors: 0 or a negative DTW_E* code with one line in err. Requests block
 * for at most their timeout; nothing here is meant for hot paths. */
#ifndef DTW_HCLIENT_H
#define DTW_HCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- HTTP ----------------------------------------------------------------------------------- */

/* GET url (http or https) with a total timeout. On a completed exchange
 * returns 0 with *status (HTTP code) and *body (malloc'd, NUL-terminated,
 * caller frees; at most 16 MiB) and *len (len may be NULL); DTW_EIO with
 * curl's reason (refused, timed out...) otherwise, DTW_ENOMEM. */
int dtw_hclient_get(const char *url, double timeout_s, long *status, char **body, size_t *len,
                    char *err, size_t errlen);

/* s percent-encoded for a URL's query or path (every byte but A-Z a-z 0-9
 * - . _ ~ becomes %XX, as curl_easy_escape does), malloc'd (free() it), or
 * NULL when out of memory. */
char *dtw_hclient_escape(const char *s);

/* ---- Kubernetes API ------------------------------------------------------------------------- */

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
/* GET server + path (e.g. "/api/v1/nodes") with the conn's credentials and
 * CA; as dtw_hclient_get. */
int dtw_k8s_get(const dtw_k8s_conn_t *c, const char *path, double timeout_s, long *status,
                char **body, size_t *len, char *err, size_t errlen);

/* Standard base64 (padding optional, whitespace ignored) into a malloc'd
 * buffer (NUL-terminated past *len). Returns 0 or DTW_EPARSE / DTW_ENOMEM. */
int dtw_base64_decode(const char *text, uint8_t **out, size_t *len);

#endif /* DTW_HCLIENT_H */
