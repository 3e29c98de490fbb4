/* Synchronizer lifecycle, joint groups, names, re-sync requests and reports. */
#include "dtw/sync.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "sync__internal.h"

/* buffers beyond this many entries are a configuration mistake */
#define DTW__SYNC_MAX_ENTRIES 4000000.0

static const struct {
  const char *name;
  int level;
} state_info[] = {
#define DTW__SYNC_STATE_INFO(name, level, help) {#name, level},
    DTW_SYNC_STATES(DTW__SYNC_STATE_INFO)
#undef DTW__SYNC_STATE_INFO
};

static const char *const outcome_names[] = {
#define DTW__SYNC_OUTCOME_NAME(name, text, help) text,
    DTW_SYNC_OUTCOMES(DTW__SYNC_OUTCOME_NAME)
#undef DTW__SYNC_OUTCOME_NAME
};

const char *dtw_sync_state_name(int state) {
  if (state < 0 || state >= DTW_SYNC_STATE_COUNT) return "?";
  return state_info[state].name;
}

int dtw_sync_state_level(int state) {
  if (state < 0 || state >= DTW_SYNC_STATE_COUNT) return 2;
  return state_info[state].level;
}

const char *dtw_sync_outcome_name(int outcome) {
  if (outcome < 0 || outcome >= DTW_SYNC_OUTCOME_COUNT) return "?";
  return outcome_names[outcome];
}

bool dtw_sync_outcome_refused(int outcome) {
  return outcome >= DTW_SYNC_REFUSED_SIZE && outcome < DTW_SYNC_OUTCOME_COUNT;
}

/* ---- joint names -------------------------------------------------------- */

int dtw__sync_find_joint(const dtw_sync_t *s, const char *name) {
  size_t lo = 0, hi = s->n_joints;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, s->names[s->sorted[mid]]);
    if (c == 0) return (int)s->sorted[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return -1;
}

size_t dtw_sync_joint_count(const dtw_sync_t *s) { return s != NULL ? s->n_joints : 0; }

const char *dtw_sync_joint_name(const dtw_sync_t *s, size_t joint) {
  if (s == NULL || joint >= s->n_joints) return NULL;
  return s->names[joint];
}

/* ---- joint groups ----------------------------------------------------- */

/* Trim [*b, *e) of blanks. */
static void trim(const char **b, const char **e) {
  while (*b < *e && (**b == ' ' || **b == '\t')) (*b)++;
  while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

/* Assign joint j to group g; a joint belongs to one group only. */
static int assign(dtw_sync_t *s, size_t j, int g, char *err, size_t errlen) {
  if (s->joint_group[j] >= 0 && s->joint_group[j] != g)
    return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: joint '%s' is in groups '%s' and '%s'",
                    s->names[j], s->group_names[s->joint_group[j]], s->group_names[g]);
  s->joint_group[j] = g;
  return 0;
}

/* One member ("left_knee" or "left_hip_*") of group g. */
static int parse_member(dtw_sync_t *s, int g, const char *b, const char *e, char *err,
                        size_t errlen) {
  size_t len = (size_t)(e - b);
  if (len > 0 && e[-1] == '*') {
    // a prefix may match nothing: the same default fits other robots
    for (size_t j = 0; j < s->n_joints; j++) {
      if (strncmp(s->names[j], b, len - 1) != 0) continue;
      int rc = assign(s, j, g, err, errlen);
      if (rc < 0) return rc;
    }
    return 0;
  }
  char name[DTW_NAME_MAX];
  if (len >= sizeof name)
    return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: group '%s': joint name too long",
                    s->group_names[g]);
  memcpy(name, b, len);
  name[len] = '\0';
  int j = dtw__sync_find_joint(s, name);
  if (j < 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: group '%s': unknown joint '%s'",
                    s->group_names[g], name);
  return assign(s, (size_t)j, g, err, errlen);
}

