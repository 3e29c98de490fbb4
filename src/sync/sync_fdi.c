/* Fault detection and isolation: per-joint residuals from the robot's own
 * samples and the twin's model, signatures that tell the fault's kind, and a
 * latch that holds a fault until the joint shows it is healthy again.
 *
 * Signals per joint, on each accepted robot sample (robot clock = stamps):
 *  - torque residual r = LPF(reported effort) - ID(q, LPF(qd), d/dt LPF(qd)),
 *    the effort the robot reports minus what the model needs for the motion
 *    it measured (the derivative of the low-passed velocity is the low-passed
 *    acceleration, so both sides carry the same lag). Needs the dynamics hook
 *    and efforts. Threshold: floor + tolerance x the model torque.
 *  - frozen reading: a run of bit-identical positions (and zero velocity) on
 *    a sensor whose readings used to change (its noise) - a live encoder
 *    never repeats a double exactly for tens of milliseconds.
 *  - no torque: the reported effort stays ~0 while the joint needs a torque
 *    (gravity at its pose from the model, the twin's effort in shadow mode,
 *    the robot controller's commanded effort in mirror mode), or while it
 *    falls behind a command that asks for one (the twin; the controller's
 *    reference and error: dtw_sync_on_robot_controller).
 * Kinds: a residual concentrated on one joint that does not move is a lock
 * (the actuator pushes, nothing gives); residuals over several joints of a
 * chain, or on a joint that moves, are an external load / model mismatch.
 * No allocation here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sync.h"
#include "sync__internal.h"

/* a gap this long (robot clock) restarts the filters */
#define FDI_MAX_GAP_S 0.2
/* filters settle for this many time constants before verdicts */
#define FDI_WARM_TAUS 5.0
#define FDI_WARM_MIN_S 0.5
/* a frozen reading needs at least DTW__SYNC_FROZEN_MIN_REPEATS repeats, on a
 * sensor whose readings changed in at least this share of samples before */
#define FDI_LIVE_MIN 0.8
/* slow average of "reading changed" (per sample) */
#define FDI_LIVE_ALPHA 0.02
/* effort below this share of what the joint needs (and this floor, N m) is none */
#define FDI_NO_TORQUE_SHARE 0.05
#define FDI_NO_TORQUE_FLOOR_NM 0.05
/* no torque: holds the model-only test needs (mirror mode without the robot's
 * controller: a coupled motion can cancel gravity for a while) */
#define FDI_NO_TORQUE_MIRROR_HOLDS 5
/* no torque seen as a joint off its command (the twin in shadow mode, the
 * robot's controller in mirror mode): the command's effort peak (decaying with
 * this time constant) must exceed this, so a joint that needs almost nothing
 * proves nothing */
#define FDI_TWIN_PEAK_S 0.25
#define FDI_DEAD_MIN_DEMAND_NM 0.2
/* ... and the robot's joint this share of the alarm threshold away from the twin,
 * with at most this many other joints as far off (a robot that does not run the
 * twin's command is off everywhere: that is no joint's fault) */
#define FDI_DEAD_OFF_SHARE 0.15
#define FDI_DEAD_MAX_OTHERS_OFF 2
/* shadow: a torque verdict needs the joint (or, for a load, its chain) this share
 * of the alarm threshold off the twin (at 0.2 the UR5e's shoulder pan, stopping
 * under the robot's extra friction, read as locked: 4.3 N m, 0.035 rad off) */
#define FDI_SHADOW_CONFIRM_SHARE 0.3
#define FDI_SHADOW_LOAD_CONFIRM_SHARE 0.05
/* ... or, for a lock, the joint this share off the twin while the robot's own
 * effort and motion disagree in the model (the drive pushes the same way, the
 * joint does not follow): a second witness that does not depend on when the
 * twin moved, so a host stall cannot fake it */
#define FDI_SHADOW_MODEL_CONFIRM_SHARE 0.1
/* a load stays: its signature must hold this long (robot and twin starting a
 * motion a little apart, or touching something at slightly different poses,
 * differ in effort for a moment; the H1 MJCF's hip rolls differ from the model
 * by 22 N m for 0.15-0.5 s at one phase of its motion) */
#define FDI_LOAD_HOLD_S 0.5
/* a second joint of the chain above this share of the first's ratio: a load */
#define FDI_CHAIN_SHARE 0.5
/* residuals over a chain fitting one weight held at its end (sync_weight.c)
 * are a load after this long of fitting: a model mismatch or a motion
 * transient has no reason to take that shape */
#define FDI_WEIGHT_HOLD_S 0.1
/* a load's report gives the mean fitted mass again once it moved by this share */
#define FDI_LOAD_MASS_UPDATE 0.05
/* a fit may lapse this long (noisy samples) without starting again */
#define FDI_WEIGHT_LAPSE_S 0.05
/* a drive's residual threshold starts at most at this share of its largest
 * effort: a 1 N m finger never differs from the model by fdi_torque_floor_nm */
#define FDI_FLOOR_EFFORT_SHARE 0.25

static const char *const k_kind_names[] = {
#define DTW__SYNC_FAULT_NAME(name, text, help) text,
    DTW_SYNC_FAULT_KINDS(DTW__SYNC_FAULT_NAME)
#undef DTW__SYNC_FAULT_NAME
};

const char *dtw_sync_fault_kind_name(int kind) {
  if (kind < 0 || kind >= DTW_SYNC_FAULT_KIND_COUNT) return "?";
  return k_kind_names[kind];
}

