/* Plain structs (dtw/msgs.h, dtw/bus.h) <-> generated DDS samples.
 *
 * Outgoing samples borrow the plain struct's storage (_release = false), so
 * publishing copies nothing and allocates nothing. Incoming samples are
 * copied into fixed-capacity plain structs; anything that does not fit is
 * refused (DTW_EFULL / DTW_ERANGE), never truncated. */
#include <math.h>
#include <string.h>

#include "bus__internal.h"
#include "dtw/err.h"

/* A borrowed, read-only view of n doubles as a DDS sequence. */
static dds_sequence_double seq_view(const double *v, size_t n) {
  dds_sequence_double s;
  s._maximum = (uint32_t)n;
  s._length = (uint32_t)n;
  s._buffer = (double *)(uintptr_t)v; /* serialisation only reads it */
  s._release = false;
  return s;
}

static dds_sequence_string names_view(char **scratch, const char (*names)[DTW_NAME_MAX],
                                      size_t n) {
  dds_sequence_string s;
  for (size_t i = 0; i < n; i++) scratch[i] = (char *)(uintptr_t)names[i];
  s._maximum = (uint32_t)n;
  s._length = (uint32_t)n;
  s._buffer = scratch;
  s._release = false;
  return s;
}

/* Copy a received string into a fixed buffer or refuse. NULL = "". */
static int copy_str(char *dst, size_t cap, const char *src) {
  if (src == NULL) src = "";
  size_t n = strlen(src);
  if (n >= cap) return DTW_ERANGE;
  memcpy(dst, src, n + 1);
  return 0;
}

static int copy_doubles(double *dst, size_t *n_out, const dds_sequence_double *src) {
  if (src->_length > DTW_MAX_JOINTS) return DTW_EFULL;
  if (src->_length > 0) memcpy(dst, src->_buffer, src->_length * sizeof(double));
  *n_out = src->_length;
  return 0;
}

/* A received header into a stamp and a fixed frame_id buffer. */
static int header_from(const struct std_msgs_msg_dds__Header_ *h, dtw_time_t *stamp, char *frame,
                       size_t cap) {
  stamp->sec = h->stamp_.sec_;
  stamp->nanosec = h->stamp_.nanosec_;
  return copy_str(frame, cap, h->frame_id_);
}

/* Received names into fixed buffers (the caller checked the count). */
static int names_from(char (*dst)[DTW_NAME_MAX], const dds_sequence_string *src) {
  for (uint32_t i = 0; i < src->_length; i++) {
    int rc = copy_str(dst[i], DTW_NAME_MAX, src->_buffer[i]);
    if (rc < 0) return rc;
  }
  return 0;
}

static void header_view(struct std_msgs_msg_dds__Header_ *h, dtw_time_t stamp,
                        const char *frame_id) {
  h->stamp_.sec_ = stamp.sec;
  h->stamp_.nanosec_ = stamp.nanosec;
  h->frame_id_ = (char *)(uintptr_t)frame_id;
}

int dtw__js_to_sample(const dtw_joint_state_msg_t *msg, sensor_msgs_msg_dds__JointState_ *s,
                      char **names) {
  if (msg->n_name > DTW_MAX_JOINTS || msg->n_position > DTW_MAX_JOINTS ||
      msg->n_velocity > DTW_MAX_JOINTS || msg->n_effort > DTW_MAX_JOINTS)
    return DTW_ERANGE;
  header_view(&s->header_, msg->stamp, msg->frame_id);
  s->name_ = names_view(names, msg->name, msg->n_name);
  s->position_ = seq_view(msg->position, msg->n_position);
  s->velocity_ = seq_view(msg->velocity, msg->n_velocity);
  s->effort_ = seq_view(msg->effort, msg->n_effort);
  return 0;
}