int dtw__sync_parse_groups(dtw_sync_t *s, const char *spec, char *err, size_t errlen) {
  size_t n = 0;
  for (size_t j = 0; j < s->n_joints; j++) s->joint_group[j] = -1;
  const char *p = spec;
  while (*p != '\0') {
    const char *end = strchr(p, ';');
    if (end == NULL) end = p + strlen(p);
    const char *b = p, *e = end;
    p = *end == ';' ? end + 1 : end;
    trim(&b, &e);
    if (b == e) continue;  // tolerate ";;" and a trailing ';'
    const char *colon = memchr(b, ':', (size_t)(e - b));
    if (colon == NULL)
      return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: '%.*s' has no ':' (want group:a,b)",
                      (int)(e - b), b);
    const char *nb = b, *ne = colon;
    trim(&nb, &ne);
    if (nb == ne || (size_t)(ne - nb) >= DTW_NAME_MAX)
      return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: '%.*s': bad group name",
                      (int)(e - b), b);
    // "other" and "all" are added by us; keep one slot for them
    if (n + 1 >= DTW_SYNC_MAX_GROUPS)
      return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: more than %d groups",
                      DTW_SYNC_MAX_GROUPS - 1);
    memcpy(s->group_names[n], nb, (size_t)(ne - nb));
    s->group_names[n][ne - nb] = '\0';
    for (size_t k = 0; k < n; k++)
      if (strcmp(s->group_names[k], s->group_names[n]) == 0)
        return dtw_errf(err, errlen, DTW_EINVAL, "joint_groups: group '%s' defined twice",
                        s->group_names[n]);
    const char *m = colon + 1;
    while (m <= e) {
      const char *me = memchr(m, ',', (size_t)(e - m));
      if (me == NULL) me = e;
      const char *mb = m, *mend = me;
      m = me + 1;
      trim(&mb, &mend);
      if (mb == mend) continue;
      int rc = parse_member(s, (int)n, mb, mend, err, errlen);
      if (rc < 0) return rc;
    }
    n++;
  }

  // drop groups nobody matched; renumber the rest
  int remap[DTW_SYNC_MAX_GROUPS];
  size_t kept = 0;
  for (size_t g = 0; g < n; g++) {
    bool used = false;
    for (size_t j = 0; j < s->n_joints && !used; j++) used = s->joint_group[j] == (int)g;
    remap[g] = used ? (int)kept : -1;
    if (used) {
      if (kept != g) memcpy(s->group_names[kept], s->group_names[g], DTW_NAME_MAX);
      kept++;
    }
  }
  bool rest = false;
  for (size_t j = 0; j < s->n_joints; j++) {
    if (s->joint_group[j] >= 0)
      s->joint_group[j] = remap[s->joint_group[j]];
    else
      rest = true;
  }
  if (rest) {
    snprintf(s->group_names[kept], DTW_NAME_MAX, "%s", kept == 0 ? "all" : "other");
    for (size_t j = 0; j < s->n_joints; j++)
      if (s->joint_group[j] < 0) s->joint_group[j] = (int)kept;
    kept++;
  }
  s->n_groups = kept;
  return 0;
}

/* ---- create / destroy --------------------------------------------------- */

static bool finite_pos(double v) { return isfinite(v) && v > 0; }
static bool finite_nonneg(double v) { return isfinite(v) && v >= 0; }

static int check_settings(const dtw_sync_settings_t *st, bool *shadow, bool *estimate, char *err,
                          size_t errlen) {
  if (strcmp(st->mode, "shadow") == 0)
    *shadow = true;
  else if (strcmp(st->mode, "mirror") == 0)
    *shadow = false;
  else
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.mode: '%s' is not mirror|shadow", st->mode);
  if (strcmp(st->time_alignment, "estimate") == 0)
    *estimate = true;
  else if (strcmp(st->time_alignment, "fixed") == 0)
    *estimate = false;
  else
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.time_alignment: '%s' is not estimate|fixed",
                    st->time_alignment);
  struct {
    const char *name;
    double v;
    bool positive;
  } const checks[] = {
      {"window_s", st->window_s, true},
      {"alarm_position_error_rad", st->alarm_position_error_rad, true},
      {"alarm_velocity_error_rad_s", st->alarm_velocity_error_rad_s, false},
      {"diverged_hold_s", st->diverged_hold_s, false},
      {"stale_timeout_s", st->stale_timeout_s, true},
      {"resync_threshold_rad", st->resync_threshold_rad, false},
      {"resync_period_s", st->resync_period_s, false},
      {"status_rate_hz", st->status_rate_hz, true},
      {"twin_history_s", st->twin_history_s, true},
      {"max_rate_hz", st->max_rate_hz, true},
      {"latency_alarm_s", st->latency_alarm_s, false},
  };
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    bool ok = checks[i].positive ? finite_pos(checks[i].v) : finite_nonneg(checks[i].v);
    if (!ok)
      return dtw_errf(err, errlen, DTW_EINVAL, "sync.%s: %g must be %s", checks[i].name,
                      checks[i].v, checks[i].positive ? "> 0" : ">= 0");
  }
  if (!isfinite(st->time_offset_s))
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.time_offset_s must be finite");
  if (st->twin_history_s * st->max_rate_hz > DTW__SYNC_MAX_ENTRIES ||
      st->window_s * st->max_rate_hz > DTW__SYNC_MAX_ENTRIES)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "sync: buffers too large (twin_history_s, window_s x max_rate_hz > %.0f)",
                    DTW__SYNC_MAX_ENTRIES);
  return 0;
}

