/* URDF parsing, validation and MJCF generation (src/model/urdf.c, mjcf_gen.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/model.h"
#include "model/model__mjcf.h"
#include "model/model__urdf.h"

static char g_path[1024];

static const char *data_path(const char *name) {
  const char *root = getenv("DTW_TEST_DATA");
  snprintf(g_path, sizeof g_path, "%s/model/%s", root != NULL ? root : "tests/data", name);
  return g_path;
}

/* Parse one file under tests/data/model with the test package path. */
static int parse_file(const char *name, dtw__urdf_t *u, char *err, size_t errlen) {
  char dir[1024], pkgs[1100], *text = NULL;
  size_t len = 0;
  snprintf(dir, sizeof dir, "%s", data_path(""));
  snprintf(pkgs, sizeof pkgs, "%spkgs", dir);
  const char *path = data_path(name);
  int rc = dtw__file_read(path, &text, &len, err, errlen);
  if (rc != 0) return rc;
  dtw__urdf_ctx_t ctx = {.file = name, .dir = dir, .package_path = pkgs};
  rc = dtw__urdf_parse_buffer(text, len, &ctx, u, err, errlen);
  free(text);
  return rc;
}

static const dtw__urdf_joint_t *joint(const dtw__urdf_t *u, const char *name) {
  for (size_t i = 0; i < u->n_joints; i++)
    if (strcmp(u->joints[i].name, name) == 0) return &u->joints[i];
  fail_msg("no joint %s", name);
  return NULL;
}

static const dtw__urdf_link_t *link_named(const dtw__urdf_t *u, const char *name) {
  for (size_t i = 0; i < u->n_links; i++)
    if (strcmp(u->links[i].name, name) == 0) return &u->links[i];
  fail_msg("no link %s", name);
  return NULL;
}

/* ---- rpy -> quaternion -------------------------------------------------- */

static void expect_quat(double r, double p, double y, double w, double x, double yy, double z) {
  double rpy[3] = {r, p, y}, q[4];
  dtw__rpy_to_quat(rpy, q);
  /* q and -q are the same rotation */
  double s = q[0] * w + q[1] * x + q[2] * yy + q[3] * z < 0 ? -1 : 1;
  assert_true(fabs(s * q[0] - w) < 1e-9);
  assert_true(fabs(s * q[1] - x) < 1e-9);
  assert_true(fabs(s * q[2] - yy) < 1e-9);
  assert_true(fabs(s * q[3] - z) < 1e-9);
}

static void test_rpy_to_quat_known_values(void **state) {
  (void)state;
  const double h = sqrt(0.5);
  expect_quat(0, 0, 0, 1, 0, 0, 0);
  expect_quat(M_PI / 2, 0, 0, h, h, 0, 0);
  expect_quat(0, M_PI / 2, 0, h, 0, h, 0);
  expect_quat(0, 0, M_PI / 2, h, 0, 0, h);
  expect_quat(M_PI, 0, 0, 0, 1, 0, 0);
  /* reference values from q = qz(y) qy(p) qx(r) computed independently */
  expect_quat(0.1, 0.2, 0.3, 0.983347443256, 0.034270798550, 0.106020511062, 0.143572175027);
  expect_quat(1.0, -0.5, 2.0, 0.359611031020, 0.433679954458, 0.273572213888, 0.779589537679);
}

/* The matrix is Rz(y) Ry(p) Rx(r): check it against an explicit product. */
static void test_rpy_to_mat_is_fixed_axis_xyz(void **state) {
  (void)state;
  double rpy[3] = {0.4, -0.7, 1.1}, m[9];
  dtw__rpy_to_mat(rpy, m);
  double cr = cos(0.4), sr = sin(0.4), cp = cos(-0.7), sp = sin(-0.7), cy = cos(1.1),
         sy = sin(1.1);
  double rx[9] = {1, 0, 0, 0, cr, -sr, 0, sr, cr};
  double ry[9] = {cp, 0, sp, 0, 1, 0, -sp, 0, cp};
  double rz[9] = {cy, -sy, 0, sy, cy, 0, 0, 0, 1};
  double t[9] = {0}, r[9] = {0};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++) t[3 * i + j] += ry[3 * i + k] * rx[3 * k + j];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++) r[3 * i + j] += rz[3 * i + k] * t[3 * k + j];
  for (int i = 0; i < 9; i++) assert_true(fabs(m[i] - r[i]) < 1e-12);
}

/* ---- a valid URDF ------------------------------------------------------- */

static int g_warnings;
static char g_last_warning[1024];

static void capture_log(dtw_log_level_t level, const char *component, const char *line,
                        void *user) {
  (void)component;
  (void)user;
  if (level >= DTW_LOG_WARN) {
    g_warnings++;
    snprintf(g_last_warning, sizeof g_last_warning, "%s", line);
  }
}