int dtw__js_from_sample(const sensor_msgs_msg_dds__JointState_ *s, dtw_joint_state_msg_t *msg) {
  int rc;
  if (s->name_._length > DTW_MAX_JOINTS) return DTW_EFULL;
  if ((rc = header_from(&s->header_, &msg->stamp, msg->frame_id, sizeof msg->frame_id)) < 0 ||
      (rc = names_from(msg->name, &s->name_)) < 0)
    return rc;
  msg->n_name = s->name_._length;
  if ((rc = copy_doubles(msg->position, &msg->n_position, &s->position_)) < 0) return rc;
  if ((rc = copy_doubles(msg->velocity, &msg->n_velocity, &s->velocity_)) < 0) return rc;
  if ((rc = copy_doubles(msg->effort, &msg->n_effort, &s->effort_)) < 0) return rc;
  return 0;
}

static int point_view(trajectory_msgs_msg_dds__JointTrajectoryPoint_ *p, const double *pos,
                      size_t npos, const double *vel, size_t nvel, const double *acc, size_t nacc,
                      const double *eff, size_t neff, dtw_duration_t t) {
  if (npos > DTW_MAX_JOINTS || nvel > DTW_MAX_JOINTS || nacc > DTW_MAX_JOINTS ||
      neff > DTW_MAX_JOINTS)
    return DTW_ERANGE;
  p->positions_ = seq_view(pos, npos);
  p->velocities_ = seq_view(vel, nvel);
  p->accelerations_ = seq_view(acc, nacc);
  p->effort_ = seq_view(eff, neff);
  p->time_from_start_.sec_ = t.sec;
  p->time_from_start_.nanosec_ = t.nanosec;
  return 0;
}

int dtw__traj_to_sample(const dtw_joint_trajectory_msg_t *msg,
                        trajectory_msgs_msg_dds__JointTrajectory_ *s, char **names,
                        trajectory_msgs_msg_dds__JointTrajectoryPoint_ *points, size_t cap) {
  if (msg->n_joints > DTW_MAX_JOINTS || msg->n_points > cap) return DTW_ERANGE;
  header_view(&s->header_, msg->stamp, msg->frame_id);
  s->joint_names_ = names_view(names, msg->joint_names, msg->n_joints);
  for (size_t k = 0; k < msg->n_points; k++) {
    const dtw_traj_point_t *p = &msg->points[k];
    int rc = point_view(&points[k], p->positions, p->n_positions, p->velocities, p->n_velocities,
                        p->accelerations, p->n_accelerations, p->effort, p->n_effort,
                        p->time_from_start);
    if (rc < 0) return rc;
  }
  s->points_._maximum = (uint32_t)msg->n_points;
  s->points_._length = (uint32_t)msg->n_points;
  s->points_._buffer = points;
  s->points_._release = false;
  return 0;
}

int dtw__traj_from_sample(const trajectory_msgs_msg_dds__JointTrajectory_ *s,
                          dtw_joint_trajectory_msg_t *msg) {
  int rc;
  if (s->joint_names_._length > DTW_MAX_JOINTS) return DTW_EFULL;
  if (s->points_._length > msg->cap_points) return DTW_EFULL;
  dtw_traj_msg_clear(msg);
  if ((rc = header_from(&s->header_, &msg->stamp, msg->frame_id, sizeof msg->frame_id)) < 0 ||
      (rc = names_from(msg->joint_names, &s->joint_names_)) < 0)
    return rc;
  msg->n_joints = s->joint_names_._length;
  for (uint32_t k = 0; k < s->points_._length; k++) {
    const trajectory_msgs_msg_dds__JointTrajectoryPoint_ *sp = &s->points_._buffer[k];
    dtw_traj_point_t *p = dtw_traj_msg_add_point(msg);
    if (p == NULL) return DTW_EFULL;
    if ((rc = copy_doubles(p->positions, &p->n_positions, &sp->positions_)) < 0) return rc;
    if ((rc = copy_doubles(p->velocities, &p->n_velocities, &sp->velocities_)) < 0) return rc;
    rc = copy_doubles(p->accelerations, &p->n_accelerations, &sp->accelerations_);
    if (rc < 0) return rc;
    if ((rc = copy_doubles(p->effort, &p->n_effort, &sp->effort_)) < 0) return rc;
    p->time_from_start.sec = sp->time_from_start_.sec_;
    p->time_from_start.nanosec = sp->time_from_start_.nanosec_;
  }
  return 0;
}

