/* The weight model of fault isolation: whether a chain's residuals have the
 * shape of a weight held at its end (src/sim's load model gives the torques
 * one kg there needs), and which chain's end holds it. No allocation here:
 * the scratch (chain_idx, per_kg) is sized at create. */
#include <math.h>

#include "sync__internal.h"

/* the residuals in the weight's direction: squared cosine with the torques
 * that weight needs */
#define FDI_WEIGHT_FIT 0.9
/* a joint of another chain is in the fit when it carries this share of the
 * weight's largest torque */
#define FDI_WEIGHT_CARRY_SHARE 0.01
/* ... and shows on a joint whose residual is this share of its threshold */
#define FDI_WEIGHT_SEEN_SHARE 0.5
/* a reported weight explains a joint's residual within its threshold or this
 * factor either way (the chain's end stands in for where it hangs: a finger's
 * weight loads the elbow more than the same mass at the wrist) */
#define FDI_WEIGHT_LEVER 0.5

/* a drive reporting this share of its effort limit pushes all it can */
#define FDI_SATURATED_SHARE 0.95

/* Joint k's drive is at its effort limit, pushing the way a weight with
 * torques p per kg would (r its residual): it shows that weight's torque
 * only up to its limit, the rest going to the joint's stop or into motion (a
 * 1 N m thumb under a 2 kg weight). */
static bool saturated(const dtw_sync_t *s, size_t k, double r, double p) {
  double e = s->fdi[k].tau_f;
  return fabs(e) >= FDI_SATURATED_SHARE * s->limit_nm[k] && e * p > 0 && r * p > 0;
}

/* The chain's joint with the largest residual / threshold, and the runner-up's ratio. */
int dtw__sync_chain_top(const dtw_sync_t *s, int group, double *top_ratio, double *second_ratio) {
  int top = -1;
  *top_ratio = *second_ratio = 0;
  for (size_t k = 0; k < s->n_joints; k++) {
    const dtw__sync_fdi_joint_t *g = &s->fdi[k];
    if (s->joint_group[k] != group || isnan(g->r) || !(g->thr > 0)) continue;
    double ratio = fabs(g->r) / g->thr;
    if (ratio > *top_ratio) {
      *second_ratio = *top_ratio;
      *top_ratio = ratio;
      top = (int)k;
    } else if (ratio > *second_ratio) {
      *second_ratio = ratio;
    }
  }
  return top;
}

/* Does the robot report a motion (velocities; accelerations from them)? */
static bool moving(const dtw_sync_t *s) {
  for (size_t k = 0; k < s->n_joints; k++)
    if (!isfinite(s->fv[k]) || !isfinite(s->fa[k])) return false;
  return true;
}

/* The torques per kg of a weight at group g's end, for the robot's motion in
 * this sample (its weight and its inertia; still: its weight alone), into
 * s->per_kg; the largest mass the model takes as plausible, or NaN (no chain,
 * model error). Taken once per chain, sample and kind. */
static double weight_torques_of(dtw_sync_t *s, int g, bool still) {
  size_t i = (size_t)still * DTW_SYNC_MAX_GROUPS + (size_t)g;
  s->per_kg = s->per_kg_all + i * s->n_joints;
  if (s->per_kg_at[i] == s->fdi_samples) return s->per_kg_max[i];
  s->per_kg_at[i] = s->fdi_samples;
  s->per_kg_max[i] = NAN;
  size_t nc = 0;
  for (size_t k = 0; k < s->n_joints; k++)
    if (s->joint_group[k] == g) s->chain_idx[nc++] = k;
  double max_kg = 0;
  if (nc == 0 || s->load(s->load_ctx, s->fq, still ? NULL : s->fv, still ? NULL : s->fa,
                         s->chain_idx, nc, s->per_kg, &max_kg) != 0)
    return NAN;
  s->per_kg_max[i] = max_kg;
  return max_kg;
}

/* ... in the motion where the robot reports one (a robot that reports no
 * velocities: its weight alone) */
static double weight_torques(dtw_sync_t *s, int g) {
  return weight_torques_of(s, g, !moving(s));
}

