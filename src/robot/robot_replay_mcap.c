/* Robot emulator: a recorded robot's joint states (MCAP, sensor_msgs/JointState
 * in CDR) turned into the rows a replay publishes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/mcap.h"
#include "dtw/ros_cdr.h"
#include "robot__emu.h"

#define JS_SCHEMA "sensor_msgs/msg/JointState"

static int find_known(const char *name, const char *const *known, size_t n_known) {
  for (size_t i = 0; i < n_known; i++)
    if (strcmp(name, known[i]) == 0) return (int)i;
  return -1;
}

static bool is_js(const dtw_mcap_channel_t *ch) {
  return ch->schema && !strcmp(ch->schema->name, JS_SCHEMA) && !strcmp(ch->message_encoding, "cdr");
}

/* The channel to replay: the topic asked for, else /joint_states, else the
 * file's only JointState channel. */
static int pick_topic(dtw_mcap_reader_t *r, const char *path, const char *topic, char *out,
                      size_t outlen, char *err, size_t errlen) {
  dtw_mcap_message_t m;
  /* channels come from the summary; a file cut short names them as met */
  if (dtw_mcap_channel_count(r) == 0)
    while (dtw_mcap_next(r, &m, err, errlen) == 1) {}
  dtw_mcap_rewind(r);
  size_t n = dtw_mcap_channel_count(r), n_js = 0;
  char list[512] = "";
  const dtw_mcap_channel_t *only = NULL;
  for (size_t i = 0; i < n; i++) {
    const dtw_mcap_channel_t *ch = dtw_mcap_channel_at(r, i);
    if (topic && topic[0] && !strcmp(ch->topic, topic)) {
      if (!is_js(ch))
        return dtw_errf(err, errlen, DTW_EINVAL, "%s: topic '%s' is %s in %s, not %s in cdr", path,
                        topic, ch->schema ? ch->schema->name : "schemaless", ch->message_encoding,
                        JS_SCHEMA);
      snprintf(out, outlen, "%s", topic);
      return 0;
    }
    if (!is_js(ch)) continue;
    n_js++;
    only = ch;
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", ch->topic);
  }
  if (topic && topic[0])
    return dtw_errf(err, errlen, DTW_ENOENT, "%s: no topic '%s' (JointState topics: %s)", path,
                    topic, n_js ? list : "none");
  if (dtw_mcap_channel_by_topic(r, "/joint_states") && is_js(dtw_mcap_channel_by_topic(r, "/joint_states"))) {
    snprintf(out, outlen, "/joint_states");
    return 0;
  }
  if (n_js == 1) {
    snprintf(out, outlen, "%s", only->topic);
    return 0;
  }
  return dtw_errf(err, errlen, DTW_ENOENT, "%s: %s (%s); name one (robot.replay_topic, --topic)",
                  path, n_js ? "several JointState topics" : "no JointState topic in cdr",
                  n_js ? list : "none");
}

