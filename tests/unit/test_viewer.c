/* The viewer without sockets: protocol input (what closes a client), the
 * bounded queue (drop oldest), JointState CDR decoding, kinematics and /tf. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtw/err.h"
#include "dtw/sim_kin.h"
#include "dtw/viewer.h"
#include "dtw/viewer_scene.h"
#include "viewer/viewer__internal.h"

static dtw_viewer_t *make(size_t queue_bytes) {
  dtw_viewer_options_t o = {.name = "t", .queue_bytes = queue_bytes};
  dtw_viewer_t *v = NULL;
  assert_int_equal(dtw_viewer_create(&o, NULL, NULL, &v, NULL, 0), 0);
  assert_true(dtw_viewer_add_channel(v, "/a", "cdr", "x/msg/Y", "ros2msg", "int32 a") == 1);
  assert_true(dtw_viewer_add_service(v, "/s", "std_srvs/srv/Trigger", "", "bool success") == 1);
  return v;
}

static int feed(dtw_viewer_t *v, const char *text) {
  return dtw_viewer_test_input(v, (const uint8_t *)text, strlen(text), false);
}

static void test_input(void **state) {
  (void)state;
  dtw_viewer_t *v = make(0);
  assert_int_equal(feed(v, "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1,\"channelId\":1}]}"), 0);
  assert_int_equal(feed(v, "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1,\"channelId\":99}]}"), 0);
  assert_int_equal(feed(v, "{\"op\":\"unsubscribe\",\"subscriptionIds\":[1]}"), 0);
  assert_int_equal(feed(v, "{\"op\":\"getParameters\",\"parameterNames\":[]}"), 0);
  /* malformed: closes the client */
  assert_true(feed(v, "{not json") < 0);
  assert_true(feed(v, "[1,2]") < 0);
  assert_true(feed(v, "{\"op\":\"nope\"}") < 0);
  assert_true(feed(v, "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":-1,\"channelId\":1}]}") < 0);
  assert_true(feed(v, "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1.5,\"channelId\":1}]}") < 0);
  assert_true(feed(v, "{\"op\":\"subscribe\"}") < 0);
  static const uint8_t short_call[] = {0x02, 1, 0, 0, 0};
  assert_true(dtw_viewer_test_input(v, short_call, sizeof short_call, true) < 0);
  static const uint8_t bad_len[] = {0x02, 1, 0, 0, 0, 7, 0, 0, 0, 0xff, 0, 0, 0, 'c'};
  assert_true(dtw_viewer_test_input(v, bad_len, sizeof bad_len, true) < 0);
  static const uint8_t unknown_svc[] = {0x02, 9, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 'c', 'd', 'r'};
  assert_true(dtw_viewer_test_input(v, unknown_svc, sizeof unknown_svc, true) < 0);
  static const uint8_t unadvertised[] = {0x01, 5, 0, 0, 0, 0, 1, 0, 0};
  assert_true(dtw_viewer_test_input(v, unadvertised, sizeof unadvertised, true) < 0);
  dtw_viewer_stats_t st;
  dtw_viewer_get_stats(v, &st);
  assert_int_equal(st.closed_malformed, 10);
  assert_int_equal(st.clients_now, 0);
  dtw_viewer_destroy(v);
}

static int fake_asset(dtw_viewer_t *v, const char *uri, uint8_t **data, size_t *len, char *why,
                      size_t whylen, void *user) {
  (void)v;
  (void)user;
  if (strcmp(uri, "package://p/a.stl") != 0) {
    snprintf(why, whylen, "no such asset");
    return DTW_ENOENT;
  }
  *data = malloc(3);
  memcpy(*data, "STL", 3);
  *len = 3;
  return 0;
}

/* fetchAsset: answered with opcode 4 (status 0 + data, or 1 + the reason);
 * a request without uri and requestId closes the client. */