bool dtw__sync_weight_shows(dtw_sync_t *s, int g, double kg) {
  if (s->load == NULL || !(kg > 0) || isnan(weight_torques(s, g))) return true;
  for (size_t k = 0; k < s->n_joints; k++)
    if (isfinite(s->per_kg[k]) && fabs(kg * s->per_kg[k]) > s->fdi[k].thr) return true;
  return false;
}

bool dtw__sync_weight_explains(dtw_sync_t *s, int g, double kg, size_t j) {
  if (s->load == NULL || !(kg > 0) || isnan(weight_torques(s, g)) || !isfinite(s->per_kg[j]))
    return false;
  double r = s->fdi[j].r, p = kg * s->per_kg[j];
  return r * p > 0 && (fabs(r - p) <= s->fdi[j].thr ||
                       (fabs(r) >= FDI_WEIGHT_LEVER * fabs(p) &&
                        FDI_WEIGHT_LEVER * fabs(r) <= fabs(p)));
}

/* The mass the residuals of the joints in s->chain_idx[0..nf) fit, or NaN
 * (the rules: dtw__sync_weight_fit). skip: the drives at their effort limit
 * are left out of the mass, and each then only must not show more than the
 * mass needs (plus its threshold). */
static double fit_joints(const dtw_sync_t *s, size_t nf, bool model, double max_kg, bool skip) {
  double rp = 0, pp = 0, rr = 0;
  for (size_t i = 0; i < nf; i++) {
    size_t k = s->chain_idx[i];
    double r = model ? s->fdi[k].rm : s->fdi[k].r, p = s->per_kg[k];
    if (isnan(r) || !isfinite(p)) return NAN;
    if (skip && saturated(s, k, r, p)) continue;
    rp += r * p;
    pp += p * p;
    rr += r * r;
  }
  // (a residual the weight's torques barely touch would need an absurd mass)
  if (!(pp > 0) || !(rr > 0) || !(rp > 0) || !(rp / pp <= max_kg)) return NAN;
  double kg = rp / pp;
  if (!(rp * rp / (pp * rr) >= FDI_WEIGHT_FIT)) return NAN;
  // the weight must show on two joints at least, pushing its way, and explain
  // each joint's residual within the joint's threshold: on one joint alone any
  // residual fits it (a seized shoulder pushes where a weight in the hand would,
  // and the elbow, which would carry that weight too, shows nothing)
  size_t seen = 0;
  for (size_t i = 0; i < nf; i++) {
    size_t k = s->chain_idx[i];
    double r = model ? s->fdi[k].rm : s->fdi[k].r, p = s->per_kg[k], thr = s->fdi[k].thr;
    bool bound = skip && saturated(s, k, r, p);
    if (!(bound ? fabs(r) <= fabs(kg * p) + thr : fabs(r - kg * p) <= thr)) return NAN;
    seen += r * p > 0 && fabs(r) > FDI_WEIGHT_SEEN_SHARE * thr;
  }
  return seen >= 2 ? kg : NAN;
}

/* dtw__sync_weight_fit with the weight's torques of weight_torques_of(still). */
static double fit_weight(dtw_sync_t *s, int g, bool model, int via, bool still) {
  double max_kg = weight_torques_of(s, g, still);
  if (isnan(max_kg)) return NAN;
  double pmax = 0;
  for (size_t k = 0; k < s->n_joints; k++)
    if (isfinite(s->per_kg[k])) pmax = fmax(pmax, fabs(s->per_kg[k]));
  // the chain's joints and every other joint that carries the weight
  size_t nf = 0;
  for (size_t k = 0; k < s->n_joints; k++)
    if (s->joint_group[k] == g || fabs(s->per_kg[k]) > FDI_WEIGHT_CARRY_SHARE * pmax)
      s->chain_idx[nf++] = k;
  if (via >= 0 && s->joint_group[via] != g &&
      !(fabs(s->per_kg[via]) > FDI_WEIGHT_CARRY_SHARE * pmax))
    return NAN;
  double kg = fit_joints(s, nf, model, max_kg, false);
  for (size_t i = 0; isnan(kg) && i < nf; i++) {
    size_t k = s->chain_idx[i];
    if (saturated(s, k, model ? s->fdi[k].rm : s->fdi[k].r, s->per_kg[k]))
      return fit_joints(s, nf, model, max_kg, true);
  }
  return kg;
}

