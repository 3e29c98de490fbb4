/* MJCF robots: includes, base mode, serialisation (see model__mjcf_base.h). */
#include "model__mjcf_base.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlsave.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "model__urdf.h"

#define MAX_INCLUDE_DEPTH 16

static bool is(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool attr_is(xmlNodePtr n, const char *attr, const char *value) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
  bool eq = v != NULL && strcmp((const char *)v, value) == 0;
  xmlFree(v);
  return eq;
}

/* ---- includes ---------------------------------------------------------------------------- */

typedef struct incl {
  const char *dir;
  char *seen[64]; /* realpaths already included */
  size_t n_seen;
  char *err;
  size_t errlen;
} incl_t;

static int expand(incl_t *in, xmlDocPtr doc, xmlNodePtr under, const char *file, int depth) {
  xmlNodePtr n = under->children;
  while (n != NULL) {
    xmlNodePtr next = n->next;
    if (!is(n, "include")) {
      if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
        int rc = expand(in, doc, n, file, depth);
        if (rc != 0) return rc;
      }
      n = next;
      continue;
    }
    long line = xmlGetLineNo(n);
    xmlChar *name = xmlGetNoNsProp(n, (const xmlChar *)"file");
    if (name == NULL)
      return dtw_errf(in->err, in->errlen, DTW_EMODEL, "%s:%ld: <include> has no file attribute",
                      file, line);
    if (depth >= MAX_INCLUDE_DEPTH) {
      xmlFree(name);
      return dtw_errf(in->err, in->errlen, DTW_EMODEL, "%s:%ld: <include>: nested deeper than "
                      "%d files", file, line, MAX_INCLUDE_DEPTH);
    }
    char *path = NULL;
    int rc = asprintf(&path, "%s%s%s", name[0] == '/' ? "" : in->dir, name[0] == '/' ? "" : "/",
                      (const char *)name) < 0 ? DTW_ENOMEM : 0;
    xmlFree(name);
    char *real = rc == 0 ? realpath(path, NULL) : NULL;
    for (size_t i = 0; rc == 0 && real != NULL && i < in->n_seen; i++)
      if (strcmp(in->seen[i], real) == 0)
        rc = dtw_errf(in->err, in->errlen, DTW_EMODEL, "%s:%ld: <include file=\"%s\">: "
                      "included twice", file, line, path);
    char *text = NULL;
    size_t len = 0;
    xmlDocPtr sub = NULL;
    if (rc == 0) rc = dtw__file_read(path, &text, &len, in->err, in->errlen);
    if (rc == 0) rc = dtw__xml_read(text, len, path, &sub, in->err, in->errlen);
    free(text);
    xmlNodePtr sroot = sub != NULL ? xmlDocGetRootElement(sub) : NULL;
    if (rc == 0 && !is(sroot, "mujoco"))
      rc = dtw_errf(in->err, in->errlen, DTW_EMODEL, "%s:%ld: included file %s: root is not "
                    "<mujoco>", file, line, path);
    if (rc == 0 && real != NULL && in->n_seen < sizeof in->seen / sizeof in->seen[0]) {
      in->seen[in->n_seen++] = real;
      real = NULL;
    }
    if (rc == 0) rc = expand(in, sub, sroot, path, depth + 1);
    for (xmlNodePtr c = sroot != NULL && rc == 0 ? sroot->children : NULL; c != NULL; c = c->next) {
      xmlNodePtr copy = xmlDocCopyNode(c, doc, 1);
      if (copy == NULL || xmlAddPrevSibling(n, copy) == NULL) {
        xmlFreeNode(copy);
        rc = dtw_errf(in->err, in->errlen, DTW_ENOMEM, "%s: out of memory", file);
      }
    }
    free(real);
    free(path);
    xmlFreeDoc(sub);
    if (rc != 0) return rc;
    xmlUnlinkNode(n);
    xmlFreeNode(n);
    n = next;
  }
  return 0;
}

int dtw__mjcf_expand_includes(xmlDocPtr doc, const char *file, const char *dir, bool *changed,
                              char *err, size_t errlen) {
  incl_t in = {.dir = dir, .err = err, .errlen = errlen};
  xmlNodePtr root = xmlDocGetRootElement(doc);
  bool any = false;
  /* most models have none: look before walking */
  for (xmlNodePtr n = root; n != NULL && !any;) {
    if (is(n, "include")) any = true;
    if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
      n = n->children;
      continue;
    }
    while (n != NULL && n != root && n->next == NULL) n = n->parent;
    n = n == NULL || n == root ? NULL : n->next;
  }
  *changed = any;
  if (!any) return 0;
  int rc = expand(&in, doc, root, file, 0);
  for (size_t i = 0; i < in.n_seen; i++) free(in.seen[i]);
  return rc;
}

