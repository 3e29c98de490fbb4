/* Bus round trips between two processes (two participants, one domain from
 * ROS_DOMAIN_ID, loopback via CYCLONEDDS_URI as set by ctest).
 *
 * Each test forks a child before any DDS entity exists (Cyclone's threads do
 * not survive fork). The child subscribes / serves, checks what arrives
 * against the same deterministic messages the parent sends, keeps receiving
 * until every sample sent has been accounted for (accepted or refused), and
 * reports a result struct over a pipe; the parent asserts on it. Nothing is
 * timed: round-trip latency is bench/bench_bus.c's job (phases L and S). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dds/ddsi/ddsi_cdrstream.h>

#include "bus/bus__internal.h"
#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/err.h"

#define SEC INT64_C(1000000000)
/* waits for discovery and samples give up after this (it bounds a failing test, nothing else) */
#define CHILD_WAIT_NS (60 * SEC)

typedef struct {
  int ok;         /* 1 if every check in the child passed */
  char why[200];  /* first failed check */
  dtw_bus_stats_t typed, raw;
  int n_typed, n_raw;
  int64_t extra;
} child_result_t;

/* pipes: up = child -> parent (ready byte, then the result), down = parent -> child (done) */
typedef struct {
  pid_t pid;
  int up, down;
} child_t;

static void make_js(dtw_joint_state_msg_t *m, size_t n, int variant) {
  memset(m, 0, sizeof *m);
  m->stamp = (dtw_time_t){1234 + variant, 567890};
  snprintf(m->frame_id, sizeof m->frame_id, "base_link");
  m->n_name = m->n_position = m->n_velocity = m->n_effort = n;
  for (size_t i = 0; i < n; i++) {
    snprintf(m->name[i], sizeof m->name[i], "joint_%zu", i);
    m->position[i] = 0.1 * (double)i + variant;
    m->velocity[i] = -0.01 * (double)i;
    m->effort[i] = 1e-3 * (double)(i * i);
  }
}

static bool js_equal(const dtw_joint_state_msg_t *a, const dtw_joint_state_msg_t *b) {
  if (a->stamp.sec != b->stamp.sec || a->stamp.nanosec != b->stamp.nanosec) return false;
  if (strcmp(a->frame_id, b->frame_id) != 0) return false;
  if (a->n_name != b->n_name || a->n_position != b->n_position ||
      a->n_velocity != b->n_velocity || a->n_effort != b->n_effort)
    return false;
  for (size_t i = 0; i < a->n_name; i++)
    if (strcmp(a->name[i], b->name[i]) != 0) return false;
  return memcmp(a->position, b->position, a->n_position * sizeof(double)) == 0 &&
         memcmp(a->velocity, b->velocity, a->n_velocity * sizeof(double)) == 0 &&
         memcmp(a->effort, b->effort, a->n_effort * sizeof(double)) == 0;
}

static void make_traj(dtw_joint_trajectory_msg_t *t, size_t n_points) {
  dtw_traj_msg_clear(t);
  t->stamp = (dtw_time_t){42, 7};
  snprintf(t->frame_id, sizeof t->frame_id, "world");
  t->n_joints = 6;
  for (size_t j = 0; j < 6; j++) snprintf(t->joint_names[j], DTW_NAME_MAX, "arm_%zu", j);
  for (size_t k = 0; k < n_points; k++) {
    dtw_traj_point_t *p = dtw_traj_msg_add_point(t);
    p->n_positions = p->n_velocities = p->n_accelerations = 6;
    p->n_effort = k % 2 ? 6 : 0;
    for (size_t j = 0; j < 6; j++) {
      p->positions[j] = (double)k + 0.1 * (double)j;
      p->velocities[j] = 0.5;
      p->accelerations[j] = -0.25;
      p->effort[j] = 3.0;
    }
    p->time_from_start = (dtw_duration_t){(int32_t)k, 500000000u};
  }
}

