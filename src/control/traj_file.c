/* YAML motion files -> dtw_joint_trajectory_msg_t (see dtw/traj_file.h). */
#include "dtw/traj_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control__yaml.h"
#include "dtw/err.h"
#include "dtw/yaml.h"

/* One array of numbers, exactly n long. */
static int read_array(const dtw_yaml_node_t *v, const char *key, size_t n, double *out,
                      char *err, size_t errlen) {
  int rc = dtw__cy_kind(v, key, DTW_YAML_SEQUENCE, err, errlen);
  if (rc < 0) return rc;
  if (v->count != n)
    return dtw__cy_fail(err, errlen, v, NULL, key, DTW_EPARSE,
                        "%zu values for %zu joint_names", v->count, n);
  for (size_t i = 0; i < n; i++) {
    // NaN/Inf are refused later by validation, with the joint's name
    rc = dtw__cy_double(v->items[i], key, -1e300, 1e300, &out[i], err, errlen);
    if (rc < 0) return rc;
  }
  return 0;
}

static int read_time(const dtw_yaml_node_t *v, const char *key, dtw_duration_t *out, char *err,
                     size_t errlen) {
  int rc;
  if (v->kind == DTW_YAML_MAPPING) {
    int64_t sec = 0, nsec = 0;
    char sub[192];
    for (size_t i = 0; i < v->count; i++) {
      const char *f = v->keys[i]->text;
      snprintf(sub, sizeof sub, "%s.%s", key, f);
      if (strcmp(f, "sec") == 0)
        rc = dtw__cy_int(v->items[i], sub, 0, INT32_MAX, &sec, err, errlen);
      else if (strcmp(f, "nanosec") == 0)
        rc = dtw__cy_int(v->items[i], sub, 0, 999999999, &nsec, err, errlen);
      else
        rc = dtw__cy_fail(err, errlen, v->keys[i], NULL, sub, DTW_EPARSE,
                          "unknown key (sec, nanosec)");
      if (rc < 0) return rc;
    }
    *out = (dtw_duration_t){(int32_t)sec, (uint32_t)nsec};
    return 0;
  }
  double s;
  rc = dtw__cy_double(v, key, 0.0, (double)INT32_MAX, &s, err, errlen);
  if (rc < 0) return rc;
  *out = dtw_duration_from_s(s);
  return 0;
}

static int read_point(const dtw_yaml_node_t *pn, size_t idx, dtw_joint_trajectory_msg_t *msg,
                      char *err, size_t errlen) {
  char key[128];
  snprintf(key, sizeof key, "points[%zu]", idx);
  int rc = dtw__cy_kind(pn, key, DTW_YAML_MAPPING, err, errlen);
  if (rc < 0) return rc;
  dtw_traj_point_t *pt = dtw_traj_msg_add_point(msg);
  size_t n = msg->n_joints;
  bool have_pos = false, have_time = false;
  for (size_t i = 0; i < pn->count; i++) {
    const char *f = pn->keys[i]->text;
    const dtw_yaml_node_t *v = pn->items[i];
    snprintf(key, sizeof key, "points[%zu].%s", idx, f);
    if (strcmp(f, "positions") == 0) {
      rc = read_array(v, key, n, pt->positions, err, errlen);
      pt->n_positions = n;
      have_pos = true;
    } else if (strcmp(f, "velocities") == 0) {
      rc = read_array(v, key, n, pt->velocities, err, errlen);
      pt->n_velocities = n;
    } else if (strcmp(f, "accelerations") == 0) {
      rc = read_array(v, key, n, pt->accelerations, err, errlen);
      pt->n_accelerations = n;
    } else if (strcmp(f, "time_from_start") == 0) {
      rc = read_time(v, key, &pt->time_from_start, err, errlen);
      have_time = true;
    } else {
      rc = dtw__cy_fail(err, errlen, pn->keys[i], NULL, key, DTW_EPARSE,
                        "unknown key (positions, velocities, accelerations, time_from_start)");
    }
    if (rc < 0) return rc;
  }
  snprintf(key, sizeof key, "points[%zu]", idx);
  if (!have_pos) return dtw__cy_fail(err, errlen, pn, NULL, key, DTW_EPARSE, "missing positions");
  if (!have_time)
    return dtw__cy_fail(err, errlen, pn, NULL, key, DTW_EPARSE, "missing time_from_start");
  return 0;
}