int dtw__diag_to_sample(const dtw_diag_array_t *msg, diagnostic_msgs_msg_dds__DiagnosticArray_ *s,
                        diagnostic_msgs_msg_dds__DiagnosticStatus_ *status,
                        diagnostic_msgs_msg_dds__KeyValue_ *kv) {
  if (msg->n_status > DTW_DIAG_MAX_STATUS) return DTW_ERANGE;
  header_view(&s->header_, msg->stamp, msg->frame_id);
  for (size_t i = 0; i < msg->n_status; i++) {
    const dtw_diag_status_t *m = &msg->status[i];
    diagnostic_msgs_msg_dds__DiagnosticStatus_ *d = &status[i];
    if (m->n_values > DTW_DIAG_MAX_VALUES) return DTW_ERANGE;
    d->level_ = m->level;
    d->name_ = (char *)(uintptr_t)m->name;
    d->message_ = (char *)(uintptr_t)m->message;
    d->hardware_id_ = (char *)(uintptr_t)m->hardware_id;
    diagnostic_msgs_msg_dds__KeyValue_ *v = &kv[i * DTW_DIAG_MAX_VALUES];
    for (size_t k = 0; k < m->n_values; k++) {
      v[k].key_ = (char *)(uintptr_t)m->values[k].key;
      v[k].value_ = (char *)(uintptr_t)m->values[k].value;
    }
    d->values_._maximum = (uint32_t)m->n_values;
    d->values_._length = (uint32_t)m->n_values;
    d->values_._buffer = v;
    d->values_._release = false;
  }
  s->status_._maximum = (uint32_t)msg->n_status;
  s->status_._length = (uint32_t)msg->n_status;
  s->status_._buffer = status;
  s->status_._release = false;
  return 0;
}

int dtw__diag_from_sample(const diagnostic_msgs_msg_dds__DiagnosticArray_ *s,
                          dtw_diag_array_t *msg) {
  int rc;
  if (s->status_._length > DTW_DIAG_MAX_STATUS) return DTW_EFULL;
  if ((rc = header_from(&s->header_, &msg->stamp, msg->frame_id, sizeof msg->frame_id)) < 0)
    return rc;
  for (uint32_t i = 0; i < s->status_._length; i++) {
    const diagnostic_msgs_msg_dds__DiagnosticStatus_ *d = &s->status_._buffer[i];
    dtw_diag_status_t *m = &msg->status[i];
    if (d->values_._length > DTW_DIAG_MAX_VALUES) return DTW_EFULL;
    m->level = d->level_;
    if ((rc = copy_str(m->name, sizeof m->name, d->name_)) < 0) return rc;
    if ((rc = copy_str(m->message, sizeof m->message, d->message_)) < 0) return rc;
    if ((rc = copy_str(m->hardware_id, sizeof m->hardware_id, d->hardware_id_)) < 0) return rc;
    for (uint32_t k = 0; k < d->values_._length; k++) {
      const diagnostic_msgs_msg_dds__KeyValue_ *v = &d->values_._buffer[k];
      if ((rc = copy_str(m->values[k].key, sizeof m->values[k].key, v->key_)) < 0) return rc;
      rc = copy_str(m->values[k].value, sizeof m->values[k].value, v->value_);
      if (rc < 0) return rc;
    }
    m->n_values = d->values_._length;
  }
  msg->n_status = s->status_._length;
  return 0;
}

static int jtc_point(trajectory_msgs_msg_dds__JointTrajectoryPoint_ *p, const dtw_jtc_point_msg_t *m) {
  return point_view(p, m->positions, m->n_positions, m->velocities, m->n_velocities,
                    m->accelerations, m->n_accelerations, m->effort, m->n_effort,
                    m->time_from_start);
}