static bool traj_equal(const dtw_joint_trajectory_msg_t *a, const dtw_joint_trajectory_msg_t *b) {
  if (a->stamp.sec != b->stamp.sec || a->stamp.nanosec != b->stamp.nanosec) return false;
  if (strcmp(a->frame_id, b->frame_id) != 0 || a->n_joints != b->n_joints) return false;
  if (a->n_points != b->n_points) return false;
  for (size_t j = 0; j < a->n_joints; j++)
    if (strcmp(a->joint_names[j], b->joint_names[j]) != 0) return false;
  for (size_t k = 0; k < a->n_points; k++) {
    const dtw_traj_point_t *p = &a->points[k], *q = &b->points[k];
    if (p->n_positions != q->n_positions || p->n_velocities != q->n_velocities ||
        p->n_accelerations != q->n_accelerations || p->n_effort != q->n_effort)
      return false;
    if (memcmp(p->positions, q->positions, p->n_positions * sizeof(double)) != 0 ||
        memcmp(p->velocities, q->velocities, p->n_velocities * sizeof(double)) != 0 ||
        memcmp(p->accelerations, q->accelerations, p->n_accelerations * sizeof(double)) != 0 ||
        memcmp(p->effort, q->effort, p->n_effort * sizeof(double)) != 0)
      return false;
    if (p->time_from_start.sec != q->time_from_start.sec ||
        p->time_from_start.nanosec != q->time_from_start.nanosec)
      return false;
  }
  return true;
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n <= 0) _exit(3);
    p += n;
    len -= (size_t)n;
  }
}

static bool read_all(int fd, void *buf, size_t len, int timeout_ms) {
  char *p = buf;
  while (len > 0) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    ssize_t n = read(fd, p, len);
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Fork a child running fn(up_fd, down_fd); it must write one ready byte, then
 * a child_result_t. */
static child_t spawn(void (*fn)(int up, int down)) {
  int up[2], down[2];
  assert_int_equal(pipe(up), 0);
  assert_int_equal(pipe(down), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(up[0]);
    close(down[1]);
    alarm(120); /* never outlive a stuck test */
    fn(up[1], down[0]);
    _exit(0);
  }
  close(up[1]);
  close(down[0]);
  return (child_t){pid, up[0], down[1]};
}

static void child_wait_ready(child_t *c) {
  char b;
  assert_true(read_all(c->up, &b, 1, 90000));
}

static void child_finish(child_t *c, child_result_t *r) {
  char b = 'd';
  write_all(c->down, &b, 1);
  bool got = read_all(c->up, r, sizeof *r, 90000);
  int status = 0;
  if (!got) kill(c->pid, SIGKILL);
  waitpid(c->pid, &status, 0);
  close(c->up);
  close(c->down);
  assert_true(got);
  assert_true(WIFEXITED(status));
  if (!r->ok) fail_msg("child: %s", r->why);
}

static bool parent_done(int down) {
  struct pollfd pfd = {down, POLLIN, 0};
  return poll(&pfd, 1, 0) > 0;
}

static dtw_bus_t *make_bus(const char *node_name, dtw_bus_node_t **node) {
  char err[256] = "";
  dtw_bus_t *bus = NULL;
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  if (dtw_bus_create(&opt, &bus, err, sizeof err) < 0) {
    fprintf(stderr, "bus: %s\n", err);
    return NULL;
  }
  if (dtw_bus_node_create(bus, node_name, "/rt_test", node, err, sizeof err) < 0) {
    fprintf(stderr, "node: %s\n", err);
    dtw_bus_destroy(bus);
    return NULL;
  }
  return bus;
}

#define CHECK(res, cond, ...)                                      \
  do {                                                             \
    if (!(cond) && (res)->ok) {                                    \
      (res)->ok = 0;                                               \
      snprintf((res)->why, sizeof (res)->why, __VA_ARGS__);        \
    }                                                              \
  } while (0)

/* ---- JointState: typed, validated, raw ------------------------------------ */

typedef struct {
  child_result_t *res;
  dtw_joint_state_msg_t expect;
  int accepted;
} js_ctx_t;

static int js_validate(const void *msg, void *user) {
  (void)user;
  return dtw_joint_state_check(msg, NULL, 0);
}

static void js_cb(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  js_ctx_t *c = user;
  CHECK(c->res, js_equal(msg, &c->expect), "typed JointState %d differs", c->accepted);
  c->accepted++;
}

/* JointState samples the parent sends (valid, size mismatch, NaN, valid as raw
 * CDR, valid as big-endian raw CDR) */
#define JS_SENT 5

typedef struct {
  child_result_t *res;
  uint8_t *expect;
  size_t expect_len;
  int n;
} raw_ctx_t;

static void raw_cb(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  raw_ctx_t *c = user;
  const dtw_cdr_t *cdr = msg;
  /* the first and the last sample are the valid message (the last sent in
   * big-endian order, so it must arrive in native order): compare bytes */
  if (c->n == 0 || c->n == JS_SENT - 1)
    CHECK(c->res, cdr->len == c->expect_len && memcmp(cdr->data, c->expect, c->expect_len) == 0,
          "raw CDR of JointState differs (len %zu vs %zu)", cdr->len, c->expect_len);
  CHECK(c->res, cdr->len >= 4 && cdr->data[0] == 0 && cdr->data[1] == 1,
        "raw CDR header %02x %02x", cdr->data[0], cdr->data[1]);
  c->n++;
}


static void js_child(int up, int down) {
  child_result_t res = {.ok = 1};
  dtw_bus_node_t *node;
  dtw_sub_t *typed, *raw;
  char err[256];
  sensor_msgs_msg_dds__JointState_ s;
  char *names[DTW_MAX_JOINTS];
  dtw_bus_t *bus = make_bus("listener", &node);
  if (bus == NULL) _exit(2);
  js_ctx_t jc = {.res = &res};
  make_js(&jc.expect, 23, 0);
  raw_ctx_t rc = {.res = &res};
  dtw__js_to_sample(&jc.expect, &s, names);
  dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &rc.expect, &rc.expect_len);

  dtw_sub_options_t o;
  dtw_sub_options_default(&o);
  o.on_msg = js_cb;
  o.validate = js_validate;
  o.user = &jc;
  if (dtw_sub_create(node, "joint_states", DTW_TYPE_JOINT_STATE, &o, &typed, err, sizeof err) < 0)
    _exit(2);
  dtw_sub_options_default(&o);
  o.raw = true;
  o.on_msg = raw_cb;
  o.user = &rc;
  if (dtw_sub_create(node, "joint_states", DTW_TYPE_JOINT_STATE, &o, &raw, err, sizeof err) < 0)
    _exit(2);
  write_all(up, "r", 1);
  /* until the parent is done and each of its JS_SENT samples reached both
   * subscriptions (typed: accepted or refused; raw: delivered) */
  int64_t deadline = dtw_clock_mono_ns() + CHILD_WAIT_NS;
  for (;;) {
    dtw_bus_spin_once(bus, SEC / 50);
    dtw_sub_stats(typed, &res.typed);
    dtw_sub_stats(raw, &res.raw);
    bool all = rc.n >= JS_SENT && res.typed.messages + res.typed.refused_invalid +
                                          res.typed.refused_capacity >= JS_SENT;
    if ((all && parent_done(down)) || dtw_clock_mono_ns() > deadline) break;
  }
  res.n_typed = jc.accepted;
  res.n_raw = rc.n;
  free(rc.expect);
  dtw_bus_destroy(bus);
  write_all(up, &res, sizeof res);
}