void dtw_sync_set_dynamics(dtw_sync_t *s, dtw_sync_dynamics_fn fn, void *ctx) {
  if (s == NULL) return;
  s->dyn = fn;
  s->dyn_ctx = ctx;
}

void dtw_sync_set_load_model(dtw_sync_t *s, dtw_sync_load_fn fn, void *ctx) {
  if (s == NULL) return;
  s->load = fn;
  s->load_ctx = ctx;
  for (size_t i = 0; i < 2 * DTW_SYNC_MAX_GROUPS; i++) s->per_kg_at[i] = UINT64_MAX;
}

void dtw_sync_set_effort_limits(dtw_sync_t *s, const double *limit_nm) {
  if (s == NULL) return;
  for (size_t j = 0; j < s->n_joints; j++) {
    double lim = limit_nm != NULL ? limit_nm[j] : 0;
    s->limit_nm[j] = lim > 0 && isfinite(lim) ? lim : INFINITY;
    s->floor_nm[j] = fmin(s->set.fdi_torque_floor_nm, FDI_FLOOR_EFFORT_SHARE * s->limit_nm[j]);
  }
}

static void reset_fits(dtw_sync_t *s) {
  for (size_t g = 0; g < DTW_SYNC_MAX_GROUPS; g++) {
    s->fit_since[g] = s->fit_last[g] = s->fit_mass[g] = s->mfit_since[g] = s->mfit_last[g] = NAN;
    s->fit_via[g] = -1;
  }
}

static void joint_reset_filters(dtw__sync_fdi_joint_t *f) {
  f->v_f = f->a_f = f->tau_f = f->v_fast = f->tau_fast = NAN;
  f->r = f->thr = f->expected = NAN;
  f->quiet_s = f->low_eff_s = f->cand_resid_s = f->cand_notorque_s = f->cand_dead_s = NAN;
  f->cand_vmax = 0;
  f->twin_peak = 0;
  f->teff_f = NAN;
  f->rm = f->cand_model_s = f->explained_s = NAN;
}

int dtw__sync_fdi_init(dtw_sync_t *s) {
  size_t n = s->n_joints;
  s->fdi = calloc(n, sizeof *s->fdi);
  s->fq = calloc(n, sizeof *s->fq);
  s->fv = calloc(n, sizeof *s->fv);
  s->fa = calloc(n, sizeof *s->fa);
  s->ftau = calloc(n, sizeof *s->ftau);
  s->fgrav = calloc(n, sizeof *s->fgrav);
  s->twin_eff_at = calloc(n, sizeof *s->twin_eff_at);
  s->chain_idx = calloc(n, sizeof *s->chain_idx);
  s->per_kg_all = calloc(2 * DTW_SYNC_MAX_GROUPS * n, sizeof *s->per_kg_all);
  s->per_kg = s->per_kg_all;
  s->floor_nm = calloc(n, sizeof *s->floor_nm);
  s->limit_nm = calloc(n, sizeof *s->limit_nm);
  s->ctl_err = calloc(n, sizeof *s->ctl_err);
  s->ctl_eff = calloc(n, sizeof *s->ctl_eff);
  s->ctl_recv_at = calloc(n, sizeof *s->ctl_recv_at);
  s->ctl_ref = calloc(n, sizeof *s->ctl_ref);
  s->ctl_ref_moved_s = calloc(n, sizeof *s->ctl_ref_moved_s);
  s->cmd_off = calloc(n, sizeof *s->cmd_off);
  if (s->ctl_err == NULL || s->ctl_eff == NULL || s->ctl_recv_at == NULL || s->cmd_off == NULL ||
      s->ctl_ref == NULL || s->ctl_ref_moved_s == NULL)
    return DTW_ENOMEM;
  if (s->fdi == NULL || s->fq == NULL || s->fv == NULL || s->fa == NULL || s->ftau == NULL ||
      s->fgrav == NULL || s->twin_eff_at == NULL || s->chain_idx == NULL || s->per_kg_all == NULL ||
      s->floor_nm == NULL || s->limit_nm == NULL)
    return DTW_ENOMEM;
  dtw_sync_set_effort_limits(s, NULL);
  reset_fits(s);
  for (size_t g = 0; g < DTW_SYNC_MAX_GROUPS; g++) s->load_outer[g] = -1;
  for (size_t i = 0; i < 2 * DTW_SYNC_MAX_GROUPS; i++) s->per_kg_at[i] = UINT64_MAX;
  for (size_t j = 0; j < n; j++) {
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    f->live = f->live_at_run = 0;
    f->run_start_s = f->last_q_stamp = f->healthy_s = NAN;
    joint_reset_filters(f);
    f->fault.kind = DTW_SYNC_FAULT_NONE;
    s->twin_eff_at[j] = s->ctl_err[j] = s->ctl_eff[j] = s->ctl_recv_at[j] = NAN;
    s->ctl_ref[j] = s->ctl_ref_moved_s[j] = NAN;
  }
  s->fdi_prev_stamp_s = s->fdi_warm_s = NAN;
  return 0;
}

void dtw__sync_fdi_restart_candidates(dtw_sync_t *s) {
  for (size_t j = 0; j < s->n_joints; j++) {
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    f->cand_resid_s = f->cand_notorque_s = f->cand_dead_s = f->cand_model_s = NAN;
    f->cand_vmax = 0;
  }
  reset_fits(s);
}