int dtw_sync_create(const dtw_sync_settings_t *settings, const char *const *joint_names,
                    size_t n_joints, dtw_sync_t **out, char *err, size_t errlen) {
  bool shadow = false, estimate = false;
  int rc;
  if (settings == NULL || out == NULL || (joint_names == NULL && n_joints > 0))
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sync_create: NULL argument");
  if (n_joints == 0 || n_joints > DTW_MAX_JOINTS)
    return dtw_errf(err, errlen, DTW_EINVAL, "sync: %zu joints (want 1..%d)", n_joints,
                    DTW_MAX_JOINTS);
  rc = check_settings(settings, &shadow, &estimate, err, errlen);
  if (rc < 0) return rc;

  dtw_sync_t *s = calloc(1, sizeof *s);
  if (s == NULL) goto err_nomem;
  s->set = *settings;
  s->shadow = shadow;
  s->estimate_offset = estimate;
  s->n_joints = n_joints;

  // joint table
  s->names = calloc(n_joints, sizeof *s->names);
  s->sorted = calloc(n_joints, sizeof *s->sorted);
  s->joint_group = calloc(n_joints, sizeof *s->joint_group);
  if (s->names == NULL || s->sorted == NULL || s->joint_group == NULL) goto err_nomem;
  for (size_t j = 0; j < n_joints; j++) {
    const char *nm = joint_names[j];
    if (nm == NULL || nm[0] == '\0' || strlen(nm) >= DTW_NAME_MAX) {
      rc = dtw_errf(err, errlen, DTW_EINVAL, "sync: joint %zu: empty or too long name", j);
      goto err_destroy;
    }
    memcpy(s->names[j], nm, strlen(nm) + 1);
    // insertion sort by name (at most DTW_MAX_JOINTS; qsort has no context)
    size_t k = j;
    while (k > 0 && strcmp(s->names[s->sorted[k - 1]], nm) > 0) {
      s->sorted[k] = s->sorted[k - 1];
      k--;
    }
    s->sorted[k] = j;
  }
  for (size_t k = 1; k < n_joints; k++) {
    if (strcmp(s->names[s->sorted[k - 1]], s->names[s->sorted[k]]) == 0) {
      rc = dtw_errf(err, errlen, DTW_EINVAL, "sync: joint '%s' listed twice",
                    s->names[s->sorted[k]]);
      goto err_destroy;
    }
  }
  rc = dtw__sync_parse_groups(s, settings->joint_groups, err, errlen);
  if (rc < 0) goto err_destroy;

  // twin history: ceil(history x rate) samples plus the two around the window edge
  s->twin_cap = (size_t)ceil(settings->twin_history_s * settings->max_rate_hz) + 2;
  s->twin = calloc(s->twin_cap, sizeof *s->twin);
  s->twin_store = calloc(s->twin_cap * 3 * n_joints, sizeof *s->twin_store);
  if (s->twin == NULL || s->twin_store == NULL) goto err_nomem;
  for (size_t i = 0; i < s->twin_cap; i++) {
    s->twin[i].pos = s->twin_store + i * 3 * n_joints;
    s->twin[i].vel = s->twin[i].pos + n_joints;
    s->twin[i].eff = s->twin[i].vel + n_joints;
  }

  // per-sample scratch and current errors
  s->seen = calloc(n_joints, sizeof *s->seen);
  s->map = calloc(DTW_MAX_JOINTS, sizeof *s->map);
  s->cur_pos = calloc(n_joints, sizeof *s->cur_pos);
  s->cur_vel = calloc(n_joints, sizeof *s->cur_vel);
  s->above_since = calloc(n_joints, sizeof *s->above_since);
  s->rob_pos = calloc(n_joints, sizeof *s->rob_pos);
  s->rob_vel = calloc(n_joints, sizeof *s->rob_vel);
  s->rob_stamp = calloc(n_joints, sizeof *s->rob_stamp);
  if (s->seen == NULL || s->map == NULL || s->cur_pos == NULL || s->cur_vel == NULL ||
      s->above_since == NULL || s->rob_pos == NULL || s->rob_vel == NULL || s->rob_stamp == NULL)
    goto err_nomem;
  for (size_t j = 0; j < n_joints; j++) {
    s->cur_pos[j] = s->cur_vel[j] = s->above_since[j] = NAN;
    s->rob_pos[j] = s->rob_vel[j] = s->rob_stamp[j] = NAN;
  }

  // statistics: error buckets, arrivals (window x rate) and their quantile scratch
  s->bucket_w = settings->window_s / DTW_SYNC_WINDOW_BUCKETS;
  s->acc_store = calloc((size_t)DTW_SYNC_WINDOW_BUCKETS * n_joints, sizeof *s->acc_store);
  s->arr_cap = (size_t)ceil(settings->window_s * settings->max_rate_hz) + 1;
  s->arr = calloc(s->arr_cap, sizeof *s->arr);
  s->scratch = calloc(s->arr_cap, sizeof *s->scratch);
  if (s->acc_store == NULL || s->arr == NULL || s->scratch == NULL) goto err_nomem;
  if (dtw__sync_fdi_init(s) < 0) goto err_nomem;
  for (size_t b = 0; b < DTW_SYNC_WINDOW_BUCKETS; b++)
    s->buckets[b].acc = s->acc_store + b * n_joints;
  dtw__sync_stats_reset(s);

  s->last_twin_recv_s = s->first_robot_recv_s = s->last_robot_recv_s = NAN;
  s->last_match_recv_s = s->rob_newest_stamp = s->rob_lat_min = s->twin_interval_s = NAN;
  s->last_twin_stamp_s = s->twin_stamp_advanced_recv_s = NAN;
  s->rob_interval_s = s->rob_gap_at_s = s->rob_gap_s = s->twin_gap_at_s = s->twin_gap_s = NAN;
  s->poll_prev_s = s->poll_now_s = s->self_gap_at_s = s->self_gap_s = NAN;
  s->twin_lat_ref_s = s->twin_lat_ref_at_s = s->twin_behind_since_s = NAN;
  dtw__sync_pace_reset(s);
  s->offset_s = estimate ? NAN : settings->time_offset_s;
  s->state = DTW_SYNC_NO_DATA;
  s->state_since_s = s->resync_asked_s = s->last_resync_s = NAN;

  // an empty snapshot until the first tick
  dtw__sync_stats_snapshot(s, NAN);
  s->rep.robot_pace = s->rep.twin_pace = NAN;
  *out = s;
  return 0;

err_nomem:
  rc = dtw_errf(err, errlen, DTW_ENOMEM, "sync: out of memory");
err_destroy:
  dtw_sync_destroy(s);
  return rc;
}