static void test_joint_state_round_trip(void **state) {
  (void)state;
  child_t c = spawn(js_child);
  child_wait_ready(&c);
  dtw_bus_node_t *node;
  dtw_pub_t *pub;
  char err[256];
  static dtw_joint_state_msg_t m;
  dtw_bus_t *bus = make_bus("talker", &node);
  assert_non_null(bus);
  assert_int_equal(dtw_pub_create(node, "joint_states", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT,
                                  &pub, err, sizeof err),
                   0);
  assert_string_equal(dtw_pub_topic(pub), "/rt_test/joint_states");
  assert_int_equal(dtw_pub_wait_matched(pub, 2, CHILD_WAIT_NS), 0);
  assert_int_equal(dtw_pub_matched_count(pub), 2);

  /* 1: a valid message with every field */
  make_js(&m, 23, 0);
  assert_int_equal(dtw_pub_joint_state(pub, &m), 0);
  /* 2: names/positions size mismatch, sent as raw CDR */
  {
    static dtw_joint_state_msg_t bad;
    sensor_msgs_msg_dds__JointState_ s;
    char *names[DTW_MAX_JOINTS];
    uint8_t *cdr;
    size_t len;
    make_js(&bad, 3, 1);
    bad.n_position = 2;
    dtw__js_to_sample(&bad, &s, names);
    assert_int_equal(dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &cdr, &len), 0);
    assert_int_equal(dtw_pub_cdr(pub, cdr, len), 0);
    /* truncated CDR is refused before anything is sent */
    assert_int_equal(dtw_pub_cdr(pub, cdr, len - 9), DTW_EPARSE);
    free(cdr);
  }
  /* 3: a NaN */
  make_js(&m, 23, 0);
  m.position[5] = NAN;
  assert_int_equal(dtw_pub_joint_state(pub, &m), 0);
  /* 4: the valid message again, as raw CDR built from the typed form */
  {
    sensor_msgs_msg_dds__JointState_ s;
    char *names[DTW_MAX_JOINTS];
    uint8_t *cdr;
    size_t len;
    make_js(&m, 23, 0);
    dtw__js_to_sample(&m, &s, names);
    assert_int_equal(dtw__serialize(&sensor_msgs_msg_dds__JointState__desc, &s, &cdr, &len), 0);
    assert_int_equal(dtw_pub_cdr(pub, cdr, len), 0);
    /* the same bytes marked as XCDR2 are refused: ROS 2 readers expect XCDR1 */
    cdr[1] = 0x07;
    assert_int_equal(dtw_pub_cdr(pub, cdr, len), DTW_EPARSE);
    free(cdr);
  }
  /* 5: the valid message as big-endian CDR (another host's byte order) */
  {
    sensor_msgs_msg_dds__JointState_ s;
    char *names[DTW_MAX_JOINTS];
    dds_ostreamBE_t os;
    make_js(&m, 23, 0);
    dtw__js_to_sample(&m, &s, names);
    dds_ostreamBE_init(&os, 64, DTW__XCDR1);
    assert_non_null(dds_stream_writeBE(&os, (const char *)&s,
                                       sensor_msgs_msg_dds__JointState__desc.m_ops));
    size_t len = os.x.m_index + 4;
    uint8_t *cdr = malloc(len);
    assert_non_null(cdr);
    memcpy(cdr, (const uint8_t[]){0x00, 0x00, 0x00, 0x00}, 4); /* CDR_BE */
    memcpy(cdr + 4, os.x.m_buffer, os.x.m_index);
    dds_ostreamBE_fini(&os);
    assert_int_equal(dtw_pub_cdr(pub, cdr, len), 0);
    free(cdr);
  }
  dtw_bus_stats_t st;
  dtw_pub_stats(pub, &st);
  assert_int_equal(st.messages, JS_SENT);
  assert_int_equal(st.refused_invalid, 2);
  child_result_t r;
  child_finish(&c, &r);
  assert_int_equal(r.n_typed, 3);            /* 1, 4 and 5 */
  assert_int_equal(r.typed.messages, 3);
  assert_int_equal(r.typed.refused_invalid, 2); /* 2 and 3 reached the hook */
  assert_int_equal(r.n_raw, JS_SENT);        /* raw delivers everything faithfully */
  dtw_bus_destroy(bus);
}

