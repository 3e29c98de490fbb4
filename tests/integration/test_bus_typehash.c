/* ROS 2 type hashes in endpoint USER_DATA (issue 13): with dtwin.ros_distro=jazzy
 * every endpoint of a running `dtwin up` announces "typehash=RIHS01_<hex>;" as
 * rmw_cyclonedds does on Iron and later; with the default (humble) none does.
 *
 * Read through DDS discovery from a participant of the test's own (built-in
 * topics DCPSPublication / DCPSSubscription, USER_DATA parsed here), and once
 * more through dtwin's graph cache (dtw_graph_endpoint_info_t.type_hash).
 * The expected hashes are the values ROS 2 publishes, copied from public
 * sources, not from dtwin's generator:
 *  - JointState, JointTrajectory, TFMessage: `ros2 topic info -v` output of
 *    Jazzy systems ("Topic type hash: ...");
 *  - String: rmw_zenoh's docs/design.md and rosbag2 metadata.yaml files;
 *  - Clock, DiagnosticArray: client libraries' tables (ros-z, zenoh bridges);
 *  - rmw_dds_common ParticipantEntitiesInfo (ros_discovery_info):
 *    zenoh-plugin-ros2dds (ROS_DISCOVERY_INFO_TYPE_HASH, Iron and Jazzy);
 *  - std_srvs Trigger_Request / _Response: rosidl-generated hashes quoted in
 *    ros2-client test tables.
 * control_msgs/JointTrajectoryControllerState is published in its Humble
 * layout (with the deprecated desired/actual fields), which has no published
 * Jazzy hash: it must carry the hash of the description dtwin generates for
 * the layout it really sends. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus__internal.h"
#include "common/harness.h"
#include "dtw/bus_graph.h"
#include "dtw/typedesc.h"

typedef struct {
  const char *dds_type, *hash;
} ref_t;

static const ref_t refs[] = {
    {"sensor_msgs::msg::dds_::JointState_",
     "RIHS01_a13ee3a330e346c9d87b5aa18d24e11690752bd33a0350f11c5882bc9179260e"},
    {"trajectory_msgs::msg::dds_::JointTrajectory_",
     "RIHS01_179b33eba59d676f6d967ac71fe35e7ca2f64b2f3928f4a018cec115e213796e"},
    {"tf2_msgs::msg::dds_::TFMessage_",
     "RIHS01_e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087"},
    {"std_msgs::msg::dds_::String_",
     "RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18"},
    {"rosgraph_msgs::msg::dds_::Clock_",
     "RIHS01_692f7a66e93a3c83e71765d033b60349ba68023a8c689a79e48078bcb5c58564"},
    {"diagnostic_msgs::msg::dds_::DiagnosticArray_",
     "RIHS01_5a8a36efb05fb25070fa0fb3810290c0e6cd4862b54a8fb975a1ee8dc55a333e"},
    {"rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_",
     "RIHS01_91a0593bacdcc50ea9bdcf849a938b128412cc1ea821245c663bcd26f83c295e"},
    {"std_srvs::srv::dds_::Trigger_Request_",
     "RIHS01_d010825374ce8918e72bfd826c82603e60f45419e932ea976f807b74a863a199"},
    {"std_srvs::srv::dds_::Trigger_Response_",
     "RIHS01_2d946c21e2fc3f1e9ca6986a8191d85fcc70097a8bb7771a053564bc47009cdf"},
};
#define N_REFS (sizeof refs / sizeof refs[0])

#define MAX_EPS 512
typedef struct {
  char topic[256], type[256], user_data[512];
  bool writer;
} ep_t;

typedef struct {
  dds_entity_t pp, rd_pub, rd_sub;
  dds_guid_t self;
  ep_t eps[MAX_EPS];
  size_t n;
} disc_t;

static void disc_open(disc_t *d) {
  memset(d, 0, sizeof *d);
  d->pp = dds_create_participant((dds_domainid_t)th_domain(), NULL, NULL);
  assert_true(d->pp > 0);
  assert_int_equal(dds_get_guid(d->pp, &d->self), 0);
  d->rd_pub = dds_create_reader(d->pp, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, NULL, NULL);
  d->rd_sub = dds_create_reader(d->pp, DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, NULL, NULL);
  assert_true(d->rd_pub > 0 && d->rd_sub > 0);
}

static void disc_take(disc_t *d, dds_entity_t rd, bool writer) {
  void *samples[16] = {NULL};
  dds_sample_info_t si[16];
  dds_return_t n;
  while ((n = dds_take(rd, samples, si, 16, 16)) > 0) {
    for (dds_return_t i = 0; i < n; i++) {
      const dds_builtintopic_endpoint_t *e = samples[i];
      if (!si[i].valid_data || d->n == MAX_EPS) continue;
      /* only dtwin's endpoints, not this participant's built-in ones */
      if (memcmp(e->participant_key.v, d->self.v, 12) == 0) continue;
      ep_t *x = &d->eps[d->n++];
      snprintf(x->topic, sizeof x->topic, "%s", e->topic_name);
      snprintf(x->type, sizeof x->type, "%s", e->type_name);
      x->writer = writer;
      void *ud = NULL;
      size_t sz = 0;
      if (dds_qget_userdata(e->qos, &ud, &sz) && ud != NULL) {
        snprintf(x->user_data, sizeof x->user_data, "%.*s", (int)sz, (const char *)ud);
        dds_free(ud);
      }
    }
    dds_return_loan(rd, samples, n);
  }
}

