/* dtw_model_load: pick the loader by content (URDF, xacro, MJCF) and fill a
 * dtw_robot_desc_t the rest of dtwin understands. */
#include "dtw/model.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "dtw/err.h"
#include "dtw/xacro.h"
#include "model__mjcf.h"
#include "model__urdf.h"

void dtw_model_opts_default(dtw_model_opts_t *opts) {
  memset(opts, 0, sizeof *opts);
  opts->base = DTW_BASE_FIXED;
  opts->base_height_m = 1.0;
  opts->timestep_s = 0.001;
  opts->armature = 0.01;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* xacro by extension or by a xacro namespace declared on the root element. */
static bool is_xacro(const char *path, xmlNodePtr root) {
  if (ends_with(path, ".xacro")) return true;
  for (xmlNsPtr ns = root->nsDef; ns != NULL; ns = ns->next) {
    if (dtw_xacro_is_namespace((const char *)ns->href)) return true;
    if (ns->prefix != NULL && strcmp((const char *)ns->prefix, "xacro") == 0) return true;
  }
  return false;
}

/* Absolute directory of path (realpath of dirname). */
static char *abs_dir(const char *path) {
  char *copy = strdup(path);
  if (copy == NULL) return NULL;
  char *dir = realpath(dirname(copy), NULL);
  free(copy);
  return dir;
}

/* True if a top-level body of the MJCF has a free joint. */
static bool mjcf_has_free_root(xmlNodePtr mujoco) {
  for (xmlNodePtr wb = mujoco->children; wb != NULL; wb = wb->next) {
    if (wb->type != XML_ELEMENT_NODE || strcmp((const char *)wb->name, "worldbody") != 0)
      continue;
    for (xmlNodePtr b = wb->children; b != NULL; b = b->next) {
      if (b->type != XML_ELEMENT_NODE || strcmp((const char *)b->name, "body") != 0) continue;
      for (xmlNodePtr j = b->children; j != NULL; j = j->next) {
        if (j->type != XML_ELEMENT_NODE) continue;
        if (strcmp((const char *)j->name, "freejoint") == 0) return true;
        if (strcmp((const char *)j->name, "joint") == 0) {
          xmlChar *type = xmlGetNoNsProp(j, (const xmlChar *)"type");
          bool free_joint = type != NULL && strcmp((const char *)type, "free") == 0;
          xmlFree(type);
          if (free_joint) return true;
        }
      }
    }
  }
  return false;
}

/* MJCF input: the text goes through unchanged; src/sim derives the joints. */
static int load_mjcf(const char *path, char *text, size_t len, xmlNodePtr root,
                     dtw_robot_desc_t *out, char *err, size_t errlen) {
  dtw_robot_desc_t d = {0};
  xmlChar *model = xmlGetNoNsProp(root, (const xmlChar *)"model");
  if (model != NULL) {
    snprintf(d.name, sizeof d.name, "%s", (const char *)model);
  } else {
    /* no model name: use the file name without its extension */
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    snprintf(d.name, sizeof d.name, "%.*s", (int)strcspn(base, "."), base);
  }
  xmlFree(model);
  d.base_dir = abs_dir(path);
  if (d.base_dir == NULL)
    return dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory", path);
  d.floating_base = mjcf_has_free_root(root);
  d.mjcf = text;
  d.mjcf_len = len;
  *out = d;
  return 0;
}

static int load_world(const char *file, dtw__mjcf_world_t *w, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  int rc = dtw__file_read(file, &text, &len, err, errlen);
  if (rc != 0) return rc;
  rc = dtw__xml_read(text, len, file, &w->doc, err, errlen);
  free(text);
  if (rc != 0) return rc;
  w->file = file;
  w->dir = NULL;
  return 0;
}

int dtw_model_load(const char *path, const dtw_model_opts_t *opts, dtw_robot_desc_t *out,
                   char *err, size_t errlen) {
  int rc = 0;
  dtw_model_opts_t defaults;
  char *text = NULL, *dir = NULL, *world_dir = NULL, *mjcf = NULL;
  size_t len = 0, mjcf_len = 0;
  xmlDocPtr doc = NULL;
  dtw__urdf_t urdf = {0};
  dtw__mjcf_world_t world = {0};
  dtw_joint_desc_t *joints = NULL;
  size_t n_joints = 0;
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_model_load: path and out are required");
  if (opts == NULL) {
    dtw_model_opts_default(&defaults);
    opts = &defaults;
  }

  if ((rc = dtw__file_read(path, &text, &len, err, errlen)) != 0) goto done;
  if ((rc = dtw__xml_read(text, len, path, &doc, err, errlen)) != 0) goto done;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  const char *rname = (const char *)root->name;
  if (strcmp(rname, "mujoco") == 0) {
    rc = load_mjcf(path, text, len, root, out, err, errlen);
    if (rc == 0) text = NULL; /* now owned by out */
    goto done;
  }
  if (strcmp(rname, "robot") != 0) {
    rc = dtw_errf(err, errlen, DTW_EPARSE, "%s:%ld: root element is <%s>, expected <robot> "
                  "(URDF, xacro) or <mujoco> (MJCF)", path, xmlGetLineNo(root), rname);
    goto done;
  }
  if (is_xacro(path, root)) {
    xmlFreeDoc(doc);
    doc = NULL;
    dtw_xacro_opts_t xo = {.package_path = opts->package_path,
                           .args = opts->xacro_args,
                           .n_args = opts->n_xacro_args};
    if ((rc = dtw_xacro_expand_file(path, &xo, &doc, err, errlen)) != 0) goto done;
  }

  dir = abs_dir(path);
  if (dir == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory", path);
    goto done;
  }
  dtw__urdf_ctx_t ctx = {.file = path, .dir = dir, .package_path = opts->package_path};
  if ((rc = dtw__urdf_from_doc(doc, &ctx, &urdf, err, errlen)) != 0) goto done;

  if (opts->world_file != NULL) {
    if ((rc = load_world(opts->world_file, &world, err, errlen)) != 0) goto done;
    world_dir = abs_dir(opts->world_file);
    if (world_dir == NULL) {
      rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory",
                    opts->world_file);
      goto done;
    }
    world.dir = world_dir;
  }
  rc = dtw__mjcf_generate(&urdf, opts, opts->world_file != NULL ? &world : NULL, &mjcf,
                          &mjcf_len, err, errlen);
  if (rc != 0) goto done;
  if (dtw__urdf_joint_table(&urdf, &joints, &n_joints) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", path);
    goto done;
  }

  dtw_robot_desc_t d = {0};
  snprintf(d.name, sizeof d.name, "%s", urdf.name);
  d.mjcf = mjcf;
  d.mjcf_len = mjcf_len;
  d.base_dir = dir;
  d.joints = joints;
  d.n_joints = n_joints;
  d.floating_base =
      opts->base == DTW_BASE_FLOATING && strcmp(urdf.links[urdf.root].name, "world") != 0;
  *out = d;
  mjcf = NULL;
  dir = NULL;
  joints = NULL;

done:
  free(joints);
  free(mjcf);
  free(world_dir);
  xmlFreeDoc(world.doc);
  dtw__urdf_fini(&urdf);
  free(dir);
  xmlFreeDoc(doc);
  free(text);
  return rc;
}