/* ---- base mode --------------------------------------------------------------------------- */

static xmlNodePtr root_body(xmlNodePtr root) {
  for (xmlNodePtr wb = root->children; wb != NULL; wb = wb->next) {
    if (!is(wb, "worldbody")) continue;
    for (xmlNodePtr b = wb->children; b != NULL; b = b->next)
      if (is(b, "body")) return b;
  }
  return NULL;
}

static xmlNodePtr free_joint(xmlNodePtr body) {
  for (xmlNodePtr j = body->children; j != NULL; j = j->next)
    if (is(j, "freejoint") || (is(j, "joint") && attr_is(j, "type", "free"))) return j;
  return NULL;
}

bool dtw__mjcf_has_free_root(xmlDocPtr doc) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  for (xmlNodePtr wb = root->children; wb != NULL; wb = wb->next) {
    if (!is(wb, "worldbody")) continue;
    for (xmlNodePtr b = wb->children; b != NULL; b = b->next)
      if (is(b, "body") && free_joint(b) != NULL) return true;
  }
  return false;
}

static bool has_floor(xmlNodePtr root) {
  for (xmlNodePtr wb = root->children; wb != NULL; wb = wb->next) {
    if (!is(wb, "worldbody")) continue;
    for (xmlNodePtr g = wb->children; g != NULL; g = g->next)
      if (is(g, "geom") && (attr_is(g, "type", "plane") || attr_is(g, "type", "hfield")))
        return true;
  }
  return false;
}

/* Numbers of a keyframe attribute with the first `drop` removed, or `prefix` added. */
static bool edit_numbers(xmlNodePtr key, const char *attr, size_t drop, const char *prefix) {
  xmlChar *v = xmlGetNoNsProp(key, (const xmlChar *)attr);
  if (v == NULL) return true;
  const char *s = (const char *)v;
  for (size_t i = 0; i < drop; i++) {
    while (isspace((unsigned char)*s)) s++;
    while (*s != '\0' && !isspace((unsigned char)*s)) s++;
  }
  while (isspace((unsigned char)*s)) s++;
  char *text = NULL;
  bool ok = asprintf(&text, "%s%s", prefix != NULL ? prefix : "", s) >= 0 &&
            xmlSetProp(key, (const xmlChar *)attr, (const xmlChar *)text) != NULL;
  free(text);
  xmlFree(v);
  return ok;
}

/* The free joint of the root body comes first in qpos (7) and qvel (6). */
static bool edit_keyframes(xmlNodePtr root, bool remove, const char *pos) {
  char qpos[256];
  snprintf(qpos, sizeof qpos, "%s 1 0 0 0 ", pos);
  for (xmlNodePtr kf = root->children; kf != NULL; kf = kf->next) {
    if (!is(kf, "keyframe")) continue;
    for (xmlNodePtr k = kf->children; k != NULL; k = k->next) {
      if (!is(k, "key")) continue;
      if (!edit_numbers(k, "qpos", remove ? 7 : 0, remove ? NULL : qpos) ||
          !edit_numbers(k, "qvel", remove ? 6 : 0, remove ? NULL : "0 0 0 0 0 0 "))
        return false;
    }
  }
  return true;
}

/* A root body welded to the world becomes part of the world, and MuJoCo's
 * parent filter does not apply to the world: the root's geoms would collide
 * with its children's (an H1's torso mesh overlaps its pelvis mesh). Restore
 * the filter for the root's direct children by name. */
static bool exclude_root_children(xmlNodePtr root, xmlNodePtr body) {
  xmlChar *name = xmlGetNoNsProp(body, (const xmlChar *)"name");
  if (name == NULL) return true; /* unnamed: nothing to name in an <exclude> */
  bool ok = true;
  xmlNodePtr contact = NULL;
  for (xmlNodePtr c = body->children; c != NULL && ok; c = c->next) {
    if (!is(c, "body")) continue;
    xmlChar *child_name = xmlGetNoNsProp(c, (const xmlChar *)"name");
    if (child_name != NULL) {
      if (contact == NULL) contact = dtw__mjcf_section(root, "contact", true);
      xmlNodePtr ex = contact != NULL ? xmlNewChild(contact, NULL, (const xmlChar *)"exclude", NULL)
                                      : NULL;
      ok = ex != NULL && xmlSetProp(ex, (const xmlChar *)"body1", name) != NULL &&
           xmlSetProp(ex, (const xmlChar *)"body2", child_name) != NULL;
    }
    xmlFree(child_name);
  }
  xmlFree(name);
  return ok;
}

