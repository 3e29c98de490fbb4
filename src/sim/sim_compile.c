/* Compiling a robot description into a MuJoCo model (sim__compile.h): the MJCF
 * text and the description's meshes handed to MuJoCo from memory, then the body
 * pairs that touch in the initial pose excluded from contact. */
#include <mujoco/mujoco.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "sim__compile.h"
#include "sim__guard.h"

/* Name of the in-memory MJCF; unusual so no asset include collides with it. */
#define SIM_VFS_NAME "__dtw_sim_model__.xml"

/* Compile the MJCF text from memory, named as if it lived in base_dir so relative asset
 * paths resolve there (VFS lookups strip the directory; misses fall back to disk), with
 * the description's in-memory assets (converted meshes). */
static int compile_text(const dtw_robot_desc_t *desc, const char *text, size_t len,
                        mjModel **out, char *err, size_t errlen) {
  int rc = 0;
  char path[4096];
  char mjerr[1000] = "";
  const char *dir = desc->base_dir != NULL && desc->base_dir[0] ? desc->base_dir : ".";
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, SIM_VFS_NAME) >= sizeof path)
    return dtw_errf(err, errlen, DTW_EINVAL, "base_dir too long: %s", dir);
  if (len > INT32_MAX) return dtw_errf(err, errlen, DTW_EINVAL, "MJCF too large");

  mjVFS *vfs = malloc(sizeof *vfs); /* ~2 MB: not for the stack */
  if (vfs == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the MuJoCo VFS");
  mj_defaultVFS(vfs);
  if (mj_makeEmptyFileVFS(vfs, SIM_VFS_NAME, (int)len) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "cannot add the MJCF to the MuJoCo VFS");
    goto out_vfs;
  }
  memcpy(vfs->filedata[vfs->nfile - 1], text, len);
  /* the description's in-memory files (converted meshes), by name */
  for (size_t i = 0; i < desc->n_assets; i++) {
    const dtw_asset_t *a = &desc->assets[i];
    /* MuJoCo would mju_error (outside any guard) on these */
    size_t nlen = a->name != NULL ? strlen(a->name) : 0;
    if (nlen == 0 || nlen >= mjMAXVFSNAME || strchr(a->name, '/') != NULL || a->size == 0 ||
        a->size > INT32_MAX || a->data == NULL) {
      rc = dtw_errf(err, errlen, DTW_EINVAL, "model '%s': asset %zu ('%s'): bad name or size",
                    desc->name, i, a->name != NULL ? a->name : "");
      goto out_vfs;
    }
    int vrc = mj_makeEmptyFileVFS(vfs, a->name, (int)a->size);
    if (vrc != 0) {
      rc = dtw_errf(err, errlen, vrc == 2 ? DTW_EINVAL : DTW_EFULL,
                    "model '%s': asset '%s': %s", desc->name, a->name,
                    vrc == 2 ? "name used twice" : "more files than MuJoCo's VFS holds");
      goto out_vfs;
    }
    memcpy(vfs->filedata[vfs->nfile - 1], a->data, a->size);
  }

  dtw__sim_compile_lock();
  *out = mj_loadXML(path, vfs, mjerr, (int)sizeof mjerr);
  dtw__sim_compile_unlock();
  /* MuJoCo's messages end in newlines; keep one line per message for our logs */
  for (char *p = mjerr; *p; p++)
    if (*p == '\n') *p = p[1] ? ' ' : '\0';
  if (*out == NULL) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "MuJoCo rejected model '%s': %s", desc->name,
                  mjerr[0] ? mjerr : "unknown error");
    goto out_vfs;
  }
  if (mjerr[0]) DTW_WARN("sim", "model '%s': MuJoCo: %s", desc->name, mjerr);

out_vfs:
  mj_deleteVFS(vfs);
  free(vfs);
  return rc;
}

static void call_start_collisions(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_resetData(c->m, c->d);
  if (c->m->nkey > 0) mj_resetDataKeyframe(c->m, c->d, 0);
  mj_fwdPosition(c->m, c->d);
}

/* Append s to buf (grown as needed), XML-escaped when esc. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, bool esc) {
  for (; *s; s++) {
    const char *piece = NULL;
    if (esc && *s == '&') piece = "&amp;";
    else if (esc && *s == '<') piece = "&lt;";
    else if (esc && *s == '"') piece = "&quot;";
    size_t k = piece != NULL ? strlen(piece) : 1;
    if (*len + k + 1 > *cap) {
      size_t nc = *cap ? *cap * 2 : 256;
      while (nc < *len + k + 1) nc *= 2;
      char *p = realloc(*buf, nc);
      if (p == NULL) return DTW_ENOMEM;
      *buf = p;
      *cap = nc;
    }
    memcpy(*buf + *len, piece != NULL ? piece : s, k);
    *len += k;
    (*buf)[*len] = '\0';
  }
  return 0;
}

/* The <exclude/> elements for the body pairs of one robot (same root body, not the
 * world) in contact in m's initial state, in *xml (malloc'd, NULL if none), the
 * pairs as "a/b, c/d" in names; *n_pairs of them. A body without a name cannot
 * be named in an <exclude>: its pairs are counted in *unnamed and kept. */