static void test_fetch_asset(void **state) {
  (void)state;
  dtw_viewer_options_t o = {.name = "t", .read_only = true};
  dtw_viewer_callbacks_t cb = {.on_fetch_asset = fake_asset};
  dtw_viewer_t *v = NULL;
  assert_int_equal(dtw_viewer_create(&o, &cb, NULL, &v, NULL, 0), 0);
  dtw__vsession_t *s = dtw__vsession_open(v, NULL);
  assert_non_null(memmem(s->head->data + DTW__VIEWER_PRE, s->head->len, "\"assets\"", 8));
  while (s->head) free(dtw__vsession_pop(s));
  static const char ok[] = "{\"op\":\"fetchAsset\",\"uri\":\"package://p/a.stl\",\"requestId\":7}";
  assert_int_equal(dtw__vsession_input(v, s, (const uint8_t *)ok, sizeof ok - 1, false), 0);
  static const uint8_t want_ok[] = {4, 7, 0, 0, 0, 0, 0, 0, 0, 0, 'S', 'T', 'L'};
  assert_non_null(s->head);
  assert_int_equal(s->head->len, sizeof want_ok);
  assert_memory_equal(s->head->data + DTW__VIEWER_PRE, want_ok, sizeof want_ok);
  free(dtw__vsession_pop(s));
  static const char no[] = "{\"op\":\"fetchAsset\",\"uri\":\"file:///etc/passwd\",\"requestId\":8}";
  assert_int_equal(dtw__vsession_input(v, s, (const uint8_t *)no, sizeof no - 1, false), 0);
  static const uint8_t want_no[] = {4, 8, 0, 0, 0, 1, 13, 0, 0, 0};
  assert_memory_equal(s->head->data + DTW__VIEWER_PRE, want_no, sizeof want_no);
  assert_memory_equal(s->head->data + DTW__VIEWER_PRE + 10, "no such asset", 13);
  dtw__vsession_free(v, s);
  assert_true(feed(v, "{\"op\":\"fetchAsset\",\"uri\":5,\"requestId\":1}") < 0);
  assert_true(feed(v, "{\"op\":\"fetchAsset\",\"uri\":\"x\"}") < 0);
  dtw_viewer_destroy(v);
}

static void test_read_only(void **state) {
  (void)state;
  dtw_viewer_options_t o = {.name = "t", .read_only = true};
  dtw_viewer_t *v = NULL;
  assert_int_equal(dtw_viewer_create(&o, NULL, NULL, &v, NULL, 0), 0);
  assert_true(dtw_viewer_add_service(v, "/s", "std_srvs/srv/Trigger", "", "bool success") == 1);
  assert_int_equal(dtw_viewer_allow_publish(v, "/p", "std_msgs/msg/String"), 0);
  dtw__vsession_t *s = dtw__vsession_open(v, NULL);
  /* the hello offers neither services nor publishing */
  for (dtw__vframe_t *f = s->head; f; f = f->next) {
    const char *text = (const char *)f->data + DTW__VIEWER_PRE;
    assert_null(memmem(text, f->len, "advertiseServices", 17));
    assert_null(memmem(text, f->len, "clientPublish", 13));
  }
  static const char adv[] =
      "{\"op\":\"advertise\",\"channels\":[{\"id\":3,\"topic\":\"/p\",\"encoding\":\"cdr\"}]}";
  assert_int_equal(dtw__vsession_input(v, s, (const uint8_t *)adv, sizeof adv - 1, false), 0);
  assert_int_equal(s->n_cch, 0); /* refused with a status, not an error */
  static const uint8_t call[] = {0x02, 1, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 'c', 'd', 'r'};
  assert_true(dtw__vsession_input(v, s, call, sizeof call, true) < 0);
  dtw_viewer_destroy(v);
}

static void test_queue_drops_oldest(void **state) {
  (void)state;
  dtw_viewer_t *v = make(1000);
  dtw__vsession_t *s = dtw__vsession_open(v, NULL);
  assert_non_null(s);
  dtw__vframe_t *f;
  while ((f = dtw__vsession_pop(s)) != NULL) free(f); /* the hello frames */
  uint8_t body[300];
  for (int i = 0; i < 10; i++) {
    memset(body, i, sizeof body);
    dtw__vsession_queue(v, s, NULL, 0, body, sizeof body, true);
    assert_true(s->queued_bytes <= 1000);
  }
  dtw_viewer_stats_t st;
  dtw_viewer_get_stats(v, &st);
  assert_int_equal(st.frames_dropped, 7);
  assert_int_equal(s->head->data[DTW__VIEWER_PRE], 7); /* the three newest remain */
  dtw_viewer_destroy(v);
}

