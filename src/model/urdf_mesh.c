/* The meshes of a parsed URDF: each distinct file converted once (mesh.c),
 * collision meshes checked, unusable visual meshes dropped with one warning. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "model__mesh.h"
#include "model__urdf.h"
#include "model__warn.h"

#define WHY_MAX 512

/* The entry for path, converting the file on first use; NULL without memory. */
static dtw__mesh_entry_t *entry_for(dtw__mesh_table_t *t, const char *path, int *index) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->e[i].path, path) == 0) {
      *index = (int)i;
      return &t->e[i];
    }
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 16;
    dtw__mesh_entry_t *e = realloc(t->e, cap * sizeof *e);
    if (e == NULL) return NULL;
    t->e = e;
    t->cap = cap;
  }
  dtw__mesh_entry_t *e = &t->e[t->n];
  memset(e, 0, sizeof *e);
  e->path = strdup(path);
  if (e->path == NULL) return NULL;
  char why[WHY_MAX] = "";
  e->rc = dtw__mesh_convert(path, &e->mesh, why, sizeof why);
  if (e->rc != 0) {
    e->why = strdup(why);
    if (e->why == NULL) {
      free(e->path);
      return NULL;
    }
  } else {
    e->solid = dtw__mesh_is_solid(&e->mesh);
  }
  *index = (int)t->n++;
  return e;
}

static int convert_link(dtw__urdf_link_t *l, const char *file, dtw__mesh_table_t *t,
                        dtw__warnings_t *warn, char *err, size_t errlen) {
  for (size_t i = 0; i < l->n_collision; i++) {
    dtw__urdf_geom_t *g = &l->collision[i];
    if (g->kind != DTW__GEOM_MESH) continue;
    int idx = -1;
    dtw__mesh_entry_t *e = entry_for(t, g->mesh_path, &idx);
    if (e == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", file);
    if (e->rc != 0)
      return dtw_errf(err, errlen, e->rc, "%s:%ld: link '%s': <collision>: mesh '%s': %s", file,
                      g->line, l->name, g->mesh_uri, e->why);
    if (!e->solid)
      return dtw_errf(err, errlen, DTW_EMODEL, "%s:%ld: link '%s': <collision>: mesh '%s': "
                      "flat (all %zu vertices in one plane): a collision mesh needs a volume",
                      file, g->line, l->name, g->mesh_uri, e->mesh.n_vert);
    g->asset = idx;
  }
  for (size_t i = 0; i < l->n_visual; i++) {
    dtw__urdf_geom_t *g = &l->visual[i];
    if (g->kind != DTW__GEOM_MESH || g->dropped) continue;
    if (g->mesh_path == NULL) {
      dtw__warn(warn, DTW__W_VISUAL_MESH, "%s:%ld: link '%s': <visual>: %s: left out of the "
                "model", file, g->line, l->name, g->missing != NULL ? g->missing : "not found");
      g->dropped = true;
      continue;
    }
    int idx = -1;
    dtw__mesh_entry_t *e = entry_for(t, g->mesh_path, &idx);
    if (e == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", file);
    if (e->rc != 0) {
      dtw__warn(warn, DTW__W_VISUAL_MESH, "%s:%ld: link '%s': <visual>: mesh '%s': %s: left out "
                "of the model", file, g->line, l->name, g->mesh_uri, e->why);
      g->dropped = true;
      continue;
    }
    g->asset = idx;
  }
  return 0;
}

int dtw__urdf_convert_meshes(dtw__urdf_t *u, const char *file, dtw__mesh_table_t *t,
                             char *err, size_t errlen) {
  dtw__warnings_t warn = {0};
  for (size_t i = 0; i < u->n_links; i++) {
    int rc = convert_link(&u->links[i], file, t, &warn, err, errlen);
    if (rc != 0) return rc;
  }
  dtw__warn_flush(&warn);
  return 0;
}

void dtw__mesh_asset_name(const dtw__mesh_table_t *t, size_t i, char *buf, size_t len) {
  const char *path = i < t->n ? t->e[i].path : "";
  const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
  char stem[41];
  size_t n = 0;
  for (const char *c = base; *c != '\0' && *c != '.' && n + 1 < sizeof stem; c++)
    stem[n++] = isalnum((unsigned char)*c) || *c == '-' ? (char)tolower((unsigned char)*c) : '_';
  stem[n] = '\0';
  snprintf(buf, len, "dtw_%zu_%s.msh", i, stem);
}

void dtw__mesh_table_fini(dtw__mesh_table_t *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->e[i].path);
    free(t->e[i].why);
    dtw__mesh_fini(&t->e[i].mesh);
  }
  free(t->e);
  memset(t, 0, sizeof *t);
}