static int read_motion(const dtw_yaml_node_t *root, const char *path,
                       dtw_joint_trajectory_msg_t *out, bool owned, char *err, size_t errlen) {
  if (root == NULL || root->kind != DTW_YAML_MAPPING)
    return dtw_errf(err, errlen, DTW_EPARSE, "%s: expected a mapping with joint_names and points",
                    path);
  const dtw_yaml_node_t *jn = NULL, *pts = NULL, *frame = NULL;
  for (size_t i = 0; i < root->count; i++) {
    const char *k = root->keys[i]->text;
    if (strcmp(k, "joint_names") == 0)
      jn = root->items[i];
    else if (strcmp(k, "points") == 0)
      pts = root->items[i];
    else if (strcmp(k, "frame_id") == 0)
      frame = root->items[i];
    else
      return dtw__cy_fail(err, errlen, root->keys[i], NULL, k, DTW_EPARSE,
                          "unknown key (joint_names, points, frame_id)");
  }
  if (jn == NULL)
    return dtw__cy_fail(err, errlen, NULL, path, "joint_names", DTW_EPARSE, "missing");
  if (pts == NULL) return dtw__cy_fail(err, errlen, NULL, path, "points", DTW_EPARSE, "missing");

  const char *names[DTW_MAX_JOINTS];
  size_t nj = 0;
  int rc =
      dtw__cy_names(jn, "joint_names", DTW_NAME_MAX, DTW_MAX_JOINTS, names, &nj, err, errlen);
  if (rc < 0) return rc;
  if (nj == 0)
    return dtw__cy_fail(err, errlen, jn, NULL, "joint_names", DTW_EPARSE, "empty list");
  rc = dtw__cy_kind(pts, "points", DTW_YAML_SEQUENCE, err, errlen);
  if (rc < 0) return rc;
  if (pts->count == 0)
    return dtw__cy_fail(err, errlen, pts, NULL, "points", DTW_EPARSE, "empty list");

  if (owned) {
    rc = dtw_traj_msg_init(out, pts->count);
    if (rc < 0)
      return dtw_errf(err, errlen, rc, "%s: out of memory for %zu points", path, pts->count);
  } else if (pts->count > out->cap_points) {
    return dtw__cy_fail(err, errlen, pts, NULL, "points", DTW_EFULL,
                        "%zu points, the message holds %zu", pts->count, out->cap_points);
  }
  dtw_traj_msg_clear(out);
  if (frame != NULL) {
    const char *s;
    rc = dtw__cy_string(frame, "frame_id", &s, err, errlen);
    if (rc < 0) return rc;
    snprintf(out->frame_id, sizeof out->frame_id, "%s", s);
  }
  out->n_joints = nj;
  for (size_t m = 0; m < nj; m++) snprintf(out->joint_names[m], DTW_NAME_MAX, "%s", names[m]);
  for (size_t i = 0; i < pts->count; i++) {
    rc = read_point(pts->items[i], i, out, err, errlen);
    if (rc < 0) return rc;
  }
  return 0;
}

int dtw_traj_file_load(const char *path, dtw_joint_trajectory_msg_t *out, char *err,
                       size_t errlen) {
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_traj_file_load: NULL argument");
  bool owned = out->cap_points == 0;
  dtw_yaml_doc_t doc = {0};
  int rc = dtw_yaml_load_file(path, &doc, err, errlen);
  if (rc < 0) goto err_load;
  rc = read_motion(doc.root, path, out, owned, err, errlen);
  dtw_yaml_free(&doc);
  if (rc < 0) goto err_load;
  return 0;

err_load:
  if (owned)
    dtw_traj_msg_fini(out);
  else
    dtw_traj_msg_clear(out);
  return rc;
}
