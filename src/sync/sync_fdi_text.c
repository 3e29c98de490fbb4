/* The fault report's sentences: what each kind says about its joint, with the
 * figures the runbooks ask the operator to check (docs/runbooks.md). Written
 * into the joint's fault text when it is latched, or when a load's mass moves;
 * no allocation here. */
#include <math.h>
#include <stdio.h>

#include "sync__internal.h"

void dtw__sync_load_text(dtw_sync_t *s, size_t j, double kg) {
  dtw_sync_fault_t *F = &s->fdi[j].fault;
  F->mass_kg = kg;
  if (!isnan(kg)) {
    snprintf(F->text, sizeof F->text,
             "%s external load: torque %.1f N m off the model, chain %s, as %.2f kg held at its "
             "end; since %.3f s",
             s->names[j], F->residual_nm, s->group_names[F->group], kg, F->onset_stamp_s);
    return;
  }
  snprintf(F->text, sizeof F->text,
           "%s external load or model mismatch: torque %.1f N m off the model, chain %s; since "
           "%.3f s",
           s->names[j], F->residual_nm, s->group_names[F->group], F->onset_stamp_s);
}

void dtw__sync_fault_text(dtw_sync_t *s, size_t j, bool controller) {
  const dtw__sync_fdi_joint_t *f = &s->fdi[j];
  dtw_sync_fault_t *F = &s->fdi[j].fault;
  const char *name = s->names[j];
  switch (F->kind) {
  case DTW_SYNC_FAULT_LOCKED:
    snprintf(F->text, sizeof F->text,
             "%s locked: actuator pushes %.1f N m beyond the model, joint not moving; since "
             "%.3f s",
             name, f->r, F->onset_stamp_s);
    return;
  case DTW_SYNC_FAULT_NO_TORQUE:
    if (f->e_run_n >= DTW__SYNC_FROZEN_MIN_REPEATS &&
        !(f->expected > s->set.fdi_torque_floor_nm)) {
      snprintf(F->text, sizeof F->text,
               "%s no torque: the drive reports a constant %.2f N m effort; since %.3f s", name,
               f->last_e, F->onset_stamp_s);
      return;
    }
    if (controller) {
      snprintf(F->text, sizeof F->text,
               "%s no torque: effort %.2f N m where its controller commands %.1f N m, %.3f rad "
               "off its reference; since %.3f s",
               name, f->tau_f, fabs(s->ctl_eff[j]), fabs(s->ctl_err[j]), F->onset_stamp_s);
      return;
    }
    snprintf(F->text, sizeof F->text,
             "%s no torque: effort %.2f N m where the joint needs %.1f N m; since %.3f s", name,
             f->tau_f, f->expected, F->onset_stamp_s);
    return;
  case DTW_SYNC_FAULT_SENSOR_FROZEN:
    snprintf(F->text, sizeof F->text,
             "%s sensor frozen: position reads %.5f rad unchanged; since %.3f s", name, f->last_q,
             F->onset_stamp_s);
    return;
  case DTW_SYNC_FAULT_EXTERNAL_LOAD: dtw__sync_load_text(s, j, F->mass_kg); return;
  default:
    snprintf(F->text, sizeof F->text, "%s: robot and twin disagree, cause unknown; since %.3f s",
             name, F->onset_stamp_s);
    return;
  }
}