void dtw__sync_fdi_free(dtw_sync_t *s) {
  free(s->fdi);
  free(s->fq);
  free(s->fv);
  free(s->fa);
  free(s->ftau);
  free(s->fgrav);
  free(s->twin_eff_at);
  free(s->chain_idx);
  free(s->per_kg_all);
  free(s->floor_nm);
  free(s->limit_nm);
  free(s->ctl_err);
  free(s->ctl_eff);
  free(s->ctl_recv_at);
  free(s->ctl_ref);
  free(s->ctl_ref_moved_s);
  free(s->cmd_off);
}

size_t dtw__sync_fdi_active(const dtw_sync_t *s) {
  size_t n = 0;
  for (size_t j = 0; j < s->n_joints; j++) n += s->fdi[j].fault.kind != DTW_SYNC_FAULT_NONE;
  return n;
}

/* ---- latch ------------------------------------------------------------------ */

/* Shadow mode: joint j's model residual (the robot's effort against its own
 * measured motion) has stood above its threshold for fdi_hold_s, pushing the
 * way the twin-referenced residual does, with the joint measurably off the twin. */
static bool model_witness(const dtw_sync_t *s, size_t j, double stamp) {
  const dtw__sync_fdi_joint_t *f = &s->fdi[j];
  return !isnan(f->cand_model_s) && stamp - f->cand_model_s >= s->set.fdi_hold_s &&
         f->rm * f->r > 0 &&
         s->cur_pos[j] > FDI_SHADOW_MODEL_CONFIRM_SHARE * s->set.alarm_position_error_rad;
}

/* Shadow mode: chain g's model residuals (the robot's effort against its own
 * measured motion) have fitted a weight at its end for FDI_WEIGHT_HOLD_S: a
 * second witness of the load its twin-referenced ones fit, which a host stall
 * (robot and twin apart in time) cannot fake and which needs no position
 * error - a stiff leg carries a weight at its foot within a milliradian. */
static bool load_model_witness(const dtw_sync_t *s, int g, double stamp) {
  return g >= 0 && stamp - s->mfit_last[g] <= FDI_WEIGHT_LAPSE_S &&
         stamp - s->mfit_since[g] >= FDI_WEIGHT_HOLD_S;
}

/* Largest position error (robot - twin) in joint j's chain. */
static double chain_off(const dtw_sync_t *s, size_t j) {
  double m = 0;
  for (size_t k = 0; k < s->n_joints; k++)
    if (s->joint_group[k] == s->joint_group[j] && s->cur_pos[k] > m) m = s->cur_pos[k];
  return m;
}

/* Joint k is in chain g, or in a chain that carries g and handed it its load
 * report: a load reported on g shows there. */
static bool load_joint(const dtw_sync_t *s, size_t k, int g) {
  int h = s->joint_group[k];
  return h == g || (h >= 0 && s->load_outer[h] == g);
}

/* Largest position error (robot - twin) where a load on joint j's chain shows. */
static double load_off(const dtw_sync_t *s, size_t j) {
  double m = 0;
  for (size_t k = 0; k < s->n_joints; k++)
    if (load_joint(s, k, s->joint_group[j]) && s->cur_pos[k] > m) m = s->cur_pos[k];
  return m;
}

/* A load is reported where joint j shows it; explained: and that weight, at
 * the robot's pose, explains j's residual (a weight whose torque falls on one
 * joint in some poses looks like that joint seized). */
static bool under_load(dtw_sync_t *s, size_t j, bool explained) {
  for (size_t k = 0; k < s->n_joints; k++) {
    const dtw_sync_fault_t *F = &s->fdi[k].fault;
    if (F->kind == DTW_SYNC_FAULT_EXTERNAL_LOAD && load_joint(s, j, F->group) &&
        (!explained || dtw__sync_weight_explains(s, F->group, F->mass_kg, j)))
      return true;
  }
  return false;
}

/* The joint of group g with a load report (a chain has one at most), or -1. */
static int chain_load(const dtw_sync_t *s, int g) {
  for (size_t k = 0; k < s->n_joints; k++)
    if (s->joint_group[k] == g && s->fdi[k].fault.kind == DTW_SYNC_FAULT_EXTERNAL_LOAD)
      return (int)k;
  return -1;
}

