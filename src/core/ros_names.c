/* ROS 2 name rules and the ROS <-> DDS name mapping (see dtw/ros_names.h). */
#include "dtw/ros_names.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

/* Copy src into out or fail with DTW_ERANGE: outputs are never truncated. */
static int copy_out(char *out, size_t outlen, const char *src, const char *what, char *err,
                    size_t errlen) {
  size_t n = strlen(src);
  if (out == NULL || n + 1 > outlen)
    return dtw_errf(err, errlen, DTW_ERANGE, "%s '%s': does not fit in %zu bytes", what, src,
                    outlen);
  memcpy(out, src, n + 1);
  return 0;
}

/* Shared token rules for full and relative names; `what` names the input in
 * messages. Checks characters, "//", trailing '/', digit-led tokens. */
static int check_tokens(const char *what, const char *name, char *err, size_t errlen) {
  size_t n = strlen(name);
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c == '~')
      return dtw_errf(err, errlen, DTW_EUNSUP,
                      "%s '%s': '~' (private namespace) substitution is not supported (at %zu)",
                      what, name, i);
    if (c == '{' || c == '}')
      return dtw_errf(err, errlen, DTW_EUNSUP,
                      "%s '%s': '{}' substitutions are not supported (at %zu)", what, name, i);
    if (!is_ident_char(c) && c != '/')
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "%s '%s': must not contain characters other than alphanumerics, '_' or "
                      "'/' (at %zu)",
                      what, name, i);
  }
  for (size_t i = 0; i < n; i++) {
    if (name[i] == '/' && name[i + 1] == '/')
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "%s '%s': must not contain repeated '/' (at %zu)", what, name, i + 1);
  }
  if (n > 1 && name[n - 1] == '/')
    return dtw_errf(err, errlen, DTW_EINVAL, "%s '%s': must not end with '/' (at %zu)", what,
                    name, n - 1);
  for (size_t i = 0; i < n; i++) {
    bool token_start = (i == 0 || name[i - 1] == '/');
    if (token_start && is_digit(name[i]))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "%s '%s': a token must not start with a number (at %zu)", what, name, i);
  }
  return 0;
}

int dtw_ros_validate_full_name(const char *name, char *err, size_t errlen) {
  if (name == NULL || name[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "topic name must not be empty");
  if (name[0] != '/')
    return dtw_errf(err, errlen, DTW_EINVAL, "topic name '%s': must be absolute (lead with '/')",
                    name);
  if (strcmp(name, "/") == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "topic name '/': must not end with '/' (at 0)");
  int rc = check_tokens("topic name", name, err, errlen);
  if (rc < 0) return rc;
  size_t n = strlen(name);
  if (n > DTW_ROS_TOPIC_MAX_LEN)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "topic name '%.40s...': length %zu exceeds %d", name, n,
                    DTW_ROS_TOPIC_MAX_LEN);
  return 0;
}

