/* MuJoCo 3 MJCF translated for MuJoCo 2.2.2 (src/model/mjcf_compat*.c): each
 * translation checked on the text and on the model MuJoCo 2.2.2 compiles from
 * it; untranslatable constructs refused with file:line; documents that need
 * nothing left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mujoco/mujoco.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "model/model__mjcf_base.h"
#include "model/model__mjcf_compat.h"
#include "model/model__urdf.h"

static int g_warnings;
static char g_warning[1024];

static void capture(dtw_log_level_t level, const char *component, const char *line, void *u) {
  (void)component;
  (void)u;
  if (level < DTW_LOG_WARN) return;
  g_warnings++;
  snprintf(g_warning, sizeof g_warning, "%s", line);
}

/* Translate text (as "m.xml"); returns rc, *out the serialised result (or NULL). */
static int translate(const char *text, char **out, bool *changed, char *err, size_t errlen) {
  xmlDocPtr doc = NULL;
  int rc = dtw__xml_read(text, strlen(text), "m.xml", &doc, err, errlen);
  assert_int_equal(rc, 0);
  g_warnings = 0;
  g_warning[0] = '\0';
  dtw_log_set_hook(capture, NULL);
  rc = dtw__mjcf_compat(doc, "m.xml", changed, err, errlen);
  dtw_log_set_hook(NULL, NULL);
  *out = NULL;
  size_t len = 0;
  if (rc == 0) assert_int_equal(dtw__mjcf_serialize(doc, false, out, &len), 0);
  xmlFreeDoc(doc);
  return rc;
}