static int start_contacts(const dtw_robot_desc_t *desc, const mjModel *m, char **xml,
                          size_t *n_pairs, size_t *unnamed, char *names, size_t names_len,
                          char *err, size_t errlen) {
  *xml = NULL;
  *n_pairs = *unnamed = 0;
  if (names_len > 0) names[0] = '\0';
  dtw__sim_diag_t diag;
  dtw__sim_call_t mk = {.m = m, .d = NULL};
  if (dtw__sim_make_data(m, &mk.d, &diag) != 0)
    return dtw_errf(err, errlen, DTW_ESIM, "model '%s': cannot allocate MuJoCo data: %s",
                    desc->name, diag.error);
  int rc = 0;
  if (dtw__sim_guard(call_start_collisions, &mk, &diag) != 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': MuJoCo error in the initial state: %s",
                  desc->name, diag.error);
    goto out;
  }
  size_t len = 0, cap = 0, nlen = 0;
  for (int i = 0; i < mk.d->ncon; i++) {
    int b1 = m->geom_bodyid[mk.d->contact[i].geom1], b2 = m->geom_bodyid[mk.d->contact[i].geom2];
    if (b1 > b2) {
      int t = b1;
      b1 = b2;
      b2 = t;
    }
    if (b1 == 0 || b1 == b2 || m->body_rootid[b1] != m->body_rootid[b2]) continue;
    bool seen = false; /* a pair touches in several places: one exclude */
    for (int k = 0; k < i && !seen; k++) {
      int a1 = m->geom_bodyid[mk.d->contact[k].geom1];
      int a2 = m->geom_bodyid[mk.d->contact[k].geom2];
      seen = (a1 == b1 && a2 == b2) || (a1 == b2 && a2 == b1);
    }
    if (seen) continue;
    const char *n1 = mj_id2name(m, mjOBJ_BODY, b1), *n2 = mj_id2name(m, mjOBJ_BODY, b2);
    if (n1 == NULL || n2 == NULL || !n1[0] || !n2[0]) {
      (*unnamed)++;
      continue;
    }
    if (append(xml, &len, &cap, "<exclude body1=\"", false) || append(xml, &len, &cap, n1, true) ||
        append(xml, &len, &cap, "\" body2=\"", false) || append(xml, &len, &cap, n2, true) ||
        append(xml, &len, &cap, "\"/>", false)) {
      rc = dtw_errf(err, errlen, DTW_ENOMEM, "model '%s': out of memory", desc->name);
      goto out;
    }
    if (names_len > nlen + 1) {
      int w = snprintf(names + nlen, names_len - nlen, "%s%s/%s", *n_pairs ? ", " : "", n1, n2);
      nlen = w < 0 ? nlen : (nlen + (size_t)w < names_len ? nlen + (size_t)w : names_len - 1);
    }
    (*n_pairs)++;
  }
out:
  mj_deleteData(mk.d);
  if (rc != 0) {
    free(*xml);
    *xml = NULL;
  }
  return rc;
}

int dtw__sim_compile(const dtw_robot_desc_t *desc, mjModel **out, dtw__sim_excluded_t *excl,
                     char *err, size_t errlen) {
  size_t len = desc->mjcf_len > 0 ? desc->mjcf_len : strlen(desc->mjcf);
  if (excl != NULL) memset(excl, 0, sizeof *excl);
  int rc = compile_text(desc, desc->mjcf, len, out, err, errlen);
  if (rc != 0) return rc;
  /* Bodies of the robot touching each other in its initial state: overlapping meshes
   * of neighbouring links, an authoring artefact. Left in, they press from the first
   * step, and robot and twin part wherever their friction differs; MoveIt's setup
   * assistant disables the same pairs ("in collision by default"). Compile again
   * with those pairs excluded. */
  char *xml = NULL;
  dtw__sim_excluded_t local;
  dtw__sim_excluded_t *e = excl != NULL ? excl : &local;
  rc = start_contacts(desc, *out, &xml, &e->n_pairs, &e->n_unnamed, e->names, sizeof e->names,
                      err, errlen);
  if (rc != 0 || xml == NULL) {
    if (rc != 0) {
      mj_deleteModel(*out);
      *out = NULL;
    }
    return rc;
  }
  /* the elements go into a <contact> section of their own before the last </mujoco> */
  const char *end = NULL;
  for (const char *p = desc->mjcf; (p = strstr(p, "</mujoco>")) != NULL && p < desc->mjcf + len;
       p++)
    end = p;
  char *text = NULL;
  size_t tlen = 0;
  if (end == NULL) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "model '%s': no </mujoco> to add contact exclusions to",
                  desc->name);
  } else {
    static const char open_tag[] = "<contact>", close_tag[] = "</contact>\n";
    size_t head = (size_t)(end - desc->mjcf), xlen = strlen(xml);
    tlen = len + xlen + sizeof open_tag + sizeof close_tag;
    text = malloc(tlen);
    if (text == NULL) {
      rc = dtw_errf(err, errlen, DTW_ENOMEM, "model '%s': out of memory", desc->name);
    } else {
      char *w = text;
      memcpy(w, desc->mjcf, head), w += head;
      memcpy(w, open_tag, sizeof open_tag - 1), w += sizeof open_tag - 1;
      memcpy(w, xml, xlen), w += xlen;
      memcpy(w, close_tag, sizeof close_tag - 1), w += sizeof close_tag - 1;
      memcpy(w, end, len - head), w += len - head;
      tlen = (size_t)(w - text);
    }
  }
  free(xml);
  mjModel *again = NULL;
  if (rc == 0) rc = compile_text(desc, text, tlen, &again, err, errlen);
  free(text);
  mj_deleteModel(*out);
  *out = again;
  if (rc == 0)
    DTW_DEBUG("sim", "model '%s': %zu body pairs touching in the initial state excluded from "
              "contact: %s", desc->name, e->n_pairs, e->names);
  return rc;
}