/* The weight (kg) held at group g's end that the residuals fit, or NaN: none
 * positive, or the residuals point elsewhere (squared cosine with the
 * weight's torques below FDI_WEIGHT_FIT). The fit spans the chain's joints and
 * every other joint that carries the weight (a hand's weight loads the torso,
 * a finger's the arm): a payload loads them all, a seized joint only itself.
 * A drive at its effort limit (saturated()) may show only part of the
 * weight's torque: where the fit fails with it, it is tried without it, the
 * drive then only not showing more than the weight needs.
 * The weight's torques are those in the robot's motion, its weight and its
 * inertia; where they do not fit, its weight alone is tried: the
 * accelerations come from measured velocities, and their noise moves the
 * inertia's share from sample to sample, while in a slow motion the weight's
 * gravity is most of it (demo, mirror mode, 3 kg at a foot: reported up to
 * 0.13 s later without the second try).
 * model: fit the shadow-mode model residuals (rm) instead of the residuals.
 * via >= 0: NaN as well unless joint via carries the weight (is in the fit).
 * Needs the load model and every joint's state in s->fq, s->fv, s->fa; leaves
 * s->per_kg at the torques that fitted (or were tried last). */
double dtw__sync_weight_fit(dtw_sync_t *s, int g, bool model, int via) {
  bool motion = moving(s);
  double kg = fit_weight(s, g, model, via, !motion);
  return isnan(kg) && motion ? fit_weight(s, g, model, via, true) : kg;
}

/* Chain h's own residuals alone in the shape of a weight of about kg at its
 * end (per_kg as dtw__sync_weight_fit left it for h): one of them clearly
 * seen, pushing the weight's way, and the mass they fit within a factor 2 of kg
 * (skip: without the drives at their effort limit). */
static bool own_fit_of(const dtw_sync_t *s, int h, double kg, bool skip) {
  double rp = 0, pp = 0, rr = 0;
  bool seen = false;
  for (size_t k = 0; k < s->n_joints; k++) {
    if (s->joint_group[k] != h) continue;
    double r = s->fdi[k].r, p = s->per_kg[k];
    seen |= r * p > 0 && fabs(r) > FDI_WEIGHT_SEEN_SHARE * s->fdi[k].thr;
    if (skip && saturated(s, k, r, p)) continue;
    rp += r * p;
    pp += p * p;
    rr += r * r;
  }
  if (!seen || !(rp > 0) || !(rp * rp / (pp * rr) >= FDI_WEIGHT_FIT)) return false;
  double own = rp / pp;
  return own >= 0.5 * kg && own <= 2.0 * kg;
}

/* ... with every joint, else (as the weight's fit) without those at their limit. */
static bool own_fit(const dtw_sync_t *s, int h, double kg) {
  return own_fit_of(s, h, kg, false) || own_fit_of(s, h, kg, true);
}

/* A chain other than g, carried by joint j, with a joint above its threshold,
 * whose own residuals show a weight at its end, and whose residuals with those
 * of every joint carrying it fit that weight; the one whose joints stand
 * highest, its strongest joint in *top_joint and its fitted mass in *kg; -1:
 * none (both left alone). A weight in the fingers loads the
 * arm far more than the fingers, and the arm's fit for a weight in the hand
 * holds as well: only the fingers' own joints tell where it is. Under their
 * thresholds they do not: residuals at half of it, which a moving arm leaves on
 * every finger, took turns to fit as well, and a finger without the weight
 * was named. */
int dtw__sync_outer_chain(dtw_sync_t *s, int g, size_t j, double *kg, int *top_joint) {
  int best = -1;
  double best_ratio = 1.0;
  for (size_t h = 0; h < s->n_groups; h++) {
    double top, second;
    int tj = (int)h == g ? -1 : dtw__sync_chain_top(s, (int)h, &top, &second);
    if (tj < 0 || !(top > best_ratio)) continue;
    double m = dtw__sync_weight_fit(s, (int)h, false, (int)j);
    if (isnan(m) || !own_fit(s, (int)h, m)) continue;
    best = (int)h;
    best_ratio = top;
    *kg = m;
    *top_joint = tj;
  }
  return best;
}