int dtw__jtc_to_sample(const dtw_jtc_state_msg_t *msg,
                       control_msgs_msg_dds__JointTrajectoryControllerState_ *s, char **names) {
  int rc;
  if (msg->n_joints > DTW_MAX_JOINTS) return DTW_ERANGE;
  memset(s, 0, sizeof *s); /* multi_dof_* stay empty */
  header_view(&s->header_, msg->stamp, msg->frame_id);
  s->joint_names_ = names_view(names, msg->joint_names, msg->n_joints);
  if ((rc = jtc_point(&s->reference_, &msg->reference)) < 0) return rc;
  if ((rc = jtc_point(&s->feedback_, &msg->feedback)) < 0) return rc;
  if ((rc = jtc_point(&s->error_, &msg->error)) < 0) return rc;
  if ((rc = jtc_point(&s->output_, &msg->output)) < 0) return rc;
  /* deprecated fields still read by older tools (rqt_joint_trajectory_controller) */
  s->desired_ = s->reference_;
  s->actual_ = s->feedback_;
  return 0;
}

static int jtc_point_from(dtw_jtc_point_msg_t *m, const trajectory_msgs_msg_dds__JointTrajectoryPoint_ *p) {
  int rc;
  if ((rc = copy_doubles(m->positions, &m->n_positions, &p->positions_)) < 0 ||
      (rc = copy_doubles(m->velocities, &m->n_velocities, &p->velocities_)) < 0 ||
      (rc = copy_doubles(m->accelerations, &m->n_accelerations, &p->accelerations_)) < 0 ||
      (rc = copy_doubles(m->effort, &m->n_effort, &p->effort_)) < 0)
    return rc;
  m->time_from_start.sec = p->time_from_start_.sec_;
  m->time_from_start.nanosec = p->time_from_start_.nanosec_;
  return 0;
}

static bool point_empty(const trajectory_msgs_msg_dds__JointTrajectoryPoint_ *p) {
  return p->positions_._length == 0 && p->velocities_._length == 0 && p->effort_._length == 0;
}

int dtw__jtc_from_sample(const control_msgs_msg_dds__JointTrajectoryControllerState_ *s,
                         dtw_jtc_state_msg_t *msg) {
  int rc;
  if (s->joint_names_._length > DTW_MAX_JOINTS) return DTW_EFULL;
  if ((rc = header_from(&s->header_, &msg->stamp, msg->frame_id, sizeof msg->frame_id)) < 0 ||
      (rc = names_from(msg->joint_names, &s->joint_names_)) < 0)
    return rc;
  msg->n_joints = s->joint_names_._length;
  /* a controller that fills only the deprecated fields (older control_msgs) */
  bool old = point_empty(&s->reference_) && point_empty(&s->feedback_);
  if ((rc = jtc_point_from(&msg->reference, old ? &s->desired_ : &s->reference_)) < 0 ||
      (rc = jtc_point_from(&msg->feedback, old ? &s->actual_ : &s->feedback_)) < 0 ||
      (rc = jtc_point_from(&msg->error, &s->error_)) < 0 ||
      (rc = jtc_point_from(&msg->output, &s->output_)) < 0)
    return rc;
  return 0;
}

int dtw_joint_state_check(const dtw_joint_state_msg_t *msg, char *err, size_t errlen) {
  const struct {
    const char *what;
    size_t n;
    const double *v;
  } arr[] = {{"position", msg->n_position, msg->position},
             {"velocity", msg->n_velocity, msg->velocity},
             {"effort", msg->n_effort, msg->effort}};
  if (msg->n_name > DTW_MAX_JOINTS)
    return dtw_errf(err, errlen, DTW_EPARSE, "joint state: %zu names exceed %d", msg->n_name,
                    DTW_MAX_JOINTS);
  for (size_t a = 0; a < 3; a++) {
    if (arr[a].n != 0 && arr[a].n != msg->n_name)
      return dtw_errf(err, errlen, DTW_EPARSE, "joint state: %zu %s values for %zu names",
                      arr[a].n, arr[a].what, msg->n_name);
    for (size_t i = 0; i < arr[a].n; i++) {
      if (!isfinite(arr[a].v[i]))
        return dtw_errf(err, errlen, DTW_EPARSE, "joint state: %s of '%s' is not finite",
                        arr[a].what, msg->name[i]);
    }
  }
  return 0;
}

