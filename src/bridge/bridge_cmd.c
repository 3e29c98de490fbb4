/* System commands of the ROS-TCP-Endpoint protocol: parsing the JSON Unity
 * sends, writing the JSON the server sends. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dtw/bridge.h"
#include "dtw/err.h"

typedef struct cmd_spec {
  const char *name;
  bool topic, message_name, srv_id;
} cmd_spec_t;

static const cmd_spec_t k_cmds[DTW_BRIDGE_CMD_COUNT] = {
    [DTW_BRIDGE_CMD_NONE] = {"", false, false, false},
#define DTW__BRIDGE_CMD_SPEC(e, n, t, m, s) [DTW_BRIDGE_CMD_##e] = {n, t, m, s},
    DTW_BRIDGE_CMD_MAP(DTW__BRIDGE_CMD_SPEC)
#undef DTW__BRIDGE_CMD_SPEC
};

int dtw_bridge_cmd_lookup(const char *dest, size_t dest_len) {
  if (dest_len < 2 || dest[0] != '_' || dest[1] != '_') return DTW_BRIDGE_CMD_NONE;
  for (int k = 1; k < DTW_BRIDGE_CMD_COUNT; k++) {
    if (strlen(k_cmds[k].name) == dest_len && memcmp(k_cmds[k].name, dest, dest_len) == 0)
      return k;
  }
  return DTW_EUNSUP;
}

const char *dtw_bridge_cmd_name(int kind) {
  if (kind <= 0 || kind >= DTW_BRIDGE_CMD_COUNT) return "";
  return k_cmds[kind].name;
}

/* Copy a string member: 1 copied, 0 absent, < 0 mistyped or too long. */
static int get_string(const cJSON *obj, const char *key, char *out, size_t cap, char *err,
                      size_t errlen) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (item == NULL) return 0;
  if (!cJSON_IsString(item) || item->valuestring == NULL)
    return dtw_errf(err, errlen, DTW_EPARSE, "\"%s\" is not a string", key);
  size_t n = strlen(item->valuestring);
  if (n >= cap)
    return dtw_errf(err, errlen, DTW_EPARSE, "\"%s\" is longer than %zu bytes", key, cap - 1);
  memcpy(out, item->valuestring, n + 1);
  return 1;
}

int dtw_bridge_cmd_parse(const char *dest, size_t dest_len, const uint8_t *payload, size_t len,
                         dtw_bridge_cmd_t *out, char *err, size_t errlen) {
  int kind = dtw_bridge_cmd_lookup(dest, dest_len);
  if (kind == DTW_BRIDGE_CMD_NONE)
    return dtw_errf(err, errlen, DTW_EINVAL, "'%.*s' is not a system command",
                    (int)(dest_len > 64 ? 64 : dest_len), dest);
  if (kind < 0)
    return dtw_errf(err, errlen, DTW_EUNSUP, "unknown command '%.*s'",
                    (int)(dest_len > 64 ? 64 : dest_len), dest);
  memset(out, 0, sizeof *out);
  out->kind = (dtw_bridge_cmd_kind_t)kind;
  const cmd_spec_t *spec = &k_cmds[kind];
  if (len > 0 && payload[len - 1] == '\0') len--; /* Unity's trailing NUL */
  if (len == 0) {
    if (spec->topic || spec->message_name || spec->srv_id)
      return dtw_errf(err, errlen, DTW_EPARSE, "%s: empty body", spec->name);
    return 0;
  }
  if (memchr(payload, '\0', len) != NULL)
    return dtw_errf(err, errlen, DTW_EPARSE, "%s: body holds a NUL byte", spec->name);
  int rc = 0;
  cJSON *root = cJSON_ParseWithLength((const char *)payload, len);
  if (root == NULL) return dtw_errf(err, errlen, DTW_EPARSE, "%s: body is not JSON", spec->name);
  if (!cJSON_IsObject(root)) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: body is not a JSON object", spec->name);
    goto out;
  }
  if (spec->topic) {
    rc = get_string(root, "topic", out->topic, sizeof out->topic, err, errlen);
    if (rc == 0) rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: no \"topic\"", spec->name);
    if (rc < 0) goto out;
    if (out->topic[0] == '\0') {
      rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: empty \"topic\"", spec->name);
      goto out;
    }
  }
  if (spec->message_name) {
    rc = get_string(root, "message_name", out->message_name, sizeof out->message_name, err,
                    errlen);
    if (rc == 0) rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: no \"message_name\"", spec->name);
    if (rc < 0) goto out;
  }
  if (spec->srv_id) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "srv_id");
    double v = cJSON_IsNumber(id) ? id->valuedouble : -1.0;
    /* an integer in [0, 2^53]: ids are counters */
    if (!cJSON_IsNumber(id) || !isfinite(v) || v < 0 || v > 9007199254740992.0 ||
        v != floor(v)) {
      rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: \"srv_id\" missing or not an integer >= 0",
                    spec->name);
      goto out;
    }
    out->srv_id = (int64_t)v;
  }
  if (kind == DTW_BRIDGE_CMD_PUBLISH) {
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "queue_size");
    if (cJSON_IsNumber(q) && isfinite(q->valuedouble) && q->valuedouble >= 0 &&
        q->valuedouble < 1e9)
      out->queue_size = (int64_t)q->valuedouble;
    out->latch = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "latch"));
  }
  rc = 0;