static void latch(dtw_sync_t *s, size_t j, dtw_sync_fault_kind_t kind, double onset, double stamp,
                  double recv, double conf) {
  dtw__sync_fdi_joint_t *f = &s->fdi[j];
  dtw_sync_fault_t *F = &f->fault;
  if (F->kind == kind) return;
  // a side that cannot keep real time leaves traces that look like faults
  if (!dtw__sync_pace_judging(s, recv)) return;
  // shadow mode: a torque signature counts once the joint is also measurably off
  // the twin (a lock, a dead drive or a load moves it); robot and twin starting a
  // motion a few milliseconds apart differ in effort, not yet in position. A
  // frozen reading and a constant zero effort need no such consequence; a lock
  // or a load whose model residuals say the same needs none either.
  if (s->shadow && kind != DTW_SYNC_FAULT_SENSOR_FROZEN &&
      f->e_run_n < DTW__SYNC_FROZEN_MIN_REPEATS &&
      !(s->cur_pos[j] > FDI_SHADOW_CONFIRM_SHARE * s->set.alarm_position_error_rad) &&
      !(kind == DTW_SYNC_FAULT_EXTERNAL_LOAD &&
        (load_off(s, j) > FDI_SHADOW_LOAD_CONFIRM_SHARE * s->set.alarm_position_error_rad ||
         load_model_witness(s, s->joint_group[j], stamp))) &&
      !(kind == DTW_SYNC_FAULT_LOCKED && model_witness(s, j, stamp)))
    return;
  // a load is the chain's: one report for it, on the joint that showed it first
  if (kind == DTW_SYNC_FAULT_EXTERNAL_LOAD && chain_load(s, s->joint_group[j]) >= 0) return;
  // a specific signature replaces a vaguer one; a frozen reading beats all
  // (a joint without torque first looks locked: its effort is off the model)
  if (F->kind != DTW_SYNC_FAULT_NONE && F->kind != DTW_SYNC_FAULT_UNKNOWN &&
      F->kind != DTW_SYNC_FAULT_EXTERNAL_LOAD && kind != DTW_SYNC_FAULT_SENSOR_FROZEN &&
      !(F->kind == DTW_SYNC_FAULT_LOCKED && kind == DTW_SYNC_FAULT_NO_TORQUE))
    return;
  bool fresh = F->kind == DTW_SYNC_FAULT_NONE;
  F->kind = kind;
  F->joint = (int)j;
  F->group = s->joint_group[j];
  F->confidence = conf;
  if (fresh || !(onset >= F->onset_stamp_s)) F->onset_stamp_s = onset;
  if (fresh) {
    F->detected_stamp_s = stamp;
    F->detected_s = recv;
    f->order = ++s->fdi_serial;
  }
  F->residual_nm = f->r;
  F->mass_kg = NAN;
  f->healthy_s = NAN;
  s->faults_detected[kind]++;
  if (kind != DTW_SYNC_FAULT_EXTERNAL_LOAD) {
    dtw__sync_fault_text(s, j, dtw__sync_ctl_fresh(s, j, recv) && !isnan(s->ctl_eff[j]));
    return;
  }
  double kg = s->fit_mass[F->group];
  f->load_sum = isnan(kg) ? 0 : kg;
  f->load_n = isnan(kg) ? 0 : 1;
  dtw__sync_load_text(s, j, kg);
}

/* Evidence that joint j is healthy again; clears its fault after fdi_clear_s. */
static void update_health(dtw_sync_t *s, size_t j, double stamp) {
  dtw__sync_fdi_joint_t *f = &s->fdi[j];
  if (f->fault.kind == DTW_SYNC_FAULT_NONE) return;
  bool healthy = false;
  bool resid_ok = isnan(f->r) || fabs(f->r) < f->thr;
  switch (f->fault.kind) {
  case DTW_SYNC_FAULT_SENSOR_FROZEN: healthy = f->run_n == 0; break;
  case DTW_SYNC_FAULT_NO_TORQUE:
    healthy = f->e_run_n == 0 && isnan(f->low_eff_s) && !isnan(f->tau_f) && resid_ok;
    break;
  case DTW_SYNC_FAULT_LOCKED:
    // only motion proves a lock is gone; a joint at rest may still be seized
    healthy = fabs(f->v_fast) > s->set.fdi_stationary_rad_s && resid_ok;
    break;
  case DTW_SYNC_FAULT_EXTERNAL_LOAD: {
    // the chain's joints, and those of the chains that carry it and gave it the report
    healthy = true;
    for (size_t k = 0; k < s->n_joints && healthy; k++)
      if (load_joint(s, k, f->fault.group) && !isnan(s->fdi[k].r))
        healthy = fabs(s->fdi[k].r) < 0.8 * s->fdi[k].thr;
    // ... in a pose where the weight would show (a hand's weight on an arm that
    // hangs straight down pushes on no joint: that proves nothing)
    if (healthy) healthy = dtw__sync_weight_shows(s, f->fault.group, f->fault.mass_kg);
    break;
  }
  default:
    healthy = isnan(s->cur_pos[j]) ||
              s->cur_pos[j] < DTW_SYNC_HYSTERESIS * s->set.alarm_position_error_rad;
    break;
  }
  if (!healthy) {
    f->healthy_s = NAN;
    return;
  }
  if (isnan(f->healthy_s)) f->healthy_s = stamp;
  if (stamp - f->healthy_s >= s->set.fdi_clear_s) {
    if (f->fault.kind == DTW_SYNC_FAULT_EXTERNAL_LOAD)
      for (size_t g = 0; g < DTW_SYNC_MAX_GROUPS; g++)
        if (s->load_outer[g] == f->fault.group) s->load_outer[g] = -1;
    f->fault.kind = DTW_SYNC_FAULT_NONE;
    f->healthy_s = NAN;
  }
}

/* ---- per sample ------------------------------------------------------------- */

/* Frozen reading: bit-identical positions (velocity 0 or absent). */
/* Zero effort reported unchanged (a disabled drive), on a drive whose effort used to change. */
static void track_effort(dtw__sync_fdi_joint_t *f, double e, double stamp) {
  bool same = f->have_e && e == f->last_e && fabs(e) <= FDI_NO_TORQUE_FLOOR_NM;
  if (same) {
    if (f->e_run_n == 0) {
      f->e_run_start_s = stamp;
      f->e_live_at_run = f->e_live;
    }
    f->e_run_n++;
  } else {
    if (f->have_e) f->e_live += FDI_LIVE_ALPHA * ((e != f->last_e ? 1.0 : 0.0) - f->e_live);
    f->e_run_n = 0;
  }
  f->last_e = e;
  f->have_e = true;
}