/* ---- JointTrajectory: round trip and capacity refusal ------------------------- */

/* trajectories the parent sends: 3 points, 10 points (over the child's capacity), 3 points */
#define TRAJ_SENT 3

static void traj_child(int up, int down) {
  child_result_t res = {.ok = 1};
  dtw_bus_node_t *node;
  dtw_sub_t *sub;
  char err[256];
  dtw_joint_trajectory_msg_t got, expect;
  dtw_bus_t *bus = make_bus("traj_listener", &node);
  if (bus == NULL) _exit(2);
  dtw_traj_msg_init(&got, 4);
  dtw_traj_msg_init(&expect, 8);
  make_traj(&expect, 3);
  dtw_sub_options_t o;
  dtw_sub_options_default(&o);
  if (dtw_sub_create(node, "/rt_test/traj", DTW_TYPE_JOINT_TRAJECTORY, &o, &sub, err,
                     sizeof err) < 0)
    _exit(2);
  write_all(up, "r", 1);
  int64_t deadline = dtw_clock_mono_ns() + CHILD_WAIT_NS;
  /* take-style polling, as a control loop would, until each of the parent's
   * TRAJ_SENT trajectories was taken or refused */
  for (;;) {
    int rc = dtw_sub_take(sub, &got);
    if (rc == 1) {
      CHECK(&res, traj_equal(&got, &expect), "trajectory %d differs", res.n_typed);
      res.n_typed++;
      continue;
    }
    dtw_sub_stats(sub, &res.typed);
    bool all = (uint64_t)res.n_typed + res.typed.refused_capacity + res.typed.refused_invalid >=
               TRAJ_SENT;
    if ((all && parent_done(down)) || dtw_clock_mono_ns() > deadline) break;
    dtw_clock_sleep_ns(SEC / 1000);
  }
  dtw_traj_msg_fini(&got);
  dtw_traj_msg_fini(&expect);
  dtw_bus_destroy(bus);
  write_all(up, &res, sizeof res);
}