out:
  cJSON_Delete(root);
  return rc;
}

int dtw_bridge_type_canonical(const char *name, bool service, char *out, size_t outlen) {
  const char *s1 = strchr(name, '/');
  if (s1 == NULL || s1 == name || s1[1] == '\0') return DTW_EPARSE;
  const char *s2 = strchr(s1 + 1, '/');
  int n;
  if (s2 == NULL) {
    n = snprintf(out, outlen, "%.*s/%s/%s", (int)(s1 - name), name, service ? "srv" : "msg",
                 s1 + 1);
  } else {
    if (s2 == s1 + 1 || s2[1] == '\0' || strchr(s2 + 1, '/') != NULL) return DTW_EPARSE;
    n = snprintf(out, outlen, "%s", name);
  }
  if (n < 0 || (size_t)n >= outlen) return DTW_EFULL;
  return 0;
}

int dtw_bridge_type_short(const char *name, char *out, size_t outlen) {
  const char *s1 = strchr(name, '/');
  const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
  int n;
  if (s2 != NULL && strchr(s2 + 1, '/') == NULL)
    n = snprintf(out, outlen, "%.*s/%s", (int)(s1 - name), name, s2 + 1);
  else
    n = snprintf(out, outlen, "%s", name);
  if (n < 0 || (size_t)n >= outlen) return DTW_EFULL;
  return 0;
}

/* Print a cJSON tree into out without allocating the result twice. */
static int print_json(cJSON *root, char *out, size_t cap) {
  if (root == NULL) return DTW_ENOMEM;
  int rc = DTW_EFULL;
  if (cap <= INT32_MAX && cJSON_PrintPreallocated(root, out, (int)cap, false)) rc = (int)strlen(out);
  cJSON_Delete(root);
  return rc;
}

int dtw_bridge_json_handshake(char *out, size_t cap) {
  cJSON *root = cJSON_CreateObject();
  if (root == NULL || !cJSON_AddStringToObject(root, "version", DTW_BRIDGE_PROTOCOL_VERSION) ||
      !cJSON_AddStringToObject(root, "metadata", "{\"protocol\": \"ROS2\"}")) {
    cJSON_Delete(root);
    return DTW_ENOMEM;
  }
  return print_json(root, out, cap);
}

int dtw_bridge_json_text(char *out, size_t cap, const char *text) {
  cJSON *root = cJSON_CreateObject();
  if (root == NULL || !cJSON_AddStringToObject(root, "text", text ? text : "")) {
    cJSON_Delete(root);
    return DTW_ENOMEM;
  }
  return print_json(root, out, cap);
}

int dtw_bridge_json_srv_id(char *out, size_t cap, int64_t srv_id) {
  int n = snprintf(out, cap, "{\"srv_id\":%" PRId64 "}", srv_id);
  if (n < 0 || (size_t)n >= cap) return DTW_EFULL;
  return n;
}

int dtw_bridge_json_topic_list(const char *const *topics, const char *const *types, size_t n,
                               char **out, size_t *len) {
  char shortname[DTW_BRIDGE_NAME_MAX];
  cJSON *root = cJSON_CreateObject();
  cJSON *jt = root ? cJSON_AddArrayToObject(root, "topics") : NULL;
  cJSON *jy = root ? cJSON_AddArrayToObject(root, "types") : NULL;
  if (jt == NULL || jy == NULL) goto nomem;
  for (size_t i = 0; i < n; i++) {
    if (dtw_bridge_type_short(types[i], shortname, sizeof shortname) < 0)
      snprintf(shortname, sizeof shortname, "%s", "");
    cJSON *a = cJSON_CreateString(topics[i]);
    if (a == NULL || !cJSON_AddItemToArray(jt, a)) {
      cJSON_Delete(a);
      goto nomem;
    }
    cJSON *b = cJSON_CreateString(shortname);
    if (b == NULL || !cJSON_AddItemToArray(jy, b)) {
      cJSON_Delete(b);
      goto nomem;
    }
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (text == NULL) return DTW_ENOMEM;
  /* hand out a buffer from our allocator: cJSON's may differ */
  size_t l = strlen(text);
  *out = malloc(l + 1);
  if (*out == NULL) {
    cJSON_free(text);
    return DTW_ENOMEM;
  }
  memcpy(*out, text, l + 1);
  cJSON_free(text);
  *len = l;
  return 0;
nomem:
  cJSON_Delete(root);
  return DTW_ENOMEM;
}