int dtw_ros_validate_name(const char *name, char *err, size_t errlen) {
  if (name == NULL || name[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "topic name must not be empty");
  if (name[0] == '/') return dtw_ros_validate_full_name(name, err, errlen);
  int rc = check_tokens("topic name", name, err, errlen);
  if (rc < 0) return rc;
  if (strlen(name) > DTW_ROS_TOPIC_MAX_LEN)
    return dtw_errf(err, errlen, DTW_EINVAL, "topic name '%.40s...': length %zu exceeds %d",
                    name, strlen(name), DTW_ROS_TOPIC_MAX_LEN);
  return 0;
}

int dtw_ros_validate_node_name(const char *name, char *err, size_t errlen) {
  if (name == NULL || name[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "node name must not be empty");
  size_t n = strlen(name);
  for (size_t i = 0; i < n; i++) {
    if (!is_ident_char(name[i]))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "node name '%s': must not contain characters other than alphanumerics or "
                      "'_' (at %zu)",
                      name, i);
  }
  if (is_digit(name[0]))
    return dtw_errf(err, errlen, DTW_EINVAL, "node name '%s': must not start with a number",
                    name);
  if (n > DTW_ROS_NODE_NAME_MAX_LEN)
    return dtw_errf(err, errlen, DTW_EINVAL, "node name '%.40s...': length %zu exceeds %d", name,
                    n, DTW_ROS_NODE_NAME_MAX_LEN);
  return 0;
}

int dtw_ros_validate_namespace(const char *ns, char *err, size_t errlen) {
  if (ns == NULL || ns[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "namespace must not be empty");
  if (ns[0] != '/')
    return dtw_errf(err, errlen, DTW_EINVAL, "namespace '%s': must be absolute (lead with '/')",
                    ns);
  if (strcmp(ns, "/") == 0) return 0;
  int rc = check_tokens("namespace", ns, err, errlen);
  if (rc < 0) return rc;
  if (strlen(ns) > DTW_ROS_NAMESPACE_MAX_LEN)
    return dtw_errf(err, errlen, DTW_EINVAL, "namespace '%.40s...': length %zu exceeds %d", ns,
                    strlen(ns), DTW_ROS_NAMESPACE_MAX_LEN);
  return 0;
}

int dtw_ros_expand_name(const char *name, const char *ns, char *out, size_t outlen, char *err,
                        size_t errlen) {
  char buf[2 * DTW_ROS_NAME_BUF];
  int rc = dtw_ros_validate_name(name, err, errlen);
  if (rc < 0) return rc;
  if (name[0] == '/') {
    snprintf(buf, sizeof buf, "%s", name);
  } else {
    rc = dtw_ros_validate_namespace(ns, err, errlen);
    if (rc < 0) return rc;
    /* the root namespace must not produce "//name" */
    snprintf(buf, sizeof buf, "%s/%s", strcmp(ns, "/") == 0 ? "" : ns, name);
  }
  rc = dtw_ros_validate_full_name(buf, err, errlen);
  if (rc < 0) return rc;
  return copy_out(out, outlen, buf, "expanded name", err, errlen);
}

int dtw_ros_remap_parse(const char *rule, dtw_ros_remap_t *out, char *err, size_t errlen) {
  if (rule == NULL || out == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "remap rule is NULL");
  const char *sep = strstr(rule, ":=");
  if (sep == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "remap rule '%s': expected 'from:=to'", rule);
  if (strstr(sep + 2, ":=") != NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "remap rule '%s': more than one ':='", rule);
  dtw_ros_remap_t r;
  memset(&r, 0, sizeof r);
  /* an optional "node:" prefix before the 'from' part */
  const char *from = rule;
  const char *colon = memchr(rule, ':', (size_t)(sep - rule));
  if (colon != NULL) {
    size_t nlen = (size_t)(colon - rule);
    if (nlen == 0 || nlen >= sizeof r.node)
      return dtw_errf(err, errlen, DTW_EINVAL, "remap rule '%s': bad node prefix", rule);
    memcpy(r.node, rule, nlen);
    int rc = dtw_ros_validate_node_name(r.node, err, errlen);
    if (rc < 0) return rc;
    from = colon + 1;
  }
  size_t flen = (size_t)(sep - from);
  if (flen == 0 || flen >= sizeof r.from)
    return dtw_errf(err, errlen, DTW_EINVAL, "remap rule '%s': empty or too long 'from'", rule);
  memcpy(r.from, from, flen);
  int rc = copy_out(r.to, sizeof r.to, sep + 2, "remap target", err, errlen);
  if (rc < 0) return rc;
  if (strncmp(r.from, "__", 2) == 0)
    return dtw_errf(err, errlen, DTW_EUNSUP,
                    "remap rule '%s': special rule '%s' is not supported (names only)", rule,
                    r.from);
  if (r.to[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "remap rule '%s': empty 'to'", rule);
  rc = dtw_ros_validate_name(r.from, err, errlen);
  if (rc < 0) return rc;
  rc = dtw_ros_validate_name(r.to, err, errlen);
  if (rc < 0) return rc;
  *out = r;
  return 0;
}

int dtw_ros_remap_apply(const dtw_ros_remap_t *rules, size_t n_rules, const char *full_name,
                        const char *node_name, const char *ns, char *out, size_t outlen,
                        char *err, size_t errlen) {
  char from[DTW_ROS_NAME_BUF];
  char to[DTW_ROS_NAME_BUF];
  int rc = dtw_ros_validate_full_name(full_name, err, errlen);
  if (rc < 0) return rc;
  for (size_t i = 0; i < n_rules; i++) {
    const dtw_ros_remap_t *r = &rules[i];
    if (r->node[0] != '\0' && (node_name == NULL || strcmp(r->node, node_name) != 0)) continue;
    rc = dtw_ros_expand_name(r->from, ns, from, sizeof from, err, errlen);
    if (rc < 0) return rc;
    if (strcmp(from, full_name) != 0) continue;
    rc = dtw_ros_expand_name(r->to, ns, to, sizeof to, err, errlen);
    if (rc < 0) return rc;
    rc = copy_out(out, outlen, to, "remapped name", err, errlen);
    return rc < 0 ? rc : 1;
  }
  rc = copy_out(out, outlen, full_name, "name", err, errlen);
  return rc < 0 ? rc : 0;
}

int dtw_ros_topic_to_dds(const char *full_name, char *out, size_t outlen, char *err,
                         size_t errlen) {
  char buf[DTW_ROS_NAME_BUF];
  int rc = dtw_ros_validate_full_name(full_name, err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "rt%s", full_name);
  return copy_out(out, outlen, buf, "DDS topic name", err, errlen);
}

int dtw_ros_service_to_dds(const char *full_name, char *req, size_t reqlen, char *rep,
                           size_t replen, char *err, size_t errlen) {
  char buf[DTW_ROS_NAME_BUF];
  int rc = dtw_ros_validate_full_name(full_name, err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "rq%sRequest", full_name);
  rc = copy_out(req, reqlen, buf, "DDS request topic", err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "rr%sReply", full_name);
  return copy_out(rep, replen, buf, "DDS reply topic", err, errlen);
}

/* Split "pkg/kind/Name" or "pkg/Name" into parts; kind defaults to def_kind.
 * Each part must be an identifier (letters, digits, '_', not digit-led). */
static int split_type(const char *ros_type, const char *def_kind, char *pkg, char *kind,
                      char *name, size_t partlen, char *err, size_t errlen) {
  const char *parts[3];
  size_t lens[3];
  size_t np = 0;
  const char *p = ros_type;
  if (ros_type == NULL || ros_type[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "type name must not be empty");
  while (np < 3) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    parts[np] = p;
    lens[np] = len;
    np++;
    if (slash == NULL) break;
    p = slash + 1;
    if (np == 3)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "type name '%s': expected 'pkg/%s/Name' or 'pkg/Name'", ros_type,
                      def_kind);
  }
  if (np < 2)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "type name '%s': expected 'pkg/%s/Name' or 'pkg/Name'", ros_type, def_kind);
  for (size_t i = 0; i < np; i++) {
    if (lens[i] == 0 || lens[i] >= partlen)
      return dtw_errf(err, errlen, DTW_EINVAL, "type name '%s': empty or too long part",
                      ros_type);
    if (is_digit(parts[i][0]))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "type name '%s': a part must not start with a number", ros_type);
    for (size_t k = 0; k < lens[i]; k++) {
      if (!is_ident_char(parts[i][k]))
        return dtw_errf(err, errlen, DTW_EINVAL,
                        "type name '%s': must contain only alphanumerics, '_' and '/' (at %zu)",
                        ros_type, (size_t)(parts[i] - ros_type) + k);
    }
  }
  memcpy(pkg, parts[0], lens[0]);
  pkg[lens[0]] = '\0';
  if (np == 3) {
    memcpy(kind, parts[1], lens[1]);
    kind[lens[1]] = '\0';
  } else {
    snprintf(kind, partlen, "%s", def_kind);
  }
  memcpy(name, parts[np - 1], lens[np - 1]);
  name[lens[np - 1]] = '\0';
  if (strcmp(kind, def_kind) != 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "type name '%s': expected '%s' as the middle part",
                    ros_type, def_kind);
  return 0;
}

