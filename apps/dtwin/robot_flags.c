/* Command-line shorthands for the robot emulator's faults, shared by
 * `dtwin robot` and `dtwin up`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int robot_param(dtwin_cli_t *cli, const char *param, const char *value) {
  return dtwin_set_param(cli, "robot", param, value);
}

/* "NAME@T" (T defaults to 0) onto fault.<kind>_joint and fault.<kind>_at_s. */
int dtwin_robot_fault_flag(dtwin_cli_t *cli, const char *opt, const char *kind, const char *arg) {
  char name[256], param[64];
  const char *at = strrchr(arg, '@');
  size_t len = at ? (size_t)(at - arg) : strlen(arg);
  if (len == 0 || len >= sizeof name)
    return dtwin_usage_error(cli, "%s needs JOINT@SECONDS, not '%s'", opt, arg);
  memcpy(name, arg, len);
  name[len] = '\0';
  snprintf(param, sizeof param, "fault.%s_joint", kind);
  int rc = robot_param(cli, param, name);
  if (rc == 0 && at != NULL) {
    snprintf(param, sizeof param, "fault.%s_at_s", kind);
    rc = robot_param(cli, param, at + 1);
  }
  return rc;
}

int dtwin_robot_silent_flag(dtwin_cli_t *cli, const char *arg) {
  char at[128];
  const char *colon = strchr(arg, ':');
  size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
  if (len == 0 || len >= sizeof at)
    return dtwin_usage_error(cli, "--silent-at needs SECONDS[:DURATION], not '%s'", arg);
  memcpy(at, arg, len);
  at[len] = '\0';
  int rc = robot_param(cli, "fault.silent_at_s", at);
  if (rc == 0 && colon != NULL) rc = robot_param(cli, "fault.silent_for_s", colon + 1);
  return rc;
}

/* "BODY[:KG]@T" onto fault.payload_body, fault.payload_kg and fault.payload_at_s. */
int dtwin_robot_payload_flag(dtwin_cli_t *cli, const char *arg) {
  char body[256], kg[64];
  const char *at = strrchr(arg, '@');
  size_t len = at ? (size_t)(at - arg) : strlen(arg);
  const char *colon = memchr(arg, ':', len);
  size_t blen = colon ? (size_t)(colon - arg) : len;
  if (blen == 0 || blen >= sizeof body || (colon != NULL && len - blen > sizeof kg))
    return dtwin_usage_error(cli, "--payload needs BODY[:KG]@SECONDS, not '%s'", arg);
  memcpy(body, arg, blen);
  body[blen] = '\0';
  int rc = robot_param(cli, "fault.payload_body", body);
  if (rc == 0 && colon != NULL) {
    size_t klen = len - blen - 1;
    memcpy(kg, colon + 1, klen);
    kg[klen] = '\0';
    rc = robot_param(cli, "fault.payload_kg", kg);
  }
  if (rc == 0 && at != NULL) rc = robot_param(cli, "fault.payload_at_s", at + 1);
  return rc;
}