static void test_parse_simple(void **state) {
  (void)state;
  dtw__urdf_t u = {0};
  char err[512] = "";
  g_warnings = 0;
  dtw_log_set_hook(capture_log, NULL);
  int rc = parse_file("simple.urdf", &u, err, sizeof err);
  dtw_log_set_hook(NULL, NULL);
  assert_int_equal(rc, 0);
  assert_string_equal(u.name, "simple_arm");
  assert_int_equal(u.n_links, 5);
  assert_int_equal(u.n_joints, 4);
  assert_string_equal(u.links[u.root].name, "base");

  /* mimic is ignored with a warning naming file, line and joint */
  assert_int_equal(g_warnings, 1);
  assert_non_null(strstr(g_last_warning, "simple.urdf:84: joint 'slide': <mimic> is ignored"));

  const dtw__urdf_joint_t *sh = joint(&u, "shoulder");
  assert_int_equal(sh->kind, DTW__JOINT_REVOLUTE);
  assert_true(sh->has_limit);
  assert_true(sh->lower == -1.5 && sh->upper == 2.0);
  assert_true(sh->effort == 30 && sh->velocity == 3);
  assert_true(sh->damping == 0.7 && sh->friction == 0.2);
  assert_true(sh->origin.xyz[2] == 0.1 && sh->origin.rpy[0] == 0.1 && sh->origin.rpy[2] == 0.3);
  assert_true(sh->axis[0] == 0 && sh->axis[1] == 1 && sh->axis[2] == 0);
  assert_string_equal(u.links[sh->parent].name, "base");
  assert_string_equal(u.links[sh->child].name, "upper");
  assert_int_equal(sh->line, 59);

  const dtw__urdf_joint_t *el = joint(&u, "elbow");
  assert_int_equal(el->kind, DTW__JOINT_CONTINUOUS);
  assert_false(el->has_limit);
  assert_true(el->effort == 10 && el->velocity == 5);
  assert_true(el->axis[2] == 1); /* normalised */

  assert_int_equal(joint(&u, "tool_mount")->kind, DTW__JOINT_FIXED);
  const dtw__urdf_joint_t *sl = joint(&u, "slide");
  assert_int_equal(sl->kind, DTW__JOINT_PRISMATIC);
  assert_true(sl->axis[0] == 1); /* default axis */
  assert_true(sl->lower == 0 && sl->upper == 0.25 && sl->effort == 0);

  const dtw__urdf_link_t *base = link_named(&u, "base");
  assert_true(base->has_inertial && base->mass == 2.0 && base->inertia[2] == 0.02);
  assert_true(base->inertial_origin.xyz[2] == 0.05);
  assert_int_equal(base->n_collision, 1);
  assert_int_equal(base->collision[0].kind, DTW__GEOM_BOX);
  assert_true(base->collision[0].size[0] == 0.2 && base->collision[0].size[2] == 0.1);

  const dtw__urdf_link_t *upper = link_named(&u, "upper");
  assert_int_equal(upper->visual[0].kind, DTW__GEOM_CYLINDER);
  assert_true(upper->visual[0].size[0] == 0.03 && upper->visual[0].size[1] == 0.3);
  assert_int_equal(upper->collision[0].kind, DTW__GEOM_CAPSULE);

  /* package:// resolved through the package path to an absolute path */
  const dtw__urdf_link_t *lower = link_named(&u, "lower");
  assert_int_equal(lower->visual[0].kind, DTW__GEOM_MESH);
  assert_true(lower->visual[0].mesh_path[0] == '/');
  assert_non_null(strstr(lower->visual[0].mesh_path, "pkgs/testpkg/meshes/tetra.stl"));
  assert_true(lower->visual[0].scale[1] == 2);
  /* a relative filename resolves against the URDF's directory */
  const dtw__urdf_link_t *tool = link_named(&u, "tool");
  assert_non_null(strstr(tool->visual[0].mesh_path, "/model/pkgs/testpkg/meshes/tetra.stl"));
  assert_true(tool->visual[0].scale[0] == 1);
  dtw__urdf_fini(&u);
  dtw__urdf_fini(&u); /* safe twice */
}

/* package://testpkg with no package path: found as an ancestor directory. */
static void test_package_resolves_to_enclosing_package(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  char err[512] = "";
  int rc = dtw_model_load(data_path("pkgs/testpkg/urdf/inpkg.urdf"), &o, &d, err, sizeof err);
  assert_int_equal(rc, 0);
  /* the mesh is handed over in memory, converted from the file found */
  assert_int_equal(d.n_assets, 1);
  assert_non_null(strstr(d.assets[0].source, "testpkg/meshes/tetra.stl"));
  char expect[256];
  snprintf(expect, sizeof expect, "file=\"%s\"", d.assets[0].name);
  assert_non_null(strstr(d.mjcf, expect));
  assert_int_equal(d.n_joints, 0);
  dtw_robot_desc_fini(&d);
}