/* JointState CDR: stamp 5.25 s, frame "", names a b, positions 1 2 */
static size_t joint_state_cdr(uint8_t *p) {
  static const uint8_t m[] = {0, 1, 0, 0, 5, 0, 0, 0, 0x80, 0xb2, 0xe6, 0x0e, 1, 0, 0, 0, 0, 0, 0, 0,
                              2, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 0, 0, 2, 0, 0, 0, 'b', 0, 0, 0,
                              2, 0, 0, 0};
  memcpy(p, m, sizeof m);
  size_t n = sizeof m;
  double pos[2] = {1.0, 2.0};
  memcpy(p + n, pos, sizeof pos); /* offset 44 - 4 = 40: 8-aligned */
  return n + sizeof pos;
}

static void test_joint_state_decode(void **state) {
  (void)state;
  uint8_t buf[128];
  size_t len = joint_state_cdr(buf);
  dtw_vjoints_t js;
  assert_int_equal(dtw_vjoints_decode(buf, len, &js), 0);
  assert_int_equal(js.sec, 5);
  assert_int_equal(js.n, 2);
  assert_string_equal(js.name[1], "b");
  assert_int_equal(js.n_position, 2);
  assert_true(js.position[1] == 2.0);
  for (size_t cut = 0; cut < len; cut++) assert_true(dtw_vjoints_decode(buf, cut, &js) < 0);
  buf[24] = 0xff; /* first name longer than the message */
  assert_true(dtw_vjoints_decode(buf, len, &js) < 0);
}

static const char k_mjcf[] =
    "<mujoco model='t'><worldbody><body name='a' pos='0 0 1'>"
    "<joint name='j' type='hinge' axis='0 0 1'/><geom type='box' size='.1 .1 .1'/>"
    "<body name='b' pos='1 0 0'><geom type='sphere' size='.1'/></body></body></worldbody></mujoco>";

static void test_kinematics_and_tf(void **state) {
  (void)state;
  dtw_robot_desc_t d = {.name = "t", .mjcf = (char *)k_mjcf, .mjcf_len = sizeof k_mjcf - 1};
  dtw_kin_t *k = NULL;
  char err[512];
  assert_int_equal(dtw_kin_create(&d, &k, err, sizeof err), 0);
  assert_int_equal(dtw_kin_body_count(k), 3);
  assert_string_equal(dtw_kin_body_joint(k, 1), "j");
  int adr = dtw_kin_joint_qpos(k, "j");
  assert_true(adr >= 0);
  assert_int_equal(dtw_kin_set_qpos(k, adr, M_PI / 2), 0);
  assert_int_equal(dtw_kin_forward(k), 0);
  double pos[3], q[4];
  dtw_kin_body_pose(k, 2, pos, q);
  assert_true(fabs(pos[0]) < 1e-9 && fabs(pos[1] - 1) < 1e-9 && fabs(pos[2] - 1) < 1e-9);
  assert_true(dtw_kin_set_qpos(k, adr, NAN) < 0);
  dtw_kin_destroy(k);

  dtw_vscene_t *sc = NULL;
  assert_int_equal(dtw_vscene_create(&d, &sc, err, sizeof err), 0);
  dtw_vjoints_t js = {.n = 1, .n_position = 1, .name = {"j"}, .position = {M_PI / 2}};
  dtw_vbuf_t tf = {0};
  dtw_vtf_begin(&tf);
  assert_int_equal(dtw_vscene_tf_add(sc, &js, "robot", &tf), 0);
  assert_int_equal(dtw_vscene_tf_add(sc, &js, "twin", &tf), 0);
  dtw_vtf_end(&tf);
  assert_int_equal(tf.data[4], 4); /* 2 bodies x 2 prefixes */
  assert_non_null(memmem(tf.data, tf.len, "twin/b", 7));
  /* a tree: b under a (1 m along a's x, turned with a), a under world */
  assert_non_null(memmem(tf.data, tf.len, "world", 6));
  const uint8_t *b_at = memmem(tf.data, tf.len, "robot/b", 8);
  assert_non_null(b_at);
  assert_non_null(memmem(tf.data, (size_t)(b_at - tf.data), "robot/a", 8));
  double x;
  memcpy(&x, b_at + 8, 8); /* translation x right after "robot/b\0" (8-aligned) */
  assert_true(fabs(x - 1) < 1e-9);
  dtw_vbuf_t json = {0};
  assert_int_equal(dtw_vscene_json(sc, &json), 0);
  assert_non_null(strstr((const char *)json.data, "\"type\":\"sphere\""));
  dtw_vbuf_fini(&json);
  dtw_vbuf_fini(&tf);
  dtw_vscene_destroy(sc);
}