int dtw_ros_type_to_dds(const char *ros_type, char *out, size_t outlen, char *err, size_t errlen) {
  char pkg[DTW_ROS_NAME_BUF], kind[DTW_ROS_NAME_BUF], name[DTW_ROS_NAME_BUF];
  char buf[3 * DTW_ROS_NAME_BUF];
  int rc = split_type(ros_type, "msg", pkg, kind, name, sizeof pkg, err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "%s::msg::dds_::%s_", pkg, name);
  return copy_out(out, outlen, buf, "DDS type name", err, errlen);
}

int dtw_ros_srv_type_to_dds(const char *ros_type, char *req, size_t reqlen, char *rep,
                            size_t replen, char *err, size_t errlen) {
  char pkg[DTW_ROS_NAME_BUF], kind[DTW_ROS_NAME_BUF], name[DTW_ROS_NAME_BUF];
  char buf[3 * DTW_ROS_NAME_BUF];
  int rc = split_type(ros_type, "srv", pkg, kind, name, sizeof pkg, err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "%s::srv::dds_::%s_Request_", pkg, name);
  rc = copy_out(req, reqlen, buf, "DDS request type name", err, errlen);
  if (rc < 0) return rc;
  snprintf(buf, sizeof buf, "%s::srv::dds_::%s_Response_", pkg, name);
  return copy_out(rep, replen, buf, "DDS response type name", err, errlen);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int dtw_ros_topic_from_dds(const char *dds_name, char *out, size_t outlen,
                           dtw_ros_dds_kind_t *kind, char *err, size_t errlen) {
  char buf[DTW_ROS_NAME_BUF];
  dtw_ros_dds_kind_t k;
  size_t strip = 0;
  if (dds_name == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "DDS topic name is NULL");
  if (strncmp(dds_name, "rt/", 3) == 0) {
    k = DTW_ROS_DDS_TOPIC;
  } else if (strncmp(dds_name, "rq/", 3) == 0 && ends_with(dds_name, "Request")) {
    k = DTW_ROS_DDS_REQUEST;
    strip = strlen("Request");
  } else if (strncmp(dds_name, "rr/", 3) == 0 && ends_with(dds_name, "Reply")) {
    k = DTW_ROS_DDS_REPLY;
    strip = strlen("Reply");
  } else {
    return dtw_errf(err, errlen, DTW_ENOENT, "DDS topic '%s' is not a ROS topic or service",
                    dds_name);
  }
  size_t len = strlen(dds_name + 2) - strip;
  if (len + 1 > sizeof buf)
    return dtw_errf(err, errlen, DTW_ERANGE, "DDS topic '%.40s...': too long", dds_name);
  memcpy(buf, dds_name + 2, len);
  buf[len] = '\0';
  int rc = dtw_ros_validate_full_name(buf, err, errlen);
  if (rc < 0) return rc;
  rc = copy_out(out, outlen, buf, "ROS name", err, errlen);
  if (rc < 0) return rc;
  if (kind) *kind = k;
  return 0;
}

int dtw_ros_type_from_dds(const char *dds_type, char *out, size_t outlen,
                          dtw_ros_dds_kind_t *kind, char *err, size_t errlen) {
  char buf[DTW_ROS_NAME_BUF];
  const char *p, *q;
  dtw_ros_dds_kind_t k = DTW_ROS_DDS_TOPIC;
  if (dds_type == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "DDS type name is NULL");
  /* <pkg>::<msg|srv>::dds_::<Name>_ */
  p = strstr(dds_type, "::");
  if (p == NULL) goto not_ros;
  q = strstr(p + 2, "::dds_::");
  if (q == NULL) goto not_ros;
  size_t pkglen = (size_t)(p - dds_type);
  size_t kindlen = (size_t)(q - (p + 2));
  const char *name = q + strlen("::dds_::");
  size_t namelen = strlen(name);
  if (pkglen == 0 || namelen < 2 || name[namelen - 1] != '_') goto not_ros;
  namelen--;
  if (kindlen == 3 && strncmp(p + 2, "srv", 3) == 0) {
    if (namelen > 9 && strncmp(name + namelen - 9, "_Response", 9) == 0) {
      k = DTW_ROS_DDS_REPLY;
      namelen -= 9;
    } else if (namelen > 8 && strncmp(name + namelen - 8, "_Request", 8) == 0) {
      k = DTW_ROS_DDS_REQUEST;
      namelen -= 8;
    }
  } else if (!(kindlen == 3 && strncmp(p + 2, "msg", 3) == 0)) {
    /* other rosidl namespaces (action) keep their middle part */
    if (kindlen == 0) goto not_ros;
  }
  if (pkglen + kindlen + namelen + 3 > sizeof buf)
    return dtw_errf(err, errlen, DTW_ERANGE, "DDS type '%.40s...': too long", dds_type);
  snprintf(buf, sizeof buf, "%.*s/%.*s/%.*s", (int)pkglen, dds_type, (int)kindlen, p + 2,
           (int)namelen, name);
  int rc = copy_out(out, outlen, buf, "ROS type name", err, errlen);
  if (rc < 0) return rc;
  if (kind) *kind = k;
  return 0;
not_ros:
  return dtw_errf(err, errlen, DTW_ENOENT, "DDS type '%s' is not a ROS type name", dds_type);
}