/* ---- refusals ----------------------------------------------------------- */

typedef struct refusal {
  const char *file;
  int code;
  const char *message; /* must appear in err */
} refusal_t;

static const refusal_t k_refusals[] = {
    {"bad_joint_type.urdf", DTW_EMODEL,
     "bad_joint_type.urdf:5: joint 'j': unknown joint type 'wobbly'"},
    {"no_parent.urdf", DTW_EMODEL, "no_parent.urdf:5: joint 'j': no <parent>"},
    {"no_child.urdf", DTW_EMODEL, "no_child.urdf:5: joint 'j': no <child>"},
    {"unknown_link.urdf", DTW_EMODEL,
     "unknown_link.urdf:7: joint 'j': child link 'c' does not exist"},
    {"two_parents.urdf", DTW_EMODEL,
     "two_parents.urdf:11: joint 'j2': link 'c' already has parent joint 'j1' (line 6)"},
    {"cycle.urdf", DTW_EMODEL, "cycle.urdf:17: joint 'j3': closes a kinematic cycle"},
    {"two_roots.urdf", DTW_EMODEL,
     "two_roots.urdf:4: link 'b': a second root link besides 'a' (line 3)"},
    {"dup_link.urdf", DTW_EMODEL,
     "dup_link.urdf:4: link 'a': name already used by the link at line 3"},
    {"inverted_limits.urdf", DTW_EMODEL,
     "inverted_limits.urdf:8: joint 'j': lower limit 1.2 is above upper limit 0.5"},
    {"nan_origin.urdf", DTW_EPARSE,
     "nan_origin.urdf:8: joint 'j': <origin xyz=\"0 nan 0\">: expected 3 finite numbers"},
    {"negative_mass.urdf", DTW_EMODEL,
     "negative_mass.urdf:5: link 'a': <inertial>: negative mass -2"},
    {"missing_mesh.urdf", DTW_ENOENT,
     "missing_mesh.urdf:6: link 'a': <collision>: mesh file 'meshes/nothere.stl' not found"},
    {"no_limit.urdf", DTW_EMODEL, "no_limit.urdf:5: joint 'j': a revolute joint needs a <limit>"},
    {"malformed.urdf", DTW_EPARSE, "malformed.urdf:4: XML error: "},
    {"entity.urdf", DTW_EUNSUP, "entity.urdf:1: XML error: DTD entity declarations"},
    {"bad_root.xml", DTW_EPARSE, "bad_root.xml:2: root element is <sdf>, expected <robot>"},
};

static void test_refusals(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_refusals / sizeof k_refusals[0]; i++) {
    const refusal_t *r = &k_refusals[i];
    dtw__urdf_t u = {0};
    char err[512] = "";
    int rc = parse_file(r->file, &u, err, sizeof err);
    if (rc != r->code || strstr(err, r->message) == NULL)
      fail_msg("%s: rc %s, err '%s'; expected %s with '%s'", r->file, dtw_err_name(rc), err,
               dtw_err_name(r->code), r->message);
    /* nothing left allocated on failure */
    assert_null(u.links);
    assert_null(u.joints);
  }
}

/* The public loader reports the same, with the path it was given. */
static void test_refusal_through_model_load(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  char err[512] = "";
  const char *path = data_path("inverted_limits.urdf");
  int rc = dtw_model_load(path, NULL, &d, err, sizeof err);
  assert_int_equal(rc, DTW_EMODEL);
  char expect[1200];
  snprintf(expect, sizeof expect, "%s:8: joint 'j': lower limit 1.2 is above upper limit 0.5",
           path);
  assert_string_equal(err, expect);
  assert_null(d.mjcf); /* out untouched */

  rc = dtw_model_load(data_path("does_not_exist.urdf"), NULL, &d, err, sizeof err);
  assert_int_equal(rc, DTW_ENOENT);
  assert_non_null(strstr(err, "does_not_exist.urdf: cannot open"));
}

typedef struct buf_case {
  const char *text;
  int code;
  const char *message;
} buf_case_t;