static char *translate_ok(const char *text) {
  /* static: as a local whose address went to translate, GCC -O3 takes it for
   * one the returned pointer may point into (-Wdangling-pointer) */
  static char *out;
  char err[512] = "";
  out = NULL;
  bool changed = false;
  int rc = translate(text, &out, &changed, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_true(changed);
  return out;
}

static mjModel *compile(const char *xml) {
  static mjVFS vfs;
  mj_defaultVFS(&vfs);
  assert_int_equal(mj_makeEmptyFileVFS(&vfs, "m.xml", (int)strlen(xml)), 0);
  memcpy(vfs.filedata[vfs.nfile - 1], xml, strlen(xml));
  char err[1000] = "";
  mjModel *m = mj_loadXML("/nonexistent/m.xml", &vfs, err, sizeof err);
  mj_deleteVFS(&vfs);
  if (m == NULL) fail_msg("MuJoCo 2.2.2: %s\n%s", err, xml);
  return m;
}

static void assert_has(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("'%s' not in:\n%s", needle, text);
}

static void expect_refusal(const char *text, const char *message) {
  char *out = NULL, err[512] = "";
  bool changed = false;
  int rc = translate(text, &out, &changed, err, sizeof err);
  if (rc != DTW_EUNSUP || strstr(err, message) == NULL)
    fail_msg("%s '%s', expected DTW_EUNSUP '%s'", dtw_err_name(rc), err, message);
  assert_null(out);
}

/* The Unitree G1 case: joint actuatorfrcrange, ranges without limited. */
static void test_actuatorfrcrange_on_motors(void **state) {
  (void)state;
  char *out = translate_ok(
      "<mujoco>\n"
      "<compiler angle='radian'/>\n"
      "<worldbody><body pos='0 0 1'><joint type='free' limited='false' "
      "actuatorfrclimited='false'/><geom size='0.1'/>\n"
      "<body><joint name='knee' axis='0 1 0' range='-0.1 2.8' actuatorfrcrange='-139 139'/>"
      "<geom size='0.05'/></body></body></worldbody>\n"
      "<actuator><motor name='knee' joint='knee'/></actuator></mujoco>");
  assert_has(out, "<compiler angle=\"radian\" autolimits=\"true\"/>");
  assert_has(out, "<motor name=\"knee\" joint=\"knee\" forcelimited=\"true\" "
                  "forcerange=\"-139 139\"/>");
  assert_null(strstr(out, "actuatorfrc"));
  mjModel *m = compile(out);
  assert_int_equal(m->actuator_forcelimited[0], 1);
  assert_true(m->actuator_forcerange[0] == -139 && m->actuator_forcerange[1] == 139);
  assert_int_equal(m->jnt_limited[1], 1);
  mj_deleteModel(m);
  free(out);
}

/* From a default class through childclass, divided by the gear, intersected
 * with the actuator's own range; limited="false" turns it off. */
static void test_actuatorfrcrange_defaults_and_gear(void **state) {
  (void)state;
  char *out = translate_ok(
      "<mujoco>\n"
      "<default><default class='leg'><joint actuatorfrcrange='-50 50'/>"
      "<motor gear='2'/></default></default>\n"
      "<worldbody><body childclass='leg'><joint name='a' axis='0 1 0' limited='false'/>"
      "<geom size='0.1'/>\n"
      "<body><joint name='b' axis='0 1 0' limited='false' actuatorfrclimited='false'/>"
      "<geom size='0.1'/></body></body></worldbody>\n"
      "<actuator><motor name='a' joint='a' class='leg' forcelimited='true' forcerange='-20 30'/>"
      "<motor name='b' joint='b' class='leg'/></actuator></mujoco>");
  assert_has(out, "forcerange=\"-20 25\"");
  assert_null(strstr(out, "actuatorfrc"));
  mjModel *m = compile(out);
  assert_true(m->actuator_forcerange[0] == -20 && m->actuator_forcerange[1] == 25);
  assert_int_equal(m->actuator_forcelimited[1], 0);
  mj_deleteModel(m);
  free(out);

  /* two actuators on one joint: each limited, with a warning */
  out = translate_ok(
      "<mujoco><worldbody><body><joint name='j' axis='0 1 0' limited='false' "
      "actuatorfrcrange='-10 10'/><geom size='0.1'/></body></worldbody>\n"
      "<actuator><motor joint='j'/><motor joint='j' gear='-5'/></actuator></mujoco>");
  assert_int_equal(g_warnings, 1);
  assert_has(g_warning, "m.xml:1: <joint name=\"j\" actuatorfrcrange>: 2 actuators drive it");
  assert_has(out, "forcerange=\"-10 10\"");
  assert_has(out, "forcerange=\"-2 2\"");
  free(out);

  /* through a tendon there is no per-actuator equivalent */
  expect_refusal("<mujoco><worldbody><body><joint name='j' limited='false' "
                 "actuatorfrcrange='-1 1'/><geom size='0.1'/></body></worldbody>\n"
                 "<tendon><fixed name='t'><joint joint='j' coef='1'/></fixed></tendon>\n"
                 "<actuator><motor tendon='t'/></actuator></mujoco>",
                 "m.xml:1: <joint>: actuatorfrcrange: an actuator drives 'j' through tendon 't'");
}

/* position kv / inheritrange / timeconst become a <general> actuator. */
static void test_position_actuators(void **state) {
  (void)state;
  char *out = translate_ok(
      "<mujoco><compiler angle='radian' autolimits='true'/>\n"
      "<default><position kp='100'/></default>\n"
      "<worldbody><body><joint name='j' axis='0 1 0' range='-1 2'/><geom size='0.1'/>"
      "</body></worldbody>\n"
      "<actuator><position name='p' joint='j' kv='5' inheritrange='1'/>"
      "<position name='r' joint='j' kp='3'/>"
      "<position name='q' joint='j' kp='10' timeconst='0.1'/></actuator></mujoco>");
  assert_has(out, "<general name=\"p\" joint=\"j\" ctrlrange=\"-1 2\" ctrllimited=\"true\" "
                  "gaintype=\"fixed\" biastype=\"affine\" gainprm=\"100\" biasprm=\"0 -100 -5\"/>");
  assert_has(out, "dyntype=\"filter\" dynprm=\"0.1\"");
  assert_has(out, "<position name=\"r\" joint=\"j\" kp=\"3\"/>"); /* untouched */
  assert_int_equal(g_warnings, 1);                                 /* the filter */
  mjModel *m = compile(out);
  assert_true(m->actuator_gainprm[0] == 100 && m->actuator_biasprm[2] == -5);
  assert_true(m->actuator_ctrlrange[0] == -1 && m->actuator_ctrlrange[1] == 2);
  assert_int_equal(m->actuator_dyntype[2], mjDYN_FILTER);
  assert_true(m->actuator_biasprm[mjNBIAS * 1 + 1] == -3);
  mj_deleteModel(m);
  free(out);

  /* degrees: inherited from the joint in radians */
  out = translate_ok(
      "<mujoco><compiler autolimits='true'/><worldbody><body><joint name='j' axis='0 1 0' "
      "range='-90 90'/><geom size='0.1'/></body></worldbody>\n"
      "<actuator><position joint='j' kp='1' inheritrange='0.5'/></actuator></mujoco>");
  assert_has(out, "ctrlrange=\"-0.7853981634 0.7853981634\"");
  free(out);
}

/* Options, compiler and rendering attributes. */
static void test_options_and_rendering(void **state) {
  (void)state;
  char *out = translate_ok(
      "<mujoco><compiler assetdir='assets' alignfree='true'/>\n"
      "<option integrator='implicitfast' ccd_iterations='30' ls_iterations='10'>"
      "<flag eulerdamp='enable' damper='disable' spring='disable' nativeccd='enable'/></option>\n"
      "<asset><material name='m' metallic='0.5' roughness='0.2'><layer texture='x' "
      "role='rgb'/></material><texture name='t' builtin='checker' width='8' height='8' "
      "nchannel='3'/></asset>\n"
      "<worldbody><light type='directional' bulbradius='0.1'/><body><freejoint align='true'/>"
      "<geom size='0.1' material='m'/></body></worldbody></mujoco>");
  assert_has(out, "<compiler meshdir=\"assets\" texturedir=\"assets\"/>");
  assert_has(out, "integrator=\"implicit\"");
  assert_has(out, "mpr_iterations=\"30\"");
  assert_null(strstr(out, "ls_iterations"));
  assert_has(out, "<flag passive=\"disable\"/>");
  assert_null(strstr(out, "layer"));
  assert_null(strstr(out, "metallic"));
  assert_null(strstr(out, "nchannel"));
  assert_has(out, "<light directional=\"true\"/>");
  assert_has(out, "<freejoint/>");
  mjModel *m = compile(out);
  assert_int_equal(m->opt.integrator, mjINT_IMPLICIT);
  assert_int_equal(m->opt.mpr_iterations, 30);
  assert_true(m->opt.disableflags & mjDSBL_PASSIVE);
  assert_int_equal(m->light_directional[0], 1);
  mj_deleteModel(m);
  free(out);
}

/* What has no MuJoCo 2.2.2 equivalent is refused with its line and name. */
static void test_refusals(void **state) {
  (void)state;
  expect_refusal("<mujoco>\n<worldbody>\n<frame pos='0 0 1'><geom size='1'/></frame>"
                 "</worldbody></mujoco>",
                 "m.xml:3: <frame>: element <frame> is MuJoCo 3 MJCF with no MuJoCo 2.2.2");
  expect_refusal("<mujoco><worldbody>\n<body gravcomp='1'><geom size='1'/></body></worldbody>"
                 "</mujoco>",
                 "m.xml:2: <body>: attribute 'gravcomp' (\"1\") is MuJoCo 3 MJCF");
  expect_refusal("<mujoco><worldbody><body><joint actuatorgravcomp='true'/><geom size='1'/>"
                 "</body></worldbody></mujoco>",
                 "<joint>: attribute 'actuatorgravcomp' (\"true\")");
  expect_refusal("<mujoco><worldbody><body><joint name='j'/><geom size='1'/></body></worldbody>"
                 "<actuator><position joint='j' dampratio='1'/></actuator></mujoco>",
                 "<position>: attribute 'dampratio' is MuJoCo 3 MJCF");
  expect_refusal("<mujoco><option><flag eulerdamp='disable'/></option></mujoco>",
                 "<flag>: attribute 'eulerdamp' (\"disable\")");
  expect_refusal("<mujoco><worldbody><body><joint name='j'/><geom size='1'/></body></worldbody>"
                 "<sensor><jointactuatorfrc joint='j'/></sensor></mujoco>",
                 "element <jointactuatorfrc>");
  expect_refusal("<mujoco><worldbody><body><joint name='j'/><geom size='1'/></body></worldbody>"
                 "<actuator>\n<position joint='j' timeconst='1'/><motor joint='j'/></actuator>"
                 "</mujoco>",
                 "m.xml:2: <position>: timeconst makes it stateful, and MuJoCo 2.2.2 needs "
                 "stateful actuators after the stateless ones");
  expect_refusal("<mujoco><option><flag damper='disable'/></option></mujoco>",
                 "damper=\"disable\" with spring=\"enable\"");
}

/* A document MuJoCo 2.2.2 reads as it is stays as it is. */
static void test_nothing_to_do(void **state) {
  (void)state;
  char *out = NULL, err[256] = "";
  bool changed = true;
  int rc = translate("<mujoco><compiler autolimits='false'/><worldbody><body><joint "
                     "limited='true' range='0 1'/><geom size='1'/></body></worldbody>"
                     "<actuator><motor joint='j' ctrlrange='-1 1'/></actuator></mujoco>",
                     &out, &changed, err, sizeof err);
  assert_int_equal(rc, 0);
  assert_false(changed);
  assert_int_equal(g_warnings, 0);
  free(out);
}

/* Translation keeps every element on its line, so MuJoCo's messages still
 * point into the file. */
static void test_lines_kept(void **state) {
  (void)state;
  const char *text = "<mujoco>\n"
                     "  <worldbody>\n"
                     "    <body>\n"
                     "      <joint name='j' range='0 1' actuatorfrcrange='-1 1'/>\n"
                     "      <geom size='1'/>\n"
                     "    </body>\n"
                     "  </worldbody>\n"
                     "  <actuator>\n"
                     "    <motor joint='j' bogus='1'/>\n"
                     "  </actuator>\n"
                     "</mujoco>\n";
  char *out = translate_ok(text);
  int line = 1;
  for (const char *p = out; p < strstr(out, "bogus"); p++) line += *p == '\n';
  assert_int_equal(line, 9);
  /* and MuJoCo says so for what nobody translates */
  static mjVFS vfs;
  mj_defaultVFS(&vfs);
  mj_makeEmptyFileVFS(&vfs, "m.xml", (int)strlen(out));
  memcpy(vfs.filedata[vfs.nfile - 1], out, strlen(out));
  char err[1000] = "";
  mjModel *m = mj_loadXML("/x/m.xml", &vfs, err, sizeof err);
  mj_deleteVFS(&vfs);
  assert_null(m);
  assert_has(err, "unrecognized attribute: 'bogus'");
  assert_has(err, "line 9");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_actuatorfrcrange_on_motors),
      cmocka_unit_test(test_actuatorfrcrange_defaults_and_gear),
      cmocka_unit_test(test_position_actuators),
      cmocka_unit_test(test_options_and_rendering),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_nothing_to_do),
      cmocka_unit_test(test_lines_kept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