static void track_reading(dtw__sync_fdi_joint_t *f, double q, double v, double stamp) {
  bool same = f->have_q && q == f->last_q && (isnan(v) || v == 0);
  if (same) {
    if (f->run_n == 0) {
      f->run_start_s = f->last_q_stamp;
      f->live_at_run = f->live;
    }
    f->run_n++;
  } else {
    if (f->have_q) f->live += FDI_LIVE_ALPHA * ((q != f->last_q ? 1.0 : 0.0) - f->live);
    f->run_n = 0;
  }
  f->last_q = q;
  f->last_q_stamp = stamp;
  f->have_q = true;
}

/* Another joint of j's chain has a fault: the twin then no longer shows what
 * j should do (a locked knee changes the whole leg), small signs are not new faults. */
static bool chain_faulted(const dtw_sync_t *s, size_t j) {
  for (size_t k = 0; k < s->n_joints; k++)
    if (k != j && s->joint_group[k] == s->joint_group[j] &&
        s->fdi[k].fault.kind != DTW_SYNC_FAULT_NONE)
      return true;
  return false;
}

/* Mirror mode: another chain's residuals stand above their thresholds now, or
 * fitted a weight a moment ago. A weight's motion pushes on the joints that
 * carry it beyond what its gravity does (a yaw joint under a swinging arm,
 * which the weight's fit does not see): that is no lock. A seized joint leaves
 * the other chains' residuals, taken against their own measured motion, at
 * nothing. */
static bool pushed_elsewhere(const dtw_sync_t *s, int g, double stamp) {
  for (size_t h = 0; h < s->n_groups; h++) {
    double top, second;
    if ((int)h == g) continue;
    if (stamp - s->fit_last[h] <= FDI_WEIGHT_LAPSE_S ||
        (dtw__sync_chain_top(s, (int)h, &top, &second) >= 0 && top > 1.0))
      return true;
  }
  return false;
}

/* A chain further out that chain g's residuals led to fits a weight now. */
static bool outer_fits(const dtw_sync_t *s, int g, double stamp) {
  for (size_t h = 0; h < s->n_groups; h++)
    if ((int)h != g && s->fit_via[h] == g && stamp - s->fit_last[h] <= FDI_WEIGHT_LAPSE_S)
      return true;
  return false;
}

static double conf_of(double ratio) { return fmin(0.99, 1.0 - 0.5 / fmax(ratio, 1.0)); }