static const buf_case_t k_buffers[] = {
    {"<robot name='r'><link name='a'><inertial><mass value='1e999'/></inertial></link></robot>",
     DTW_EPARSE, "t.urdf:1: link 'a': <inertial>: <mass value=\"1e999\">"},
    {"<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
     "<parent link='a'/><child link='b'/><limit lower='0' upper='1' effort='-3'/></joint>"
     "</robot>",
     DTW_EMODEL, "t.urdf:1: joint 'j': negative effort limit -3"},
    {"<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='continuous'>"
     "<parent link='a'/><child link='b'/><axis xyz='0 0 0'/></joint></robot>",
     DTW_EMODEL, "joint 'j': <axis> has zero length"},
    {"<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='fixed'>"
     "<parent link='b'/><child link='b'/></joint></robot>",
     DTW_EMODEL, "joint 'j': link 'b' is its own parent"},
    {"<robot name='r'><link name='a'><collision><geometry><box size='1 0 1'/></geometry>"
     "</collision></link></robot>",
     DTW_EMODEL, "link 'a': <collision>: <box>: sizes must be positive"},
    {"<robot name='r'><link name='a'><collision><geometry><mesh filename='x.stl' "
     "scale='1 0 1'/></geometry></collision></link></robot>",
     DTW_EMODEL, "link 'a': <collision>: <mesh>: scale must not be zero"},
    {"<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='planar'>"
     "<parent link='a'/><child link='b'/><axis xyz='0 0 0'/></joint></robot>",
     DTW_EMODEL, "joint 'j': <axis> has zero length"},
    {"<robot name='r'><link name='a'><collision><geometry><mesh filename='package://nopkg/m.stl'"
     "/></geometry></collision></link></robot>",
     DTW_ENOENT, "t.urdf:1: link 'a': <collision>: mesh file 'package://nopkg/m.stl' not found: "
     "package 'nopkg' is not in ROS_PACKAGE_PATH"},
    {"<robot name='r'><link name='a'><collision><geometry><cylinder radius='1'/></geometry>"
     "</collision></link></robot>",
     DTW_EMODEL, "link 'a': <collision>: <cylinder> has no length attribute"},
    {"<robot name='r'><link name='a'><collision><origin xyz='1 2'/><geometry>"
     "<sphere radius='1'/></geometry></collision></link></robot>",
     DTW_EPARSE, "<origin xyz=\"1 2\">: expected 3 finite numbers"},
    {"<robot name='r'><link name='a'><visual><geometry><cone/></geometry></visual></link>"
     "</robot>",
     DTW_EUNSUP, "link 'a': <visual>: unknown geometry <cone>"},
    {"<robot name='r'><link name='a'><inertial><mass value='1'/>\n<inertia ixx='0.1' "
     "iyy='0.1' izz='0.3'/></inertial></link></robot>",
     DTW_EMODEL, "t.urdf:2: link 'a': <inertial>: izz 0.3 is larger than the sum of the other"},
    {"<robot name='r'></robot>", DTW_EMODEL, "t.urdf:1: robot 'r' has no <link>"},
    {"<robot><link name='a'/></robot>", DTW_EMODEL, "t.urdf:1: <robot> without a name"},
    {"<robot name='r'><link name='a'/><joint name='"
     "a_joint_name_that_is_far_too_long_for_the_joint_table_of_dtwin_0123456789'/></robot>",
     DTW_EMODEL, "name longer than 63 characters"},
    {"<robot name='r'>\n<link name='a'>\n</robot>", DTW_EPARSE, "t.urdf:3: XML error: "},
    {"", DTW_EPARSE, "t.urdf:"},
};

static void test_refusals_from_buffers(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_buffers / sizeof k_buffers[0]; i++) {
    const buf_case_t *c = &k_buffers[i];
    dtw__urdf_t u = {0};
    char err[512] = "";
    dtw__urdf_ctx_t ctx = {.file = "t.urdf", .dir = ".", .package_path = NULL};
    int rc = dtw__urdf_parse_buffer(c->text, strlen(c->text), &ctx, &u, err, sizeof err);
    if (rc != c->code || strstr(err, c->message) == NULL)
      fail_msg("case %zu: rc %s, err '%s'; expected %s with '%s'", i, dtw_err_name(rc), err,
               dtw_err_name(c->code), c->message);
  }
}