static const char k_chain[] =
    "<mujoco model='c'><worldbody><body name='a' pos='0 0 1'><freejoint/>"
    "<geom type='capsule' size='.05 .2'/>"
    "<body name='b' pos='1 0 0' euler='0 0 90'><joint name='hb' type='hinge' axis='0 1 0'/>"
    "<geom type='ellipsoid' size='.1 .2 .3' contype='0' conaffinity='0'/>"
    "<geom type='box' size='.1 .1 .1'/>"
    "<body name='c' pos='0 0 -1'><joint name='sc' type='slide' axis='1 0 0'/>"
    "<geom type='cylinder' size='.1 .2'/></body>"
    "<body pos='0 1 0'><geom type='sphere' size='.1'/></body>"
    "</body></body></worldbody></mujoco>";

/* The URDF for Foxglove: links as /tf names them, joints with their axes. */
static void test_urdf(void **state) {
  (void)state;
  dtw_robot_desc_t d = {.name = "c<&>", .mjcf = (char *)k_chain, .mjcf_len = sizeof k_chain - 1};
  dtw_vscene_t *sc = NULL;
  char err[512];
  assert_int_equal(dtw_vscene_create(&d, &sc, err, sizeof err), 0);
  dtw_vbuf_t u = {0};
  assert_int_equal(dtw_vscene_urdf(sc, &d, "twin", &u), 0);
  const char *t = (const char *)u.data;
  assert_non_null(strstr(t, "<robot name=\"c&lt;&amp;&gt;\">"));
  assert_non_null(strstr(t, "<link name=\"twin/a\">"));
  assert_non_null(strstr(t, "<link name=\"twin/body_4\">")); /* unnamed body */
  /* the hinge's axis in b's frame is y whatever b's own turn; the slide is prismatic */
  assert_non_null(strstr(t, "<joint name=\"hb\" type=\"continuous\"><parent link=\"twin/a\"/>"
                            "<child link=\"twin/b\"/><origin xyz=\"1 0 0\""));
  assert_non_null(strstr(t, "<axis xyz=\"0 1 0\"/>"));
  assert_non_null(strstr(t, "<joint name=\"sc\" type=\"prismatic\">"));
  assert_non_null(strstr(t, "<axis xyz=\"1 0 0\"/>"));
  assert_non_null(strstr(t, "type=\"fixed\"><parent link=\"twin/b\"/><child link=\"twin/body_4\"/>"));
  /* b shows its visual ellipsoid (a scaled unit sphere), not its collision box */
  assert_non_null(strstr(t, "unit_sphere.stl\" scale=\"0.1 0.2 0.3\""));
  assert_null(strstr(t, "<box"));
  assert_null(strstr(t, "freejoint"));
  /* the capsule: a cylinder and two spheres */
  assert_non_null(strstr(t, "<cylinder radius=\"0.05\" length=\"0.4\"/>"));
  assert_non_null(strstr(t, "<origin xyz=\"0 0 0.2\""));
  dtw_vbuf_t a = {0};
  assert_int_equal(dtw_vscene_asset(sc, DTW_VSCENE_ASSET_ROOT "unit_sphere.stl", &a), 0);
  uint32_t ntri = (uint32_t)a.data[80] | (uint32_t)a.data[81] << 8;
  assert_true(ntri > 100);
  assert_int_equal(a.len, 84 + 50 * (size_t)ntri);
  assert_int_equal(dtw_vscene_asset(sc, DTW_VSCENE_ASSET_ROOT "mesh_0.stl", &a), DTW_ENOENT);
  assert_int_equal(dtw_vscene_asset(sc, "file:///etc/passwd", &a), DTW_ENOENT);
  dtw_vbuf_fini(&a);
  dtw_vbuf_fini(&u);
  dtw_vscene_destroy(sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_input),
      cmocka_unit_test(test_read_only),
      cmocka_unit_test(test_fetch_asset),
      cmocka_unit_test(test_queue_drops_oldest),
      cmocka_unit_test(test_joint_state_decode),
      cmocka_unit_test(test_kinematics_and_tf),
      cmocka_unit_test(test_urdf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
