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
#include "model__limits.h"
#include "model__mesh.h"
#include "model__mjcf.h"
#include "model__mjcf_base.h"
#include "model__mjcf_compat.h"
#include "model__urdf.h"

void dtw_model_opts_default(dtw_model_opts_t *opts) {
  memset(opts, 0, sizeof *opts);
  opts->base = DTW_BASE_AS_MODELED;
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

static int load_world(const char *file, dtw__mjcf_world_t *w, char **dir, char *err,
                      size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  int rc = dtw__file_read(file, &text, &len, err, errlen);
  if (rc != 0) return rc;
  rc = dtw__xml_read(text, len, file, &w->doc, err, errlen);
  free(text);
  if (rc == 0) rc = dtw__mjcf_check_values(w->doc, file, err, errlen);
  if (rc != 0) return rc;
  w->file = file;
  *dir = abs_dir(file);
  if (*dir == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory", file);
  w->dir = *dir;
  return 0;
}

/* ---- MJCF -------------------------------------------------------------------------------- */

/* MJCF input: includes expanded, MuJoCo 3 constructs translated, the base mode
 * applied; the text is re-serialised only if something changed. */
static int load_mjcf(const char *path, char **text, size_t len, xmlDocPtr doc,
                     const dtw_model_opts_t *opts, dtw_robot_desc_t *out, char *err,
                     size_t errlen) {
  int rc = 0;
  dtw_robot_desc_t d = {0};
  dtw__mjcf_world_t world = {0};
  char *world_dir = NULL;
  bool changed = false, step = false;
  xmlNodePtr root = xmlDocGetRootElement(doc);
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
  if (d.base_dir == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory", path);
    goto done;
  }
  if ((rc = dtw__mjcf_expand_includes(doc, path, d.base_dir, &step, err, errlen)) != 0) goto done;
  changed |= step;
  if ((rc = dtw__mjcf_check_values(doc, path, err, errlen)) != 0) goto done;
  if ((rc = dtw__mjcf_compat(doc, path, &step, err, errlen)) != 0) goto done;
  changed |= step;
  if (opts->base != DTW_BASE_AS_MODELED) {
    if (opts->world_file != NULL &&
        (rc = load_world(opts->world_file, &world, &world_dir, err, errlen)) != 0)
      goto done;
    dtw__mjcf_base_t b = {0};
    rc = dtw__mjcf_apply_base(doc, path, opts, opts->world_file != NULL ? &world : NULL, &b,
                              err, errlen);
    if (rc != 0) goto done;
    changed |= b.changed;
    d.base_auto_height = b.auto_height;
    d.base_clearance_m = b.clearance_m;
  }
  d.floating_base = dtw__mjcf_has_free_root(doc);
  /* what MuJoCo will read: after includes, translation and the base mode */
  if ((rc = dtw__mjcf_check_limits(doc, path, opts->check_implicit, NULL, err, errlen)) != 0)
    goto done;
  if (changed) {
    rc = dtw__mjcf_serialize(doc, strncmp(*text, "<?xml", 5) == 0, &d.mjcf, &d.mjcf_len);
    if (rc != 0) {
      rc = dtw_errf(err, errlen, rc, "%s: out of memory writing the MJCF", path);
      goto done;
    }
  } else {
    d.mjcf = *text; /* unchanged: the file as it is */
    d.mjcf_len = len;
    *text = NULL;
  }
  *out = d;
  memset(&d, 0, sizeof d);
done:
  dtw_robot_desc_fini(&d);
  xmlFreeDoc(world.doc);
  free(world_dir);
  return rc;
}

/* ---- URDF -------------------------------------------------------------------------------- */

/* The converted meshes become the desc's in-memory files (bytes moved). */
static int take_assets(dtw__mesh_table_t *t, dtw_robot_desc_t *d) {
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->e[i].rc == 0) n++;
  if (n == 0) return 0;
  d->assets = calloc(n, sizeof *d->assets);
  if (d->assets == NULL) return DTW_ENOMEM;
  for (size_t i = 0; i < t->n; i++) {
    dtw__mesh_entry_t *e = &t->e[i];
    if (e->rc != 0) continue;
    char name[128];
    dtw__mesh_asset_name(t, i, name, sizeof name);
    dtw_asset_t *a = &d->assets[d->n_assets++];
    a->name = strdup(name);
    a->source = strdup(e->path);
    a->data = e->mesh.msh;
    a->size = e->mesh.size;
    e->mesh.msh = NULL;
    if (a->name == NULL || a->source == NULL) return DTW_ENOMEM;
  }
  return 0;
}

static int load_urdf(const char *path, xmlDocPtr doc, const dtw_model_opts_t *opts,
                     dtw_robot_desc_t *out, char *err, size_t errlen) {
  int rc = 0;
  dtw_robot_desc_t d = {0};
  dtw__urdf_t urdf = {0};
  dtw__mesh_table_t meshes = {0};
  dtw__mjcf_world_t world = {0};
  char *world_dir = NULL;

  d.base_dir = abs_dir(path);
  if (d.base_dir == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: cannot resolve its directory", path);
    goto done;
  }
  dtw__urdf_ctx_t ctx = {.file = path, .dir = d.base_dir, .package_path = opts->package_path};
  if ((rc = dtw__urdf_from_doc(doc, &ctx, &urdf, err, errlen)) != 0) goto done;
  if ((rc = dtw__urdf_convert_meshes(&urdf, path, &meshes, err, errlen)) != 0) goto done;
  if (opts->world_file != NULL &&
      (rc = load_world(opts->world_file, &world, &world_dir, err, errlen)) != 0)
    goto done;
  rc = dtw__mjcf_generate(&urdf, opts, &meshes, opts->world_file != NULL ? &world : NULL,
                          &d.mjcf, &d.mjcf_len, err, errlen);
  if (rc != 0) goto done;
  if (dtw__urdf_joint_table(&urdf, &d.joints, &d.n_joints) != 0 ||
      dtw__urdf_visuals(&urdf, &d.visuals, &d.n_visuals) != 0 ||
      take_assets(&meshes, &d) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  /* src/sim hands them to MuJoCo's virtual file system, with the MJCF itself */
  if (d.n_assets > DTW__MJCF_MAX_ASSETS - 1) {
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s: robot '%s': %zu mesh files; MuJoCo 2.2.2's "
                  "virtual file system holds at most %d besides the model", path, urdf.name,
                  d.n_assets, DTW__MJCF_MAX_ASSETS - 1);
    goto done;
  }
  snprintf(d.name, sizeof d.name, "%s", urdf.name);
  bool world_root = strcmp(urdf.links[urdf.root].name, "world") == 0;
  d.floating_base = opts->base == DTW_BASE_FLOATING && !world_root;
  for (size_t i = 0; world_root && i < urdf.n_joints; i++)
    if (urdf.joints[i].parent == urdf.root && urdf.joints[i].kind == DTW__JOINT_FLOATING)
      d.floating_base = true;
  if (!world_root && !(opts->base_height_m > 0)) {
    d.base_auto_height = true;
    d.base_clearance_m = opts->base == DTW_BASE_FLOATING ? 0 : DTW_MODEL_STAND_CLEARANCE_M;
  }
  *out = d;
  memset(&d, 0, sizeof d);
done:
  dtw_robot_desc_fini(&d);
  dtw__mesh_table_fini(&meshes);
  dtw__urdf_fini(&urdf);
  xmlFreeDoc(world.doc);
  free(world_dir);
  return rc;
}

int dtw_model_load(const char *path, const dtw_model_opts_t *opts, dtw_robot_desc_t *out,
                   char *err, size_t errlen) {
  int rc = 0;
  dtw_model_opts_t defaults;
  char *text = NULL;
  size_t len = 0;
  xmlDocPtr doc = NULL;
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
    rc = load_mjcf(path, &text, len, doc, opts, out, err, errlen);
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
  rc = load_urdf(path, doc, opts, out, err, errlen);

done:
  xmlFreeDoc(doc);
  free(text);
  return rc;
}