static void test_trajectory_round_trip(void **state) {
  (void)state;
  child_t c = spawn(traj_child);
  child_wait_ready(&c);
  dtw_bus_node_t *node;
  dtw_pub_t *pub;
  char err[256];
  dtw_joint_trajectory_msg_t t;
  dtw_bus_t *bus = make_bus("traj_talker", &node);
  assert_non_null(bus);
  assert_int_equal(dtw_pub_create(node, "traj", DTW_TYPE_JOINT_TRAJECTORY, DTW_QOS_DEFAULT, &pub,
                                  err, sizeof err),
                   0);
  assert_int_equal(dtw_pub_wait_matched(pub, 1, CHILD_WAIT_NS), 0);
  assert_int_equal(dtw_traj_msg_init(&t, 16), 0);
  make_traj(&t, 3);
  assert_int_equal(dtw_pub_joint_trajectory(pub, &t), 0);
  make_traj(&t, 10); /* more points than the child's capacity of 4 */
  assert_int_equal(dtw_pub_joint_trajectory(pub, &t), 0);
  make_traj(&t, 3);
  assert_int_equal(dtw_pub_joint_trajectory(pub, &t), 0);
  child_result_t r;
  child_finish(&c, &r);
  assert_int_equal(r.n_typed, 2);
  assert_int_equal(r.typed.refused_capacity, 1);
  assert_int_equal(r.typed.last_error, DTW_EFULL);
  dtw_traj_msg_fini(&t);
  dtw_bus_destroy(bus);
}

/* ---- Trigger service ------------------------------------------------------ */

static int trigger_handler(const void *req, void *resp, void *user) {
  (void)req;
  int *calls = user;
  dtw_trigger_response_t *r = resp;
  r->success = true;
  snprintf(r->message, sizeof r->message, "call %d", ++*calls);
  return 0;
}

static bool srv_direct; /* set before spawning: the child answers in the receive thread */

static void srv_child(int up, int down) {
  child_result_t res = {.ok = 1};
  dtw_bus_node_t *node;
  dtw_srv_t *srv;
  char err[256];
  int calls = 0;
  dtw_srv_options_t so;
  dtw_bus_t *bus = make_bus("server", &node);
  if (bus == NULL) _exit(2);
  dtw_srv_options_default(&so);
  so.direct = srv_direct;
  if (dtw_bus_serve_opt(node, "trigger", DTW_SRV_TRIGGER, trigger_handler, &calls, &so, &srv, err,
                        sizeof err) < 0)
    _exit(2);
  write_all(up, "r", 1);
  int64_t deadline = dtw_clock_mono_ns() + CHILD_WAIT_NS;
  while (!parent_done(down) && dtw_clock_mono_ns() < deadline) dtw_bus_spin_once(bus, SEC / 50);
  dtw_srv_stats(srv, &res.typed);
  res.extra = calls;
  dtw_bus_destroy(bus);
  write_all(up, &res, sizeof res);
}