/* libxml2 never writes to stderr: every problem comes back in err. */
static void test_xml_errors_not_printed(void **state) {
  (void)state;
  static const char *const k_docs[] = {
      "<robot name='r'><link name='a'></robot>",
      "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><robot name=\"\x1b$B\xff\xff\"/>",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><robot name=\"\xff\xfe\"/>",
      "<?xml version=\"1.0\" encoding=\"no-such-encoding\"?><robot name='r'/>",
      "<!DOCTYPE robot SYSTEM \"http://example.com/robot.dtd\"><robot name='r'/>",
      "<robot name='r'>&undefined;</robot>",
  };
  fflush(stderr);
  FILE *capture = tmpfile();
  assert_non_null(capture);
  int saved = dup(2);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(capture), 2) >= 0);
  int codes[sizeof k_docs / sizeof k_docs[0]];
  char errs[sizeof k_docs / sizeof k_docs[0]][256];
  for (size_t i = 0; i < sizeof k_docs / sizeof k_docs[0]; i++) {
    xmlDocPtr doc = NULL;
    codes[i] = dtw__xml_read(k_docs[i], strlen(k_docs[i]), "t.urdf", &doc, errs[i],
                             sizeof errs[i]);
    xmlFreeDoc(doc);
  }
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  long printed = ftell(capture);
  fseek(capture, 0, SEEK_SET);
  char text[512] = "";
  size_t n = fread(text, 1, sizeof text - 1, capture);
  text[n] = '\0';
  fclose(capture);
  if (printed != 0) fail_msg("libxml2 printed: %s", text);
  for (size_t i = 0; i < sizeof k_docs / sizeof k_docs[0]; i++) {
    if (i == 4) {
      /* an external DTD is not fetched (no network, no DTD loading) */
      assert_int_equal(codes[i], 0);
      continue;
    }
    assert_int_equal(codes[i], DTW_EPARSE);
    if (strstr(errs[i], "t.urdf:1: XML error: ") == NULL) fail_msg("doc %zu: %s", i, errs[i]);
  }
}

/* ---- MJCF generation ---------------------------------------------------- */

static char *generate(const char *file, dtw_base_mode_t base, double effort_check) {
  (void)effort_check;
  dtw__urdf_t u = {0};
  char err[512] = "";
  assert_int_equal(parse_file(file, &u, err, sizeof err), 0);
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.base = base;
  o.base_height_m = 0.75;
  o.armature = 0.02;
  o.timestep_s = 0.002;
  char *mjcf = NULL;
  size_t len = 0;
  assert_int_equal(dtw__mjcf_generate(&u, &o, NULL, NULL, &mjcf, &len, err, sizeof err), 0);
  assert_int_equal(strlen(mjcf), len);
  dtw__urdf_fini(&u);
  return mjcf;
}

static void assert_has(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("'%s' not in:\n%s", needle, text);
}

static void test_mjcf_generation(void **state) {
  (void)state;
  char *m = generate("simple.urdf", DTW_BASE_FIXED, 0);
  assert_has(m, "<mujoco model=\"simple_arm\">");
  assert_has(m, "<compiler angle=\"radian\" autolimits=\"true\"");
  assert_has(m, "<option timestep=\"0.002\"/>");
  assert_has(m, "<joint armature=\"0.02\"/>");
  /* root on a stand at base height, no free joint */
  assert_has(m, "<body name=\"base\" pos=\"0 0 0.75\">");
  assert_null(strstr(m, "freejoint"));
  /* joint origin as body pos/quat, joint at the body origin */
  assert_has(m, "<body name=\"upper\" pos=\"0 0 0.1\" quat=\"0.9833474433 0.03427079855 "
                "0.1060205111 0.143572175\">");
  assert_has(m, "<joint name=\"shoulder\" type=\"hinge\" axis=\"0 1 0\" limited=\"true\" "
                "range=\"-1.5 2\" damping=\"0.7\" frictionloss=\"0.2\"/>");
  assert_has(m, "<joint name=\"elbow\" type=\"hinge\" axis=\"0 0 1\" limited=\"false\"/>");
  assert_has(m, "<joint name=\"slide\" type=\"slide\" axis=\"1 0 0\" limited=\"true\" "
                "range=\"0 0.25\"/>");
  /* the fixed joint: a child body without a joint */
  assert_has(m, "<body name=\"tool\" pos=\"0.05 0 0.1\">\n");
  assert_null(strstr(m, "tool_mount"));
  /* inertia rotated by the inertial rpy (yaw 90 deg swaps ixx and iyy) */
  assert_has(m, "<inertial pos=\"0 0 0.15\" mass=\"1.5\" diaginertia=\"0.013 0.012 0.003\"/>");
  /* geoms: sizes are half sizes; visual geoms don't collide */
  assert_has(m, "<geom name=\"base_collision\" type=\"box\" size=\"0.1 0.1 0.05\"");
  assert_has(m, "<geom name=\"upper_visual\" type=\"cylinder\" size=\"0.03 0.15\" "
                "pos=\"0 0 0.15\" contype=\"0\" conaffinity=\"0\" group=\"1\"");
  assert_has(m, "type=\"capsule\" size=\"0.03 0.12\"");
  assert_has(m, "type=\"sphere\" size=\"0.04\" pos=\"0 0 0.1\"");
  /* one mesh asset per file + scale */
  assert_has(m, "<mesh name=\"mesh_0\" file=\"/");
  assert_has(m, "tetra.stl\" scale=\"2 2 2\"/>");
  assert_has(m, "<mesh name=\"mesh_1\" file=\"/");
  assert_null(strstr(m, "mesh_2"));
  /* motors in joint document order; effort 0 = unlimited */
  const char *a = strstr(m, "<actuator>");
  assert_non_null(a);
  const char *m1 = strstr(a, "<motor name=\"shoulder\" joint=\"shoulder\" ctrllimited=\"true\" "
                             "ctrlrange=\"-30 30\"/>");
  const char *m2 = strstr(a, "<motor name=\"elbow\" joint=\"elbow\" ctrllimited=\"true\" "
                             "ctrlrange=\"-10 10\"/>");
  const char *m3 = strstr(a, "<motor name=\"slide\" joint=\"slide\" ctrllimited=\"false\"/>");
  assert_true(m1 != NULL && m2 > m1 && m3 > m2);
  free(m);

  m = generate("simple.urdf", DTW_BASE_FLOATING, 0);
  assert_has(m, "<body name=\"base\" pos=\"0 0 0.75\">\n      <freejoint name=\"floating_base\"/>");
  free(m);
}