int dtw__replay_load_mcap(const char *path, const char *topic, const char *const *known,
                          size_t n_known, dtw__replay_t *out, char *note, size_t notelen,
                          char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (note && notelen) note[0] = '\0';
  dtw_mcap_reader_t *r = NULL;
  int rc = dtw_mcap_reader_open(path, &r, err, errlen);
  if (rc) return rc;
  dtw__replay_t rp = {0};
  dtw_joint_state_msg_t *js = malloc(sizeof *js);
  char chosen[512];
  if (!js) {
    rc = DTW_ENOMEM;
    goto out;
  }
  if ((rc = pick_topic(r, path, topic, chosen, sizeof chosen, err, errlen)) < 0) goto out;
  const dtw_mcap_channel_t *ch = dtw_mcap_channel_by_topic(r, chosen);
  /* rows: count them first (one pass, no decoding) */
  size_t cap = 0;
  dtw_mcap_message_t m;
  int read_rc;
  while ((read_rc = dtw_mcap_next(r, &m, err, errlen)) == 1)
    if (m.channel == ch || !strcmp(m.channel->topic, chosen)) cap++;
  dtw_mcap_rewind(r);
  if (cap == 0) {
    rc = read_rc < 0 ? read_rc : dtw_errf(err, errlen, DTW_EPARSE, "%s: no message on '%s'", path, chosen);
    goto out;
  }
  rp.names = calloc(DTW_MAX_JOINTS, sizeof *rp.names);
  rp.model_index = calloc(DTW_MAX_JOINTS, sizeof *rp.model_index);
  rp.time_s = calloc(cap, sizeof(double));
  if (!rp.names || !rp.model_index || !rp.time_s) {
    rc = DTW_ENOMEM;
    goto out;
  }
  char unknown[256] = "";
  size_t n_unknown = 0, skipped = 0;
  bool use_stamp = true;
  uint64_t t0_log = 0;
  double t0_stamp = 0;
  while ((read_rc = dtw_mcap_next(r, &m, err, errlen)) == 1) {
    if (strcmp(m.channel->topic, chosen)) continue;
    char e2[256];
    if (dtw_cdr_decode_joint_state(m.data, m.len, js, e2, sizeof e2)) {
      rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: '%s' message %zu: %s", path, chosen, rp.n_rows + skipped + 1, e2);
      goto out;
    }
    if (rp.n_rows == 0 && skipped == 0) {
      /* the joints: the first message's names the model knows; the rest reported */
      for (size_t i = 0; i < js->n_name && i < js->n_position; i++) {
        int k = find_known(js->name[i], known, n_known);
        if (k < 0) {
          size_t used = strlen(unknown);
          if (n_unknown++ < 8) snprintf(unknown + used, sizeof unknown - used, "%s%s", used ? ", " : "", js->name[i]);
          continue;
        }
        snprintf(rp.names[rp.n_joints], sizeof rp.names[0], "%s", js->name[i]);
        rp.model_index[rp.n_joints++] = k;
      }
      if (rp.n_joints == 0) {
        rc = dtw_errf(err, errlen, DTW_EPARSE, "%s: '%s': no joint of the model among the %zu named (%s)",
                      path, chosen, js->n_name, unknown);
        goto out;
      }
      rp.has_velocity = js->n_velocity == js->n_name && js->n_name > 0;
      rp.position = calloc(cap * rp.n_joints, sizeof(double));
      if (rp.has_velocity) rp.velocity = calloc(cap * rp.n_joints, sizeof(double));
      if (!rp.position || (rp.has_velocity && !rp.velocity)) {
        rc = DTW_ENOMEM;
        goto out;
      }
      /* an unstamped feed is timed by the recording's log time */
      use_stamp = js->stamp.sec != 0 || js->stamp.nanosec != 0;
      t0_log = m.log_time;
      t0_stamp = dtw_time_to_s(js->stamp);
    }
    double t = use_stamp ? dtw_time_to_s(js->stamp) - t0_stamp
                         : (double)(m.log_time - t0_log) * 1e-9;
    size_t row = rp.n_rows;
    if (row > 0 && !(t > rp.time_s[row - 1])) {
      skipped++; /* a repeated or older stamp: out of order on the wire */
      continue;
    }
    rp.time_s[row] = t;
    double *pos = rp.position + row * rp.n_joints;
    double *vel = rp.has_velocity ? rp.velocity + row * rp.n_joints : NULL;
    for (size_t k = 0; k < rp.n_joints; k++) {
      /* a joint this message lacks keeps its previous value */
      pos[k] = row ? pos[k - rp.n_joints] : 0;
      if (vel) vel[k] = row ? vel[k - rp.n_joints] : 0;
      for (size_t i = 0; i < js->n_name && i < js->n_position; i++) {
        if (strcmp(js->name[i], rp.names[k])) continue;
        if (isfinite(js->position[i])) pos[k] = js->position[i];
        if (vel && i < js->n_velocity && isfinite(js->velocity[i])) vel[k] = js->velocity[i];
        break;
      }
    }
    rp.n_rows++;
  }
  if (read_rc < 0 && rp.n_rows == 0) {
    rc = read_rc;
    goto out;
  }
  if (note && notelen)
    snprintf(note, notelen, "%s: %zu samples of %zu joints on '%s'%s%s%s%s%s", path, rp.n_rows,
             rp.n_joints, chosen, n_unknown ? "; not joints of the model (ignored): " : "",
             n_unknown ? unknown : "", n_unknown > 8 ? ", ..." : "",
             skipped ? "; samples out of order skipped" : "",
             read_rc < 0 ? "; the file is cut short or corrupt after them" : "");
  *out = rp;
  memset(&rp, 0, sizeof rp);
  rc = 0;
out:
  dtw__replay_fini(&rp);
  free(js);
  dtw_mcap_reader_close(r);
  return rc;
}
