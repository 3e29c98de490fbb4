/* Robot emulator, faults: the schedule (pure) and the physical faults a twin
 * is given through its plant hooks (dtw/twin.h). */
#include <math.h>

#include "dtw/err.h"
#include "dtw/robot_emu.h"
#include "dtw/sim.h"
#include "robot__emu.h"

static const char *const k_fault_names[] = {"lock", "no_torque", "freeze", "silent", "payload"};

const char *dtw_robot_fault_name(int fault) {
  return fault >= 0 && fault < DTW_ROBOT_FAULT_COUNT ? k_fault_names[fault] : "invalid";
}

/* ---- physical faults ------------------------------------------------------ */

int dtw_emu_set_joint_fault(dtw_twin_t *twin, size_t joint, dtw_emu_joint_fault_t fault) {
  if (joint >= dtw_twin_joint_count(twin) || (int)fault < DTW_EMU_JOINT_OK ||
      fault > DTW_EMU_JOINT_NO_TORQUE)
    return DTW_EINVAL;
  int rc = dtw_twin_set_effort_gain(twin, joint, fault == DTW_EMU_JOINT_NO_TORQUE ? 0.0 : 1.0);
  if (rc < 0) return rc;
  /* a seized joint is a constraint on its own axis (dtw_sim_lock_joint), so the
   * torque that holds it acts there only, as on a real robot */
  return dtw_sim_lock_joint(dtw_twin_sim(twin), joint, fault == DTW_EMU_JOINT_LOCKED);
}

int dtw_emu_scale_model(dtw_twin_t *twin, double mass_scale, double friction_scale) {
  int rc = dtw_sim_scale_model(dtw_twin_sim(twin), mass_scale, friction_scale);
  /* the controller knows the model as described, not the scaled one */
  if (rc == 0) rc = dtw_twin_set_feedforward_scale(twin, 1.0 / mass_scale);
  return rc;
}

int dtw_emu_add_payload(dtw_twin_t *twin, const char *body, double mass_kg) {
  return dtw_sim_add_payload(dtw_twin_sim(twin), body, mass_kg);
}

/* ---- fault schedule ----------------------------------------------------- */

int dtw__fault_add(dtw__fault_schedule_t *s, int kind, int joint, double start_s,
                   double duration_s) {
  if (s->n >= DTW__FAULT_MAX) return DTW_EFULL;
  if (!isfinite(start_s) || start_s < 0 || !isfinite(duration_s) || duration_s < 0)
    return DTW_EINVAL;
  s->f[s->n++] = (dtw__fault_t){
      .kind = kind, .joint = joint, .start_s = start_s, .duration_s = duration_s, .active = false};
  return 0;
}

bool dtw__fault_due(const dtw__fault_t *f, double t_s) {
  if (t_s < f->start_s) return false;
  return f->duration_s <= 0 || t_s < f->start_s + f->duration_s;
}

unsigned dtw__fault_update(dtw__fault_schedule_t *s, double t_s) {
  unsigned changed = 0;
  for (size_t i = 0; i < s->n; i++) {
    bool due = dtw__fault_due(&s->f[i], t_s);
    if (due != s->f[i].active) {
      s->f[i].active = due;
      changed |= 1u << i;
    }
  }
  return changed;
}