void dtw_sync_destroy(dtw_sync_t *s) {
  if (s == NULL) return;
  free(s->names);
  free(s->sorted);
  free(s->joint_group);
  free(s->twin);
  free(s->twin_store);
  free(s->seen);
  free(s->map);
  free(s->cur_pos);
  free(s->cur_vel);
  free(s->above_since);
  free(s->rob_pos);
  free(s->rob_vel);
  free(s->rob_stamp);
  free(s->acc_store);
  free(s->arr);
  free(s->scratch);
  dtw__sync_fdi_free(s); /* each array NULL or allocated */
  free(s);
}

/* ---- re-sync requests, latest robot state --------------------------------- */

int dtw_sync_request_resync(dtw_sync_t *s) {
  if (s == NULL) return DTW_EINVAL;
  if (!s->shadow || isnan(s->rob_newest_stamp)) return DTW_ESTATE;
  s->resync_requested = true;
  s->resync_requests++;
  return 0;
}

void dtw_sync_resync_done(dtw_sync_t *s, double now_s) {
  if (s == NULL) return;
  s->resyncs++;
  s->last_resync_s = now_s;
  s->resync_in_flight = false;
  s->resync_requested = false;
  // compare only against what the twin does after the re-sync
  dtw__sync_twin_clear(s);
  for (size_t j = 0; j < s->n_joints; j++) s->cur_pos[j] = s->cur_vel[j] = s->above_since[j] = NAN;
}