/* Names with XML special characters are escaped in the output. */
static void test_mjcf_escapes_names(void **state) {
  (void)state;
  const char *text = "<robot name='a&amp;b'><link name='l&lt;1&gt;'/><link name='c'/>"
                     "<joint name='j&quot;' type='continuous'><parent link='l&lt;1&gt;'/>"
                     "<child link='c'/></joint></robot>";
  dtw__urdf_t u = {0};
  char err[256] = "";
  dtw__urdf_ctx_t ctx = {.file = "t.urdf", .dir = "."};
  assert_int_equal(dtw__urdf_parse_buffer(text, strlen(text), &ctx, &u, err, sizeof err), 0);
  assert_string_equal(u.joints[0].name, "j\"");
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  char *m = NULL;
  size_t len = 0;
  assert_int_equal(dtw__mjcf_generate(&u, &o, NULL, NULL, &m, &len, err, sizeof err), 0);
  assert_has(m, "model=\"a&amp;b\"");
  assert_has(m, "<body name=\"l&lt;1&gt;\"");
  assert_has(m, "joint=\"j&quot;\"");
  dtw_joint_desc_t *t = NULL;
  size_t n = 0;
  assert_int_equal(dtw__urdf_joint_table(&u, &t, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(t[0].name, "j\"");
  assert_int_equal(t[0].type, DTW_JOINT_CONTINUOUS);
  assert_false(t[0].limited);
  free(t);
  free(m);
  dtw__urdf_fini(&u);
}


/* ---- what urdfdom accepts is accepted ----------------------------------- */

/* Parse text as t.urdf with warnings captured; returns rc. */
static int parse_text(const char *text, dtw__urdf_t *u, char *err, size_t errlen) {
  dtw__urdf_ctx_t ctx = {.file = "t.urdf", .dir = ".", .package_path = NULL};
  g_warnings = 0;
  g_last_warning[0] = '\0';
  dtw_log_set_hook(capture_log, NULL);
  int rc = dtw__urdf_parse_buffer(text, strlen(text), &ctx, u, err, errlen);
  dtw_log_set_hook(NULL, NULL);
  return rc;
}

/* Floating and planar joints: passive degrees of freedom, never actuated. */
static void test_floating_and_planar_joints(void **state) {
  (void)state;
  dtw__urdf_t u = {0};
  char err[512] = "";
  assert_int_equal(parse_file("floating_joint.urdf", &u, err, sizeof err), 0);
  assert_int_equal(u.joints[0].kind, DTW__JOINT_FLOATING);
  dtw_joint_desc_t *t = NULL;
  size_t n = 99;
  assert_int_equal(dtw__urdf_joint_table(&u, &t, &n), 0);
  assert_int_equal(n, 0);
  dtw__urdf_fini(&u);
  char *m = generate("floating_joint.urdf", DTW_BASE_FIXED, 0);
  /* below the root: three slides and a ball, no actuator */
  assert_has(m, "<joint name=\"j_x\" type=\"slide\" axis=\"1 0 0\" limited=\"false\"/>");
  assert_has(m, "<joint name=\"j_z\" type=\"slide\" axis=\"0 0 1\"");
  assert_has(m, "<joint name=\"j_rot\" type=\"ball\" limited=\"false\"/>");
  assert_null(strstr(m, "<actuator"));
  free(m);

  assert_int_equal(parse_file("planar_joint.urdf", &u, err, sizeof err), 0);
  assert_int_equal(u.joints[0].kind, DTW__JOINT_PLANAR);
  dtw__urdf_fini(&u);
  m = generate("planar_joint.urdf", DTW_BASE_FIXED, 0);
  assert_has(m, "<joint name=\"j_u\" type=\"slide\"");
  assert_has(m, "<joint name=\"j_v\" type=\"slide\"");
  assert_has(m, "<joint name=\"j_rot\" type=\"hinge\"");
  assert_null(strstr(m, "<actuator"));
  free(m);

  /* from a "world" root it is a free joint at the top level */
  const char *text = "<robot name='r'><link name='world'/><link name='b'><inertial><mass "
                     "value='1'/><inertia ixx='0.1' iyy='0.1' izz='0.1' ixy='0' ixz='0' "
                     "iyz='0'/></inertial></link><joint name='float' type='floating'>"
                     "<parent link='world'/><child link='b'/><axis xyz='0 0 0'/></joint>"
                     "</robot>";
  assert_int_equal(parse_text(text, &u, err, sizeof err), 0);
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  size_t len = 0;
  assert_int_equal(dtw__mjcf_generate(&u, &o, NULL, NULL, &m, &len, err, sizeof err), 0);
  assert_has(m, "<body name=\"b\">\n      <freejoint name=\"float\"/>");
  /* its axis is not read (urdfdom does not either) */
  assert_int_equal(g_warnings, 1);
  assert_non_null(strstr(g_last_warning, "joint 'float': <axis> of a floating joint is ignored"));
  free(m);
  dtw__urdf_fini(&u);
}

/* The axis of fixed joints is not read, whatever it holds: one warning line. */
static void test_fixed_joint_axis_ignored(void **state) {
  (void)state;
  const char *text = "<robot name='r'>\n<link name='a'/><link name='b'/><link name='c'/>"
                     "<link name='d'/>\n"
                     "<joint name='f1' type='fixed'><parent link='a'/><child link='b'/>\n"
                     "<axis xyz='0 0 0'/></joint>\n"
                     "<joint name='f2' type='fixed'><parent link='b'/><child link='c'/>"
                     "<axis xyz='not numbers'/></joint>\n"
                     "<joint name='f3' type='fixed'><parent link='c'/><child link='d'/>"
                     "<axis xyz='0 0 0'/></joint></robot>";
  dtw__urdf_t u = {0};
  char err[512] = "";
  int rc = parse_text(text, &u, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(g_warnings, 1);
  assert_non_null(strstr(g_last_warning, "t.urdf:4: joint 'f1': <axis> of a fixed joint is "
                                         "ignored (and 2 more like it)"));
  dtw__urdf_fini(&u);
}

/* Visuals that cannot be drawn by MuJoCo are left out of the MJCF (urdfdom
 * accepts them), with one warning; colours come from materials. */
static void test_visuals_and_materials(void **state) {
  (void)state;
  const char *text =
      "<robot name='r'>\n"
      "<material name='red'><color rgba='1 0 0 1'/></material>\n"
      "<link name='a'>\n"
      "<visual><geometry><box size='1 0 1'/></geometry></visual>\n"
      "<visual><geometry><sphere radius='0.1'/></geometry><material name='red'>"
      "<color rgba='0 1 0 1'/></material></visual>\n"
      "<visual><geometry><sphere radius='0.2'/></geometry><material name='blue'>"
      "<color rgba='0 0 1 0.5'/></material></visual>\n"
      "<visual><geometry><sphere radius='0.3'/></geometry><material name='nowhere'/>"
      "</visual>\n"
      "</link></robot>";
  dtw__urdf_t u = {0};
  char err[512] = "";
  int rc = parse_text(text, &u, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(g_warnings, 2); /* the box, the undefined material */
  const dtw__urdf_link_t *a = &u.links[0];
  assert_true(a->visual[0].dropped);
  /* the robot-level material wins over the inline colour, as urdfdom assigns it */
  assert_true(a->visual[1].has_rgba && a->visual[1].rgba[0] == 1 && a->visual[1].rgba[1] == 0);
  assert_true(a->visual[2].has_rgba && a->visual[2].rgba[2] == 1 && a->visual[2].rgba[3] == 0.5);
  assert_false(a->visual[3].has_rgba);
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  char *m = NULL;
  size_t len = 0;
  assert_int_equal(dtw__mjcf_generate(&u, &o, NULL, NULL, &m, &len, err, sizeof err), 0);
  assert_null(strstr(m, "a_visual_0"));
  assert_has(m, "<geom name=\"a_visual_1\" type=\"sphere\" size=\"0.1\" contype=\"0\" "
                "conaffinity=\"0\" group=\"1\" rgba=\"1 0 0 1\"");
  assert_has(m, "rgba=\"0 0 1 0.5\"");
  /* every visual stays in the description for a viewer, dropped or not */
  dtw_visual_desc_t *v = NULL;
  size_t n = 0;
  assert_int_equal(dtw__urdf_visuals(&u, &v, &n), 0);
  assert_int_equal(n, 4);
  assert_null(v[0].geom);
  assert_int_equal(v[0].shape, DTW_SHAPE_BOX);
  assert_string_equal(v[1].geom, "a_visual_1");
  assert_string_equal(v[1].link, "a");
  assert_true(v[1].has_rgba && v[1].quat[0] == 1);
  dtw_robot_desc_t tmp = {.visuals = v, .n_visuals = n};
  dtw_robot_desc_fini(&tmp);
  free(m);
  dtw__urdf_fini(&u);
}

/* A visual mesh that is missing is left out with one warning, and its
 * reference kept; a missing collision mesh is an error naming the package
 * and where it was looked for. */
static void test_missing_meshes(void **state) {
  (void)state;
  char path[1024], pkgs[1024];
  snprintf(path, sizeof path, "%s", data_path("dae_mesh.urdf"));
  snprintf(pkgs, sizeof pkgs, "%s", data_path("pkgs"));
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.package_path = pkgs;
  dtw_robot_desc_t d = {0};
  char err[1024] = "";
  g_warnings = 0;
  dtw_log_set_hook(capture_log, NULL);
  int rc = dtw_model_load(path, &o, &d, err, sizeof err);
  dtw_log_set_hook(NULL, NULL);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(g_warnings, 1);
  assert_non_null(strstr(g_last_warning, "dae_mesh.urdf:4: link 'a': <visual>: mesh file "
                                         "'package://testpkg/meshes/part.dae' not found: "
                                         "package 'testpkg' is "));
  assert_non_null(strstr(g_last_warning, "but has no 'meshes/part.dae': left out of the model"));
  assert_int_equal(d.n_visuals, 1);
  assert_string_equal(d.visuals[0].mesh_uri, "package://testpkg/meshes/part.dae");
  assert_null(d.visuals[0].mesh_path);
  assert_null(d.visuals[0].geom);
  assert_int_equal(d.n_assets, 0);
  assert_null(strstr(d.mjcf, "<geom"));
  dtw_robot_desc_fini(&d);

  /* the same mesh as a collision: an error, with the package directory */
  static const char text[] = "<robot name='r'>\n<link name='a'><collision><geometry>"
                             "<mesh filename='package://testpkg/meshes/part.dae'/></geometry>"
                             "</collision></link></robot>";
  dtw__urdf_t u = {0};
  dtw__urdf_ctx_t ctx = {.file = "t.urdf", .dir = ".", .package_path = pkgs};
  rc = dtw__urdf_parse_buffer(text, strlen(text), &ctx, &u, err, sizeof err);
  assert_int_equal(rc, DTW_ENOENT);
  if (strstr(err, "t.urdf:2: link 'a': <collision>: mesh file 'package://testpkg/meshes/part.dae'"
                  " not found: package 'testpkg' is ") == NULL ||
      strstr(err, "pkgs/testpkg but has no 'meshes/part.dae'") == NULL)
    fail_msg("%s", err);
  /* no such package: the search path is named */
  static const char text2[] = "<robot name='r'><link name='a'><collision><geometry>"
                              "<mesh filename='package://other/m.stl'/></geometry>"
                              "</collision></link></robot>";
  rc = dtw__urdf_parse_buffer(text2, strlen(text2), &ctx, &u, err, sizeof err);
  assert_int_equal(rc, DTW_ENOENT);
  char expect[1200];
  snprintf(expect, sizeof expect, "package 'other' is not in the package path '%s' nor a parent "
           "directory of t.urdf", pkgs);
  if (strstr(err, expect) == NULL) fail_msg("%s", err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rpy_to_quat_known_values),
      cmocka_unit_test(test_rpy_to_mat_is_fixed_axis_xyz),
      cmocka_unit_test(test_parse_simple),
      cmocka_unit_test(test_package_resolves_to_enclosing_package),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_refusal_through_model_load),
      cmocka_unit_test(test_refusals_from_buffers),
      cmocka_unit_test(test_xml_errors_not_printed),
      cmocka_unit_test(test_mjcf_generation),
      cmocka_unit_test(test_mjcf_escapes_names),
      cmocka_unit_test(test_floating_and_planar_joints),
      cmocka_unit_test(test_fixed_joint_axis_ignored),
      cmocka_unit_test(test_visuals_and_materials),
      cmocka_unit_test(test_missing_meshes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