/* ---- JointState straight from CDR (the receive fast path) -------------------
 * XCDR1: offsets align relative to the byte after the 4-byte header, to the
 * primitive's size (max 8); an empty sequence has no element alignment. */
typedef struct {
  const uint8_t *p; /* body (after the encapsulation header) */
  size_t n, off;
  bool swap;
} cdr_rd_t;

static bool rd_align(cdr_rd_t *r, size_t a) {
  size_t o = (r->off + a - 1) & ~(a - 1);
  if (o > r->n) return false;
  r->off = o;
  return true;
}

static bool rd_u32(cdr_rd_t *r, uint32_t *v) {
  if (!rd_align(r, 4) || r->n - r->off < 4) return false;
  memcpy(v, r->p + r->off, 4);
  if (r->swap) *v = __builtin_bswap32(*v);
  r->off += 4;
  return true;
}

/* CDR string: uint32 length including the NUL, then the bytes. Like the
 * generated reader, text ends at the first NUL. */
static int rd_str(cdr_rd_t *r, char *dst, size_t cap) {
  uint32_t len;
  if (!rd_u32(r, &len) || len == 0 || len > r->n - r->off) return DTW_EPARSE;
  const char *s = (const char *)r->p + r->off;
  if (s[len - 1] != '\0') return DTW_EPARSE;
  size_t sl = strlen(s);
  if (sl >= cap) return DTW_ERANGE;
  memcpy(dst, s, sl + 1);
  r->off += len;
  return 0;
}

static int rd_doubles(cdr_rd_t *r, double *dst, size_t *n_out) {
  uint32_t n;
  if (!rd_u32(r, &n)) return DTW_EPARSE;
  if (n > DTW_MAX_JOINTS) return DTW_EFULL;
  if (n > 0) {
    if (!rd_align(r, 8) || (r->n - r->off) / 8 < n) return DTW_EPARSE;
    memcpy(dst, r->p + r->off, n * sizeof(double));
    if (r->swap) {
      for (uint32_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &dst[i], 8);
        u = __builtin_bswap64(u);
        memcpy(&dst[i], &u, 8);
      }
    }
    r->off += n * sizeof(double);
  }
  *n_out = n;
  return 0;
}

static bool host_le(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

int dtw__js_decode(const uint8_t *cdr, size_t len, dtw_joint_state_msg_t *msg) {
  uint32_t u, n_name;
  int rc;
  if (!dtw__cdr_plain(cdr, len)) return DTW_EPARSE;
  cdr_rd_t r = {cdr + 4, len - 4, 0, (cdr[1] == 0x01) != host_le()};
  if (!rd_u32(&r, &u)) return DTW_EPARSE;
  msg->stamp.sec = (int32_t)u;
  if (!rd_u32(&r, &u)) return DTW_EPARSE;
  msg->stamp.nanosec = u;
  if ((rc = rd_str(&r, msg->frame_id, sizeof msg->frame_id)) < 0) return rc;
  if (!rd_u32(&r, &n_name)) return DTW_EPARSE;
  if (n_name > DTW_MAX_JOINTS) return DTW_EFULL;
  for (uint32_t i = 0; i < n_name; i++)
    if ((rc = rd_str(&r, msg->name[i], sizeof msg->name[i])) < 0) return rc;
  msg->n_name = n_name;
  if ((rc = rd_doubles(&r, msg->position, &msg->n_position)) < 0) return rc;
  if ((rc = rd_doubles(&r, msg->velocity, &msg->n_velocity)) < 0) return rc;
  if ((rc = rd_doubles(&r, msg->effort, &msg->n_effort)) < 0) return rc;
  return 0;
}