int dtw_sync_latest_robot_state(const dtw_sync_t *s, dtw_joint_state_msg_t *out) {
  if (s == NULL || out == NULL) return DTW_EINVAL;
  if (isnan(s->rob_newest_stamp)) return DTW_ENOENT;
  memset(out, 0, sizeof *out);
  out->stamp = dtw_time_from_s(s->rob_newest_stamp);
  bool all_vel = true;
  size_t n = 0;
  for (size_t j = 0; j < s->n_joints; j++) {
    if (isnan(s->rob_stamp[j])) continue;
    memcpy(out->name[n], s->names[j], DTW_NAME_MAX);
    out->position[n] = s->rob_pos[j];
    out->velocity[n] = s->rob_vel[j];
    if (isnan(s->rob_vel[j])) all_vel = false;
    n++;
  }
  out->n_name = out->n_position = n;
  out->n_velocity = all_vel ? n : 0;
  if (!all_vel) memset(out->velocity, 0, sizeof out->velocity);
  return 0;
}

/* ---- reports ------------------------------------------------------------ */

void dtw_sync_report(const dtw_sync_t *s, dtw_sync_report_t *out) {
  if (s == NULL || out == NULL) return;
  *out = s->rep;
}

int dtw_sync_last_transition(const dtw_sync_t *s, dtw_sync_transition_t *out) {
  if (s == NULL || out == NULL) return DTW_EINVAL;
  if (!s->have_transition) return DTW_ENOENT;
  *out = s->last_transition;
  return 0;
}

/* Append one key/value when room is left. */
__attribute__((format(printf, 5, 6))) static void kv_add(dtw_sync_kv_t *kv, size_t cap, size_t *n,
                                                          const char *key, const char *fmt, ...) {
  if (*n >= cap) return;
  snprintf(kv[*n].key, sizeof kv[*n].key, "%s", key);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(kv[*n].value, sizeof kv[*n].value, fmt, ap);
  va_end(ap);
  (*n)++;
}

static void kv_errors(const dtw_sync_report_t *r, const dtw_sync_err_stats_t *e, int worst,
                      dtw_sync_kv_t *kv, size_t cap, size_t *n) {
  kv_add(kv, cap, n, "position_error_last_rad", "%.6f", e->pos_last_rad);
  kv_add(kv, cap, n, "position_error_rms_rad", "%.6f", e->pos_rms_rad);
  kv_add(kv, cap, n, "position_error_max_rad", "%.6f", e->pos_max_rad);
  kv_add(kv, cap, n, "velocity_error_rms_rad_s", "%.6f", e->vel_rms_rad_s);
  kv_add(kv, cap, n, "velocity_error_max_rad_s", "%.6f", e->vel_max_rad_s);
  kv_add(kv, cap, n, "worst_joint", "%s",
         worst >= 0 && (size_t)worst < r->n_joints ? r->joints[worst].name : "");
}