static const ep_t *disc_find(const disc_t *d, const char *topic, bool writer) {
  for (size_t i = 0; i < d->n; i++)
    if (d->eps[i].writer == writer && !strcmp(d->eps[i].topic, topic)) return &d->eps[i];
  return NULL;
}

/* dtwin up's endpoints are all there once the sync node's service and status are */
static bool disc_ready(void *user) {
  disc_t *d = user;
  disc_take(d, d->rd_pub, true);
  disc_take(d, d->rd_sub, false);
  return disc_find(d, "rt/sync/status", true) && disc_find(d, "rq/sync/resyncRequest", false) &&
         disc_find(d, "rt/twin/joint_states", true) && disc_find(d, "rt/robot/joint_states", true);
}

/* false until a round brings nothing new: waited for with a short bound, so
 * endpoints discovered just after the ready ones are checked too */
static bool disc_settled(void *user) {
  disc_t *d = user;
  size_t before = d->n;
  for (int i = 0; i < 50; i++) th_nap();
  disc_take(d, d->rd_pub, true);
  disc_take(d, d->rd_sub, false);
  return d->n == before;
}

/* "typehash=" value of "k=v;k=v;" user data, or "" */
static void typehash_of(const char *ud, char *out, size_t cap) {
  out[0] = '\0';
  for (const char *p = ud; (p = strstr(p, "typehash=")) != NULL; p++) {
    if (p != ud && p[-1] != ';') continue;
    p += 9;
    size_t n = strcspn(p, ";");
    snprintf(out, cap, "%.*s", (int)n, p);
    return;
  }
}

/* "a::msg::dds_::B_" -> "a/msg/B" */
static void ros_type_of(const char *dds, char *out, size_t cap) {
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s", dds);
  char *dds_ = strstr(tmp, "::dds_::");
  if (dds_) memmove(dds_, dds_ + 6, strlen(dds_ + 6) + 1);
  size_t o = 0;
  for (size_t i = 0; tmp[i] && o + 1 < cap; i++) {
    if (tmp[i] == ':' && tmp[i + 1] == ':') {
      out[o++] = '/';
      i++;
    } else {
      out[o++] = tmp[i];
    }
  }
  if (o && out[o - 1] == '_') o--;
  out[o] = '\0';
}

static th_proc_t up;

static void start_up(const char *distro_setting) {
  const char *args[] = {"up", "--set", "bridge.port=0", "--set", "viewer.port=0",
                        distro_setting ? "--set" : NULL, distro_setting, NULL};
  assert_int_equal(th_spawn(&up, distro_setting ? "up_jazzy" : "up_humble", args), 0);
  /* every node created (and the signal handlers in place) once the twin is in step */
  if (!th_wait_log(&up, "-> SYNCED", 120, NULL, 0)) {
    th_log_dump(&up, 20);
    fail_msg("dtwin up never reached SYNCED");
  }
}