void dtw__sync_fdi_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double stamp,
                          double recv) {
  const size_t n = s->n_joints;
  const double T = s->set.fdi_filter_s, hold = s->set.fdi_hold_s;
  bool has_vel = msg->n_velocity == msg->n_name, has_eff = msg->n_effort == msg->n_name;
  double dt = stamp - s->fdi_prev_stamp_s;
  bool restart = !(dt > 0) || dt > FDI_MAX_GAP_S;
  // an old or repeated stamp is no new information for the filters
  if (!isnan(s->fdi_prev_stamp_s) && !(dt > 0)) return;
  s->fdi_prev_stamp_s = stamp;
  s->fdi_samples++; /* the weight's torques taken for the last sample are old */
  if (restart) {
    for (size_t j = 0; j < n; j++) joint_reset_filters(&s->fdi[j]);
    // and robot and twin settle from their start (or a gap) before verdicts
    s->fdi_warm_s = stamp + fmax(FDI_WARM_TAUS * T, FDI_WARM_MIN_S);
    reset_fits(s);
  }
  double alpha = restart ? 1.0 : 1.0 - exp(-dt / T);

  // filters and readings; the model needs every joint's state
  size_t named = 0;
  for (size_t k = 0; k < msg->n_name; k++) {
    int jj = s->map[k];
    if (jj < 0) continue;
    size_t j = (size_t)jj;
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    double q = msg->position[k], v = has_vel ? msg->velocity[k] : NAN;
    track_reading(f, q, v, stamp);
    if (has_vel) {
      double a4 = restart ? 1.0 : 1.0 - exp(-4.0 * dt / T);
      f->v_fast = isnan(f->v_fast) ? v : f->v_fast + a4 * (v - f->v_fast);
      if (isnan(f->v_f)) {
        f->v_f = v;
        f->a_f = 0;
      } else {
        double prev = f->v_f;
        f->v_f += alpha * (v - f->v_f);
        f->a_f = (f->v_f - prev) / dt;
      }
    }
    if (has_eff) track_effort(f, msg->effort[k], stamp);
    if (has_eff) {
      double e = msg->effort[k], a4 = restart ? 1.0 : 1.0 - exp(-4.0 * dt / T);
      f->tau_f = isnan(f->tau_f) ? e : f->tau_f + alpha * (e - f->tau_f);
      f->tau_fast = isnan(f->tau_fast) ? e : f->tau_fast + a4 * (e - f->tau_fast);
    }
    s->fq[j] = q;
    s->fv[j] = f->v_f;
    s->fa[j] = f->a_f;
    named++;
  }
  bool model = s->dyn != NULL && has_vel && has_eff && named == n &&
               s->dyn(s->dyn_ctx, s->fq, s->fv, s->fa, s->ftau, s->fgrav) == 0;
  // shadow mode, this sample matched: the twin, under the same command in the same
  // world, is the reference for the effort (what the model alone leaves out - floor
  // contacts, a held base, the controller's own dynamics - acts on both and cancels)
  bool twin_ref = s->shadow && has_eff && s->last_match_recv_s == recv;
  // mirror: the robot's own controller, while its state is fresh, is the command
  for (size_t j = 0; j < n; j++) {
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    double te = s->twin_eff_at[j];
    if (twin_ref && !isnan(te))
      f->teff_f = isnan(f->teff_f) || restart ? te : f->teff_f + alpha * (te - f->teff_f);
    else if (!s->shadow)
      f->teff_f = NAN;
    // the twin is a torque reference only where it is near the robot: a joint (or
    // chain) far off the twin (a robot moved behind its back) needs other torques
    bool near = !(chain_off(s, j) > s->set.alarm_position_error_rad);
    // the robot's effort against what the model needs for its own measured motion:
    // mirror mode's residual, and in shadow mode a lock's second witness
    bool have_rm = model && !isnan(f->tau_f);
    double model_need = have_rm ? fmax(fabs(s->ftau[j]), fabs(s->fgrav[j])) : NAN;
    double rm = have_rm ? f->tau_f - s->ftau[j] : NAN;
    double thrm = s->floor_nm[j] + s->set.fdi_torque_tolerance * model_need;
    if (twin_ref && near && !isnan(f->tau_f) && !isnan(f->teff_f)) {
      double ref = f->teff_f;
      double need = model ? fmax(fabs(ref), fabs(s->fgrav[j])) : fabs(ref);
      f->r = f->tau_f - ref;
      f->thr = s->floor_nm[j] + s->set.fdi_torque_tolerance * need;
      f->expected = need;
    } else if (have_rm) {
      f->r = rm;
      f->thr = thrm;
      f->expected = model_need;
    } else {
      f->r = NAN;
      f->thr = s->floor_nm[j];
      f->expected = NAN;
    }
    f->rm = s->shadow ? rm : NAN;
    if (!(s->shadow && fabs(rm) > thrm))
      f->cand_model_s = NAN;
    else if (isnan(f->cand_model_s))
      f->cand_model_s = stamp;
    // in shadow mode the twin runs the same command: its effort is what a healthy
    // joint delivers now (the model alone cannot tell free fall from no torque)
    if (s->shadow && !isnan(s->twin_eff_at[j])) {
      f->expected = fabs(s->twin_eff_at[j]);
      f->twin_peak = fmax(f->expected, restart ? 0 : f->twin_peak * exp(-dt / FDI_TWIN_PEAK_S));
    } else if (dtw__sync_ctl_fresh(s, j, recv)) {
      // mirror: what the robot's controller commands is what a healthy drive
      // delivers (a position controller's output is no torque: then what the
      // model needs)
      if (!isnan(s->ctl_eff[j])) f->expected = fabs(s->ctl_eff[j]);
      double d = f->expected;
      if (!isnan(d)) f->twin_peak = fmax(d, restart ? 0 : f->twin_peak * exp(-dt / FDI_TWIN_PEAK_S));
    } else if (!s->shadow) {
      f->twin_peak = 0;  // no command known now: no demand carried over a gap
    }
  }
  bool warm = stamp >= s->fdi_warm_s;
  // how far each joint is off its command: the twin (shadow), the robot's
  // controller's error (mirror; NaN without it)
  size_t n_off = 0;
  for (size_t j = 0; j < n; j++) {
    s->cmd_off[j] = s->shadow                          ? s->cur_pos[j]
                    : dtw__sync_ctl_fresh(s, j, recv) ? fabs(s->ctl_err[j])
                                                      : NAN;
    n_off += s->cmd_off[j] > FDI_DEAD_OFF_SHARE * s->set.alarm_position_error_rad;
  }
  // a constant zero effort tells a dead drive only on a robot that moves: a
  // simulated robot at rest settles to exactly repeated values
  bool robot_moving = false;
  for (size_t j = 0; j < n && !robot_moving; j++)
    robot_moving = fabs(s->fdi[j].v_fast) > s->set.fdi_stationary_rad_s;

  for (size_t j = 0; j < n; j++) {
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    // frozen reading (needs no model)
    if (f->run_n >= DTW__SYNC_FROZEN_MIN_REPEATS && f->live_at_run >= FDI_LIVE_MIN &&
        stamp - f->run_start_s >= hold)
      latch(s, j, DTW_SYNC_FAULT_SENSOR_FROZEN, f->run_start_s, stamp, recv,
            fmin(0.99, f->live_at_run));

    // no torque: the effort is ~0 while the joint needs one
    bool low = !isnan(f->tau_fast) && fabs(f->tau_fast) <= fmax(FDI_NO_TORQUE_FLOOR_NM,
                                                               FDI_NO_TORQUE_SHARE * f->expected);
    if (!low)
      f->low_eff_s = NAN;
    else if (isnan(f->low_eff_s))
      f->low_eff_s = stamp;
    // shadow: the twin's effort is a healthy joint's; mirror: only the model's,
    // which a coupled motion can briefly cancel (held longer below). A small
    // expected torque proves nothing: a stalled host shifts robot and twin in
    // time, and a fault elsewhere in the chain changes what the twin does.
    bool shadow_ref = s->shadow && !isnan(s->twin_eff_at[j]);
    bool ctl_ref = dtw__sync_ctl_fresh(s, j, recv);
    bool cmd_ref = shadow_ref || (ctl_ref && !isnan(s->ctl_eff[j]));
    bool notorque = warm && low && f->expected > s->set.fdi_torque_floor_nm && !chain_faulted(s, j);
    if (!notorque)
      f->cand_notorque_s = NAN;
    else if (isnan(f->cand_notorque_s))
      f->cand_notorque_s = stamp;
    if (notorque && stamp - f->cand_notorque_s >= (cmd_ref ? hold : FDI_NO_TORQUE_MIRROR_HOLDS * hold))
      latch(s, j, DTW_SYNC_FAULT_NO_TORQUE, f->low_eff_s, stamp, recv,
            conf_of(f->expected / s->set.fdi_torque_floor_nm));

    // a drive reporting exactly the same ~0 effort sample after sample, where its
    // effort used to change every sample: disabled (works without a model or a twin)
    if (robot_moving && f->e_run_n >= DTW__SYNC_FROZEN_MIN_REPEATS &&
        f->e_live_at_run >= FDI_LIVE_MIN &&
        stamp - f->e_run_start_s >= hold && !chain_faulted(s, j))
      latch(s, j, DTW_SYNC_FAULT_NO_TORQUE, f->e_run_start_s, stamp, recv,
            fmin(0.99, f->e_live_at_run));

    // no torque on a joint that needs little: a healthy actuator pushes against a
    // position error (its controller's gain times the error), a dead one reports
    // ~0 while the joint drifts off its command: what the twin, under the same
    // command, does (shadow); the robot's controller's reference (mirror)
    double cmd_eff = shadow_ref ? fabs(s->twin_eff_at[j])
                     : ctl_ref && !isnan(s->ctl_eff[j]) ? fabs(s->ctl_eff[j])
                                                         : f->expected;
    // the demand: the controller's command now, where it gives one (a joint held
    // off its reference by friction, an integral term or a feed-forward gets a
    // command that crosses 0 there, and a healthy drive follows it); else the
    // command's recent peak (the twin's effort comes with the feeds' offsets in time)
    double demand = ctl_ref && !isnan(s->ctl_eff[j]) ? cmd_eff : f->twin_peak;
    double off = s->cmd_off[j];
    bool dead = warm && (shadow_ref || ctl_ref) && !isnan(f->tau_fast) && !isnan(off) &&
                fabs(f->tau_fast) <= fmax(FDI_NO_TORQUE_FLOOR_NM, FDI_NO_TORQUE_SHARE * cmd_eff) &&
                demand > FDI_DEAD_MIN_DEMAND_NM &&
                off > FDI_DEAD_OFF_SHARE * s->set.alarm_position_error_rad &&
                n_off <= 1 + FDI_DEAD_MAX_OTHERS_OFF && !chain_faulted(s, j);
    if (!dead)
      f->cand_dead_s = NAN;
    else if (isnan(f->cand_dead_s))
      f->cand_dead_s = stamp;
    if (dead && stamp - f->cand_dead_s >= hold)
      latch(s, j, DTW_SYNC_FAULT_NO_TORQUE, isnan(f->low_eff_s) ? f->cand_dead_s : f->low_eff_s,
            stamp, recv, conf_of(off / (FDI_DEAD_OFF_SHARE * s->set.alarm_position_error_rad)));

    // torque residual
    if (isnan(f->r) || fabs(f->r) < 0.5 * f->thr) f->quiet_s = stamp;
    bool above = warm && !isnan(f->r) && fabs(f->r) > f->thr && !low;
    if (!above) {
      f->cand_resid_s = NAN;
      f->cand_vmax = 0;
    } else {
      if (isnan(f->cand_resid_s)) f->cand_resid_s = stamp;
      f->cand_vmax = fmax(f->cand_vmax, fabs(f->v_f));
    }
  }

  // residual verdicts: only the chain's strongest joint speaks for it
  for (size_t j = 0; j < n; j++) {
    dtw__sync_fdi_joint_t *f = &s->fdi[j];
    if (isnan(f->cand_resid_s)) continue;
    double top_ratio, second_ratio;
    int g = s->joint_group[j];
    if (dtw__sync_chain_top(s, g, &top_ratio, &second_ratio) != (int)j) continue;
    // a weight held at the chain's end: the chain's residuals in its shape
    // (fitted from the first sample above the threshold: the fit holds on its own)
    bool fits = s->load != NULL && named == n;
    double mass = fits ? dtw__sync_weight_fit(s, g, false, -1) : NAN;
    // ... or further out, at the end of a chain it carries (w, reported on wj)
    int w = g, wj = (int)j;
    for (size_t step = 0; fits && step < s->n_groups; step++) {
      double kg;
      int e = dtw__sync_outer_chain(s, w, (size_t)wj, &kg, &wj);
      if (e < 0) break;
      w = e;
      mass = kg;
    }
    if (!isnan(mass)) {
      if (!(stamp - s->fit_last[w] <= FDI_WEIGHT_LAPSE_S)) s->fit_since[w] = stamp;
      s->fit_last[w] = stamp;
      s->fit_mass[w] = mass;
      if (w != g) s->fit_via[w] = g;
    }
    bool weight = stamp - s->fit_last[w] <= FDI_WEIGHT_LAPSE_S;
    if (!weight) s->fit_mass[w] = NAN; /* the report names a mass only while it fits */
    // (the model residuals' own fit, whether or not the twin's fits yet)
    if (s->shadow && fits && !isnan(dtw__sync_weight_fit(s, w, true, -1))) {
      if (!(stamp - s->mfit_last[w] <= FDI_WEIGHT_LAPSE_S)) s->mfit_since[w] = stamp;
      s->mfit_last[w] = stamp;
    }
    // this chain's residuals already went to a load reported further out
    bool carried = s->load_outer[g] >= 0 && chain_load(s, s->load_outer[g]) >= 0;
    // a load reported on this chain gives the mean of the fits since: one fit
    // carries the motion's transients (a limb that stalls under the weight
    // pushes too), which the mean over the motion evens out
    int loaded = isnan(mass) ? -1 : chain_load(s, w);
    if (loaded >= 0) {
      dtw__sync_fdi_joint_t *h = &s->fdi[loaded];
      h->load_sum += mass;
      h->load_n++;
      double mean = h->load_sum / h->load_n, shown = h->fault.mass_kg;
      if (!(fabs(mean - shown) <= FDI_LOAD_MASS_UPDATE * shown))
        dtw__sync_load_text(s, (size_t)loaded, mean);
    }
    // a weight's fit that held is evidence of its own: the joints of a chain
    // carrying a weight near their thresholds take turns above them, none for
    // the hold. In shadow mode the model residuals' fit that held counts too,
    // once the twin residuals fit it now: those see the weight as soon as it
    // acts, these only as the robot's controller answers the sag.
    bool held = stamp - f->cand_resid_s >= hold;
    bool weight_held = weight && (stamp - s->fit_since[w] >= FDI_WEIGHT_HOLD_S ||
                                  (s->shadow && load_model_witness(s, w, stamp)));
    if (!held && !weight_held) continue;
    bool alone = second_ratio < fmax(1.0, FDI_CHAIN_SHARE * top_ratio);
    bool still = fabs(f->v_fast) < s->set.fdi_stationary_rad_s;
    // a still joint whose residuals, with those of every joint that carries its
    // chain's end, fit a weight carries one: not read as seized while the fit
    // holds (mirror mode knows no command). Shadow mode: a seized joint shows
    // against a command that moves it, so where the twin moves on the weight
    // must also fit the model residuals - the robot's effort against its own
    // motion, which a seized joint leaves on itself alone (an arm that takes a
    // weight at the top of its motion stalls there and pushes as a seized one
    // would, its elbow pushing too). Where the twin holds it still close by,
    // the joint sags, it does not stick.
    bool held_still = !s->shadow || (s->cur_vel[j] < s->set.fdi_stationary_rad_s &&
                                     s->cur_pos[j] < s->set.alarm_position_error_rad);
    double onset = isnan(f->quiet_s) ? f->cand_resid_s : f->quiet_s;
    // (a residual the reported weight explained a moment ago: fading, not seized)
    if (under_load(s, j, true)) f->explained_s = stamp;
    // under a reported weight a lock must also hold longer, the joint never
    // moving: the weight's inertia pushes alone on a joint that starts a motion
    // (with the weight's gravity alone in the fit, the G1's hip pitch under 2 kg
    // at its ankle read as locked, 2.1 N m where that gave -0.07), and the fit
    // sees the inertia only through low-passed, noisy accelerations
    bool settled = !under_load(s, j, false) || (stamp - f->cand_resid_s >= FDI_LOAD_HOLD_S &&
                                                f->cand_vmax < s->set.fdi_stationary_rad_s);
    if (held && alone && still && settled && !carried && dtw__sync_ctl_commanded(s, j, recv) &&
        (s->shadow || !pushed_elsewhere(s, g, stamp)) &&
        !(weight && (held_still || !isnan(dtw__sync_weight_fit(s, w, true, (int)j)))) &&
        !(stamp - f->explained_s < hold)) {
      latch(s, j, DTW_SYNC_FAULT_LOCKED, onset, stamp, recv, conf_of(top_ratio));
      continue;
    }
    if (carried) continue;
    // a chain further out that fits the weight too is where it is: it is
    // reported there (by its own joints or through this chain's, which miss
    // it in some samples), this chain waiting one more hold at most (the H1's
    // ring finger's joints saw a weight 10 ms after the arm's did: the arm's
    // fit held first and was named)
    if (weight_held && w == g && outer_fits(s, g, stamp) &&
        stamp - s->fit_since[g] < 2 * FDI_WEIGHT_HOLD_S)
      continue;
    if (weight_held || stamp - f->cand_resid_s >= fmax(hold, FDI_LOAD_HOLD_S)) {
      if (w != g) s->load_outer[g] = w;
      latch(s, (size_t)wj, DTW_SYNC_FAULT_EXTERNAL_LOAD, onset, stamp, recv,
            conf_of(top_ratio) * (alone ? 0.7 : 1.0));
    }
  }

  for (size_t j = 0; j < n; j++) update_health(s, j, stamp);
}

