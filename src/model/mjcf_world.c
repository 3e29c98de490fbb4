/* Merging a world MJCF (floor, lights, sky) into a robot's MJCF document:
 * the one generated for a URDF or an MJCF robot loaded with a base mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__mjcf.h"
#include "model__warn.h"

static bool named(xmlNodePtr n, const char *name) {
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr dtw__mjcf_section(xmlNodePtr root, const char *name, bool create) {
  for (xmlNodePtr c = root->children; c != NULL; c = c->next)
    if (named(c, name)) return c;
  return create ? xmlNewChild(root, NULL, (const xmlChar *)name, NULL) : NULL;
}

/* The world's copy of src in doc under parent, or NULL without memory. */
static xmlNodePtr copy_into(xmlDocPtr doc, xmlNodePtr parent, xmlNodePtr src) {
  xmlNodePtr c = xmlDocCopyNode(src, doc, 1);
  if (c == NULL || xmlAddChild(parent, c) == NULL) {
    xmlFreeNode(c);
    return NULL;
  }
  return c;
}

/* Texture, hfield and mesh files of the world resolve against its directory. */
static bool absolutize_files(xmlNodePtr n, const char *dir) {
  for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
    if (strncmp((const char *)a->name, "file", 4) != 0) continue;
    xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
    if (v == NULL) continue;
    bool ok = true;
    if (v[0] != '/' && v[0] != '\0') {
      char *abs = NULL;
      ok = asprintf(&abs, "%s/%s", dir, (const char *)v) >= 0 &&
           xmlSetProp(n, a->name, (const xmlChar *)abs) != NULL;
      free(abs);
    }
    xmlFree(v);
    if (!ok) return false;
  }
  return true;
}

/* An element named like src (same tag and name) anywhere under root, or for
 * a skybox texture any skybox: MuJoCo refuses both twice. */
static bool clashes(xmlNodePtr root, xmlNodePtr src) {
  xmlChar *name = xmlGetProp(src, (const xmlChar *)"name");
  xmlChar *type = named(src, "texture") ? xmlGetProp(src, (const xmlChar *)"type") : NULL;
  bool skybox = type != NULL && strcmp((const char *)type, "skybox") == 0;
  bool hit = false;
  /* iterative walk: MJCF bodies nest deeply */
  xmlNodePtr n = root->children;
  while (n != NULL && !hit) {
    if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, (const char *)src->name) == 0) {
      xmlChar *other = name != NULL ? xmlGetProp(n, (const xmlChar *)"name") : NULL;
      if (other != NULL && strcmp((const char *)other, (const char *)name) == 0) hit = true;
      xmlFree(other);
      if (skybox) {
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"type");
        if (t != NULL && strcmp((const char *)t, "skybox") == 0) hit = true;
        xmlFree(t);
      }
    }
    if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
      n = n->children;
      continue;
    }
    while (n != NULL && n->next == NULL) n = n->parent == root ? NULL : n->parent;
    if (n != NULL) n = n->next;
  }
  xmlFree(name);
  xmlFree(type);
  return hit;
}

/* Copy src under parent unless it clashes with what doc has; false without memory. */
static bool merge_one(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr parent, xmlNodePtr src,
                      const dtw__mjcf_world_t *w, dtw__warnings_t *warn) {
  if (clashes(root, src)) {
    xmlChar *name = xmlGetProp(src, (const xmlChar *)"name");
    dtw__warn(warn, DTW__W_WORLD, "%s:%ld: <%s%s%s%s>: the robot has one already: not merged",
              w->file, xmlGetLineNo(src), (const char *)src->name, name ? " name=\"" : "",
              name ? (const char *)name : "", name ? "\"" : "");
    xmlFree(name);
    return true;
  }
  xmlNodePtr c = copy_into(doc, parent, src);
  return c != NULL && absolutize_files(c, w->dir);
}

int dtw__mjcf_merge_world(xmlDocPtr doc, const dtw__mjcf_world_t *w, bool robot_options_win,
                          char *err, size_t errlen) {
  xmlNodePtr wr = xmlDocGetRootElement(w->doc);
  if (wr == NULL || !named(wr, "mujoco"))
    return dtw_errf(err, errlen, DTW_EMODEL, "%s:%ld: world file root is <%s>, expected "
                    "<mujoco>", w->file, wr != NULL ? xmlGetLineNo(wr) : 0L,
                    wr != NULL ? (const char *)wr->name : "");
  xmlNodePtr root = xmlDocGetRootElement(doc);
  dtw__warnings_t warn = {0};
  bool ok = true;
  for (xmlNodePtr c = wr->children; c != NULL && ok; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (named(c, "asset") || named(c, "worldbody")) {
      xmlNodePtr into = dtw__mjcf_section(root, (const char *)c->name, true);
      ok = into != NULL;
      for (xmlNodePtr a = c->children; a != NULL && ok; a = a->next)
        if (a->type == XML_ELEMENT_NODE) ok = merge_one(doc, root, into, a, w, &warn);
    } else if (named(c, "visual") || named(c, "statistic") || named(c, "size")) {
      if (dtw__mjcf_section(root, (const char *)c->name, false) != NULL) {
        dtw__warn(&warn, DTW__W_WORLD, "%s:%ld: <%s>: the robot has one already: not merged",
                  w->file, xmlGetLineNo(c), (const char *)c->name);
        continue;
      }
      ok = copy_into(doc, root, c) != NULL;
    } else if (named(c, "option")) {
      xmlNodePtr option = dtw__mjcf_section(root, "option", true);
      ok = option != NULL;
      for (xmlAttrPtr a = c->properties; a != NULL && ok; a = a->next) {
        /* the timestep is the twin's */
        if (strcmp((const char *)a->name, "timestep") == 0) continue;
        if (robot_options_win && xmlHasProp(option, a->name) != NULL) continue;
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        ok = v != NULL && xmlSetProp(option, a->name, v) != NULL;
        xmlFree(v);
      }
      for (xmlNodePtr f = c->children; f != NULL && ok; f = f->next)
        if (f->type == XML_ELEMENT_NODE && !(robot_options_win && named(f, "flag") &&
                                             dtw__mjcf_section(option, "flag", false) != NULL))
          ok = copy_into(doc, option, f) != NULL;
    } else if (named(c, "default")) {
      /* named classes only: unnamed defaults would change the robot too */
      xmlNodePtr def = NULL;
      for (xmlNodePtr d = c->children; d != NULL && ok; d = d->next) {
        if (!named(d, "default")) continue;
        if (def == NULL) def = dtw__mjcf_section(root, "default", true);
        ok = def != NULL && merge_one(doc, root, def, d, w, &warn);
      }
    } else if (!named(c, "compiler")) {
      dtw__warn(&warn, DTW__W_WORLD, "%s:%ld: <%s> in a world file is not merged", w->file,
                xmlGetLineNo(c), (const char *)c->name);
    }
  }
  if (!ok) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory merging it", w->file);
  dtw__warn_flush(&warn);
  return 0;
}