static void test_jazzy_endpoints_carry_hashes(void **state) {
  (void)state;
  start_up("dtwin.ros_distro=jazzy");
  disc_t *d = calloc(1, sizeof *d);
  assert_non_null(d);
  disc_open(d);
  if (!th_wait_for(disc_ready, d, 60)) {
    th_log_dump(&up, 20);
    fail_msg("dtwin up's endpoints not discovered (%zu seen)", d->n);
  }
  th_wait_for(disc_settled, d, 2); /* the rest of what is already there */
  bool seen_ref[N_REFS] = {false};
  size_t checked = 0;
  for (size_t i = 0; i < d->n; i++) {
    const ep_t *e = &d->eps[i];
    if (!strncmp(e->type, "DDS::", 5) || !strncmp(e->type, "dds::", 5)) continue;
    char hash[128], ros[256];
    typehash_of(e->user_data, hash, sizeof hash);
    if (!hash[0])
      fail_msg("%s %s (%s): no typehash in USER_DATA '%s'", e->writer ? "writer" : "reader",
               e->topic, e->type, e->user_data);
    const char *want = NULL;
    for (size_t k = 0; k < N_REFS; k++)
      if (!strcmp(refs[k].dds_type, e->type)) {
        want = refs[k].hash;
        seen_ref[k] = true;
      }
    if (want == NULL) { /* no published reference: the generated description's */
      ros_type_of(e->type, ros, sizeof ros);
      const dtw_typedesc_t *td = dtw_typedesc_find(ros);
      if (td == NULL) fail_msg("%s: type %s has no description", e->topic, ros);
      want = td->rihs01;
    }
    if (strcmp(hash, want))
      fail_msg("%s %s (%s): typehash %s, expected %s", e->writer ? "writer" : "reader", e->topic,
               e->type, hash, want);
    /* service endpoints keep their id in front, as rmw_cyclonedds writes it */
    if (!strncmp(e->topic, "rq/", 3) || !strncmp(e->topic, "rr/", 3))
      assert_true(!strncmp(e->user_data, "serviceid=", 10) ||
                  !strncmp(e->user_data, "clientid=", 9));
    checked++;
  }
  /* the types dtwin up really uses were among them */
  static const size_t must[] = {0, 1, 4, 5, 6, 7, 8};
  for (size_t k = 0; k < sizeof must / sizeof must[0]; k++)
    if (!seen_ref[must[k]]) fail_msg("no endpoint of type %s seen", refs[must[k]].dds_type);
  fprintf(stderr, "jazzy: %zu endpoints checked, each with its type hash\n", checked);

  /* dtwin's own graph cache reads the same */
  char err[256];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  opt.distro = DTW_ROS_JAZZY;
  dtw_bus_t *bus;
  dtw_graph_t *g;
  assert_int_equal(dtw_bus_create(&opt, &bus, err, sizeof err), 0);
  assert_int_equal(dtw_graph_create(bus, &g, err, sizeof err), 0);
  bool found = false;
  double until = th_now_s() + 30;
  while (!found && th_now_s() < until) {
    assert_true(dtw_graph_update(g) >= 0);
    for (size_t i = 0; i < dtw_graph_endpoint_count(g); i++) {
      dtw_graph_endpoint_info_t ep;
      assert_int_equal(dtw_graph_endpoint_at(g, i, &ep), 0);
      if (ep.writer && !strcmp(ep.ros_name, "/twin/joint_states")) {
        assert_string_equal(ep.type_hash, refs[0].hash);
        found = true;
      }
    }
    th_nap();
  }
  assert_true(found);
  dtw_graph_destroy(g);
  dtw_bus_destroy(bus);
  dds_delete(d->pp);
  free(d);
  assert_int_equal(th_stop(&up, SIGINT, 30), 0);
}

static void test_humble_endpoints_carry_none(void **state) {
  (void)state;
  start_up(NULL);
  disc_t *d = calloc(1, sizeof *d);
  assert_non_null(d);
  disc_open(d);
  if (!th_wait_for(disc_ready, d, 60)) {
    th_log_dump(&up, 20);
    fail_msg("dtwin up's endpoints not discovered (%zu seen)", d->n);
  }
  th_wait_for(disc_settled, d, 2); /* the rest of what is already there */
  for (size_t i = 0; i < d->n; i++)
    if (strstr(d->eps[i].user_data, "typehash="))
      fail_msg("humble: %s carries '%s'", d->eps[i].topic, d->eps[i].user_data);
  fprintf(stderr, "humble: %zu endpoints, none with a type hash\n", d->n);
  dds_delete(d->pp);
  free(d);
  assert_int_equal(th_stop(&up, SIGINT, 30), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_jazzy_endpoints_carry_hashes),
                                     cmocka_unit_test(test_humble_endpoints_carry_none)};
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