int dtw__mjcf_apply_base(xmlDocPtr doc, const char *file, const dtw_model_opts_t *opts,
                         const dtw__mjcf_world_t *world, dtw__mjcf_base_t *out, char *err,
                         size_t errlen) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  xmlNodePtr body = root_body(root);
  memset(out, 0, sizeof *out);
  if (body == NULL) return 0;
  xmlNodePtr fj = free_joint(body);
  xmlChar *pos_attr = xmlGetNoNsProp(body, (const xmlChar *)"pos");
  double pos[3] = {0, 0, 0};
  if (pos_attr != NULL) sscanf((const char *)pos_attr, "%lf %lf %lf", &pos[0], &pos[1], &pos[2]);
  xmlFree(pos_attr);
  if (opts->base_height_m > 0) pos[2] = opts->base_height_m;
  char pos_text[160];
  bool ok = true;
  if (opts->base == DTW_BASE_FIXED && fj != NULL) {
    /* the whitespace around it stays: line numbers do not move */
    xmlUnlinkNode(fj);
    xmlFreeNode(fj);
    ok = edit_keyframes(root, true, NULL) && exclude_root_children(root, body);
    out->changed = true;
  } else if (opts->base == DTW_BASE_FLOATING && fj == NULL) {
    xmlNodePtr j = xmlNewDocNode(doc, NULL, (const xmlChar *)"freejoint", NULL);
    ok = j != NULL && xmlSetProp(j, (const xmlChar *)"name",
                                 (const xmlChar *)DTW__MJCF_FREEJOINT) != NULL;
    if (ok && body->children != NULL)
      ok = xmlAddPrevSibling(body->children, j) != NULL;
    else if (ok)
      ok = xmlAddChild(body, j) != NULL;
    snprintf(pos_text, sizeof pos_text, "%.10g %.10g %.10g", pos[0], pos[1], pos[2]);
    ok = ok && edit_keyframes(root, false, pos_text);
    out->changed = true;
  }
  if (ok && opts->base_height_m > 0) {
    snprintf(pos_text, sizeof pos_text, "%.10g %.10g %.10g", pos[0], pos[1], pos[2]);
    ok = xmlSetProp(body, (const xmlChar *)"pos", (const xmlChar *)pos_text) != NULL;
    out->changed = true;
  } else {
    out->auto_height = true;
    out->clearance_m = opts->base == DTW_BASE_FIXED ? DTW_MODEL_STAND_CLEARANCE_M : 0;
  }
  /* the twin's physics rate, as for a URDF robot */
  if (ok && opts->timestep_s > 0) {
    xmlNodePtr option = dtw__mjcf_section(root, "option", true);
    char ts[64];
    snprintf(ts, sizeof ts, "%.10g", opts->timestep_s);
    ok = option != NULL && xmlSetProp(option, (const xmlChar *)"timestep", (const xmlChar *)ts);
    out->changed = true;
  }
  if (!ok) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", file);
  if (world != NULL && has_floor(root)) {
    DTW_INFO("model", "%s: has a floor of its own; world %s not merged", file, world->file);
  } else if (world != NULL) {
    int rc = dtw__mjcf_merge_world(doc, world, true, err, errlen);
    if (rc != 0) return rc;
    out->changed = true;
  }
  return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

int dtw__mjcf_serialize(xmlDocPtr doc, bool decl, char **out, size_t *len) {
  int rc = DTW_ENOMEM;
  xmlBufferPtr buf = xmlBufferCreate();
  if (buf == NULL) return rc;
  xmlSaveCtxtPtr s = xmlSaveToBuffer(buf, "UTF-8", decl ? 0 : XML_SAVE_NO_DECL);
  if (s != NULL) {
    long n = xmlSaveDoc(s, doc);
    xmlSaveClose(s);
    const xmlChar *content = xmlBufferContent(buf);
    size_t size = (size_t)xmlBufferLength(buf);
    char *text = n >= 0 && content != NULL ? malloc(size + 1) : NULL;
    if (text != NULL) {
      memcpy(text, content, size);
      text[size] = '\0';
      *out = text;
      *len = size;
      rc = 0;
    }
  }
  xmlBufferFree(buf);
  return rc;
}