/* ---- report -------------------------------------------------------------------- */

void dtw__sync_fdi_report(dtw_sync_t *s) {
  dtw_sync_report_t *r = &s->rep;
  r->n_faults = 0;
  r->have_model = s->dyn != NULL;
  memcpy(r->faults_detected, s->faults_detected, sizeof r->faults_detected);
  // latched faults in detection order (selection: n is small)
  uint64_t last = 0;
  while (r->n_faults < DTW_SYNC_MAX_FAULTS) {
    int best = -1;
    for (size_t j = 0; j < s->n_joints; j++) {
      const dtw__sync_fdi_joint_t *f = &s->fdi[j];
      if (f->fault.kind == DTW_SYNC_FAULT_NONE || f->order <= last) continue;
      if (best < 0 || f->order < s->fdi[best].order) best = (int)j;
    }
    if (best < 0) break;
    r->faults[r->n_faults++] = s->fdi[best].fault;
    last = s->fdi[best].order;
  }
  for (size_t j = 0; j < s->n_joints && j < DTW_MAX_JOINTS; j++) {
    r->joints[j].fault = s->fdi[j].fault.kind;
    r->joints[j].residual_nm = s->fdi[j].r;
    r->joints[j].residual_limit_nm = s->fdi[j].thr;
  }
}