int dtw_sync_report_kv(const dtw_sync_report_t *r, int group, dtw_sync_kv_t *kv, size_t cap) {
  if (r == NULL || (kv == NULL && cap > 0) || (group >= 0 && (size_t)group >= r->n_groups))
    return DTW_EINVAL;
  size_t n = 0;
  if (group >= 0) {
    const dtw_sync_group_report_t *g = &r->groups[group];
    kv_add(kv, cap, &n, "joints", "%zu", g->n_joints);
    kv_errors(r, &g->err, g->worst_joint, kv, cap, &n);
    return (int)n;
  }
  kv_add(kv, cap, &n, "state", "%s", r->state_name);
  kv_add(kv, cap, &n, "time_in_state_s", "%.3f", r->time_in_state_s);
  kv_add(kv, cap, &n, "mode", "%s", r->shadow ? "shadow" : "mirror");
  // the fault report first: it is what the operator acts on
  kv_add(kv, cap, &n, "faults", "%zu", r->n_faults);
  for (size_t i = 0; i < r->n_faults; i++) {
    const dtw_sync_fault_t *f = &r->faults[i];
    char key[48];
    snprintf(key, sizeof key, "fault%zu", i);
    kv_add(kv, cap, &n, key, "%s %s conf %.2f onset %.3f",
           dtw_sync_fault_kind_name(f->kind),
           f->joint >= 0 && (size_t)f->joint < r->n_joints ? r->joints[f->joint].name : "?",
           f->confidence, f->onset_stamp_s);
  }
  if (r->n_faults > 0) {
    const dtw_sync_fault_t *f = &r->faults[0];
    kv_add(kv, cap, &n, "fault_kind", "%s", dtw_sync_fault_kind_name(f->kind));
    kv_add(kv, cap, &n, "fault_joint", "%s",
           f->joint >= 0 && (size_t)f->joint < r->n_joints ? r->joints[f->joint].name : "");
    kv_add(kv, cap, &n, "fault_chain", "%s",
           f->group >= 0 && (size_t)f->group < r->n_groups ? r->groups[f->group].name : "");
    kv_add(kv, cap, &n, "fault_confidence", "%.2f", f->confidence);
    kv_add(kv, cap, &n, "fault_onset_robot_stamp_s", "%.3f", f->onset_stamp_s);
    if (f->kind == DTW_SYNC_FAULT_EXTERNAL_LOAD && !isnan(f->mass_kg))
      kv_add(kv, cap, &n, "fault_mass_kg", "%.2f", f->mass_kg);
    kv_add(kv, cap, &n, "fault_text", "%s", f->text);
  }
  kv_add(kv, cap, &n, "fault_model", "%s", r->have_model ? "yes" : "no (frozen sensor only)");
  kv_errors(r, &r->overall, r->worst_joint, kv, cap, &n);
  kv_add(kv, cap, &n, "latency_median_s", "%.6f", r->latency_median_s);
  kv_add(kv, cap, &n, "latency_p99_s", "%.6f", r->latency_p99_s);
  kv_add(kv, cap, &n, "jitter_p99_s", "%.6f", r->jitter_p99_s);
  kv_add(kv, cap, &n, "clock_offset_s", "%.6f", r->clock_offset_s);
  kv_add(kv, cap, &n, "time_offset_s", "%.6f", r->time_offset_s);
  kv_add(kv, cap, &n, "rate_hz", "%.2f", r->rate_hz);
  kv_add(kv, cap, &n, "max_gap_s", "%.4f", r->max_gap_s);
  kv_add(kv, cap, &n, "gaps", "%llu", (unsigned long long)r->gap_count);
  kv_add(kv, cap, &n, "robot_pace", "%.3f", r->robot_pace);
  kv_add(kv, cap, &n, "twin_pace", "%.3f", r->twin_pace);
  kv_add(kv, cap, &n, "twin_behind_s", "%.3f", r->twin_behind_s);
  kv_add(kv, cap, &n, "twin_realigns", "%llu", (unsigned long long)r->twin_realigns);
  if (r->degraded_reason[0] != '\0') kv_add(kv, cap, &n, "degraded", "%s", r->degraded_reason);
  kv_add(kv, cap, &n, "since_robot_s", "%.3f", r->since_robot_s);
  kv_add(kv, cap, &n, "since_match_s", "%.3f", r->since_match_s);
  kv_add(kv, cap, &n, "robot_samples", "%llu", (unsigned long long)r->robot_samples);
  kv_add(kv, cap, &n, "matched", "%llu", (unsigned long long)r->outcomes[DTW_SYNC_MATCHED]);
  uint64_t unmatched = 0, refused = 0;
  for (int o = 0; o < DTW_SYNC_OUTCOME_COUNT; o++) {
    if (o == DTW_SYNC_MATCHED) continue;
    if (dtw_sync_outcome_refused(o))
      refused += r->outcomes[o];
    else
      unmatched += r->outcomes[o];
  }
  kv_add(kv, cap, &n, "unmatched", "%llu", (unsigned long long)unmatched);
  kv_add(kv, cap, &n, "refused", "%llu", (unsigned long long)refused);
  kv_add(kv, cap, &n, "twin_samples", "%llu", (unsigned long long)r->twin_samples);
  kv_add(kv, cap, &n, "resyncs", "%llu", (unsigned long long)r->resyncs);
  uint64_t n_transitions = 0;
  for (int st = 0; st < DTW_SYNC_STATE_COUNT; st++) n_transitions += r->transitions[st];
  if (n_transitions > 0)
    kv_add(kv, cap, &n, "last_transition", "%s", r->last_transition.text);
  return (int)n;
}