static void test_trigger_service(void **state) {
  (void)state;
  child_t c = spawn(srv_child);
  child_wait_ready(&c);
  dtw_bus_node_t *node;
  dtw_client_t *a, *b;
  char err[256];
  dtw_trigger_response_t resp;
  dtw_bus_t *bus = make_bus("caller", &node);
  assert_non_null(bus);
  assert_int_equal(dtw_client_create(node, "trigger", DTW_SRV_TRIGGER, &a, err, sizeof err), 0);
  assert_int_equal(dtw_client_create(node, "/rt_test/trigger", "std_srvs/Trigger", &b, err,
                                     sizeof err),
                   0);
  assert_int_equal(dtw_client_wait_for_service(a, CHILD_WAIT_NS), 0);
  assert_int_equal(dtw_client_wait_for_service(b, CHILD_WAIT_NS), 0);

  /* warm-up: the server first confirms each client's reply reader */
  assert_int_equal(dtw_bus_call(a, NULL, &resp, 30 * SEC, err, sizeof err), 0);
  assert_true(resp.success);
  int64_t seq_a = dtw_client_last_seq(a);
  assert_true(seq_a >= 1);

  /* B's call: A's reader also receives B's reply but must not take it */
  assert_int_equal(dtw_bus_call(b, NULL, &resp, 30 * SEC, err, sizeof err), 0);
  assert_string_equal(resp.message, "call 2");
  assert_int_equal(dtw_client_last_seq(b), seq_a + 1); /* process-wide counter */

  /* the time is reported, not bounded: a loaded machine stretches it at will
   * (bench_bus phase S measures the round trip) */
  int64_t t0 = dtw_clock_mono_ns();
  assert_int_equal(dtw_bus_call(a, NULL, &resp, 30 * SEC, err, sizeof err), 0);
  print_message("trigger round trip %.2f ms (%s server)\n",
                (double)(dtw_clock_mono_ns() - t0) / 1e6, srv_direct ? "direct" : "spinning");
  assert_true(resp.success);
  assert_string_equal(resp.message, "call 3");
  dtw_bus_stats_t st;
  dtw_client_stats(a, &st);
  assert_int_equal(st.messages, 2);
  assert_true(st.foreign_replies >= 1); /* B's reply, dropped by A */
  dtw_client_stats(b, &st);
  assert_int_equal(st.messages, 1);

  child_result_t r;
  child_finish(&c, &r);
  assert_int_equal(r.extra, 3);
  assert_int_equal(r.typed.messages, 3);
  dtw_bus_destroy(bus);
}

/* the same with a direct server (no spinning thread involved in answering) */
static void test_trigger_service_direct(void **state) {
  srv_direct = true;
  test_trigger_service(state);
  srv_direct = false;
}

/* ---- JointTrajectoryControllerState ------------------------------------------ */

static void fill_ctl_point(dtw_jtc_point_msg_t *p, size_t n, double base, bool eff) {
  p->n_positions = p->n_velocities = n;
  p->n_effort = eff ? n : 0;
  for (size_t i = 0; i < n; i++) {
    p->positions[i] = base + (double)i;
    p->velocities[i] = -base - (double)i;
    p->effort[i] = 10 * base + (double)i;
  }
}

/* In one participant: every field published comes back; a controller that
 * fills only the deprecated desired/actual (older control_msgs) is read as
 * reference/feedback; more joints than a plain struct holds are refused. */
static void test_controller_state_round_trip(void **state) {
  (void)state;
  dtw_bus_node_t *node;
  dtw_pub_t *pub;
  dtw_sub_t *sub;
  char err[256];
  dtw_bus_t *bus = make_bus("ctl_talker", &node);
  assert_non_null(bus);
  assert_int_equal(dtw_pub_create(node, "ctl", DTW_TYPE_JTC_STATE, DTW_QOS_DEFAULT, &pub, err,
                                  sizeof err),
                   0);
  assert_int_equal(dtw_sub_create(node, "ctl", DTW_TYPE_JTC_STATE, NULL, &sub, err, sizeof err), 0);
  assert_int_equal(dtw_pub_wait_matched(pub, 1, CHILD_WAIT_NS), 0);
  static dtw_jtc_state_msg_t out, in;
  out.stamp = (dtw_time_t){12, 345};
  snprintf(out.frame_id, sizeof out.frame_id, "base");
  out.n_joints = 3;
  for (size_t i = 0; i < 3; i++) snprintf(out.joint_names[i], DTW_NAME_MAX, "j%zu", i);
  fill_ctl_point(&out.reference, 3, 1.0, false);
  fill_ctl_point(&out.feedback, 3, 2.0, false);
  fill_ctl_point(&out.error, 3, 3.0, false);
  fill_ctl_point(&out.output, 3, 4.0, true);
  assert_int_equal(dtw_pub_jtc_state(pub, &out), 0);
  int64_t end = dtw_clock_mono_ns() + CHILD_WAIT_NS;
  int got = 0;
  while (got != 1 && dtw_clock_mono_ns() < end) {
    got = dtw_sub_take(sub, &in);
    if (got != 1) dtw_clock_sleep_ns(SEC / 1000);
  }
  assert_int_equal(got, 1);
  assert_int_equal(in.stamp.sec, 12);
  assert_int_equal(in.stamp.nanosec, 345);
  assert_string_equal(in.frame_id, "base");
  assert_int_equal(in.n_joints, 3);
  assert_string_equal(in.joint_names[2], "j2");
  const dtw_jtc_point_msg_t *po[] = {&out.reference, &out.feedback, &out.error, &out.output};
  const dtw_jtc_point_msg_t *pi[] = {&in.reference, &in.feedback, &in.error, &in.output};
  for (size_t k = 0; k < 4; k++) {
    assert_int_equal(pi[k]->n_positions, 3);
    assert_int_equal(pi[k]->n_effort, po[k]->n_effort);
    assert_memory_equal(pi[k]->positions, po[k]->positions, 3 * sizeof(double));
    assert_memory_equal(pi[k]->velocities, po[k]->velocities, 3 * sizeof(double));
  }
  assert_memory_equal(in.output.effort, out.output.effort, 3 * sizeof(double));

  /* the deprecated fields alone: a generated sample as an older controller sends it */
  control_msgs_msg_dds__JointTrajectoryControllerState_ old;
  memset(&old, 0, sizeof old);
  char *names[] = {"a", "b"};
  double des[] = {0.5, 0.25}, act[] = {0.4, 0.2};
  old.joint_names_ = (dds_sequence_string){2, 2, names, false};
  old.desired_.positions_ = (dds_sequence_double){2, 2, des, false};
  old.actual_.positions_ = (dds_sequence_double){2, 2, act, false};
  assert_int_equal(dtw__jtc_from_sample(&old, &in), 0);
  assert_int_equal(in.n_joints, 2);
  assert_int_equal(in.reference.n_positions, 2);
  assert_true(in.reference.positions[1] == 0.25 && in.feedback.positions[0] == 0.4);
  char *many[DTW_MAX_JOINTS + 1];
  for (size_t i = 0; i <= DTW_MAX_JOINTS; i++) many[i] = "x";
  old.joint_names_ = (dds_sequence_string){DTW_MAX_JOINTS + 1, DTW_MAX_JOINTS + 1, many, false};
  assert_int_equal(dtw__jtc_from_sample(&old, &in), DTW_EFULL);
  dtw_bus_destroy(bus);
}

/* A direct subscription gets the samples that reached its reader before its
 * listener was set: here a latched sample, delivered as the reader matches. */
static void count_latched(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  const dtw_joint_state_msg_t *m = msg;
  if (m->stamp.sec == 77) atomic_fetch_add((atomic_int *)user, 1);
}

static void test_direct_sub_takes_what_came_first(void **state) {
  (void)state;
  dtw_bus_node_t *node;
  dtw_pub_t *pub;
  dtw_sub_t *sub;
  char err[256];
  dtw_bus_t *bus = make_bus("latched_talker", &node);
  assert_non_null(bus);
  assert_int_equal(dtw_pub_create(node, "latched_js", DTW_TYPE_JOINT_STATE, DTW_QOS_LATCHED, &pub,
                                  err, sizeof err),
                   0);
  static dtw_joint_state_msg_t m;
  make_js(&m, 2, 0);
  m.stamp.sec = 77;
  assert_int_equal(dtw_pub_joint_state(pub, &m), 0);
  static atomic_int got;
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_LATCHED;
  so.direct = true;
  so.on_msg = count_latched;
  so.user = &got;
  assert_int_equal(dtw_sub_create(node, "latched_js", DTW_TYPE_JOINT_STATE, &so, &sub, err,
                                  sizeof err),
                   0);
  /* nothing more is published: only the catch-up take can deliver it */
  int64_t end = dtw_clock_mono_ns() + 5 * SEC;
  while (atomic_load(&got) < 1 && dtw_clock_mono_ns() < end) dtw_clock_sleep_ns(1000000);
  assert_int_equal(atomic_load(&got), 1);
  dtw_sub_destroy(sub);
  dtw_pub_destroy(pub);
  dtw_bus_node_destroy(node);
  dtw_bus_destroy(bus);
}

static void test_unknown_type(void **state) {
  (void)state;
  /* no DDS needed to refuse: fork-free */
  assert_false(dtw_bus_has_type("nav_msgs/msg/Odometry"));
  assert_true(dtw_bus_has_type("sensor_msgs/JointState"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unknown_type),
      cmocka_unit_test(test_joint_state_round_trip),
      cmocka_unit_test(test_trajectory_round_trip),
      cmocka_unit_test(test_controller_state_round_trip),
      cmocka_unit_test(test_trigger_service),
      cmocka_unit_test(test_trigger_service_direct),
      cmocka_unit_test(test_direct_sub_takes_what_came_first),
  };
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
