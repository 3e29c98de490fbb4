/* model__mesh.h - mesh files to MuJoCo meshes in memory (internal to src/model).
 *
 * Every mesh a URDF names is read with assimp (STL binary or ASCII, OBJ, DAE,
 * PLY, glTF ... whatever Debian's libassimp reads) and handed to MuJoCo as a
 * .msh file held in memory: one code path for every format, so units, degenerate
 * meshes and MuJoCo 2.2.2's STL limits (binary only, 200000 faces) are handled
 * the same way everywhere.
 *
 * Frames and units follow rviz (ROS 2 rviz_rendering, also assimp): the node
 * transforms of the file are applied, including the root node's, into which
 * assimp folds a Collada <unit meter="..."/>; a Collada <up_axis> is ignored
 * (AI_CONFIG_IMPORT_COLLADA_IGNORE_UP_DIRECTION), because URDF meshes are in
 * the link frame whatever the exporter said was "up". The URDF <mesh scale> is
 * not applied here: the MJCF <mesh scale> carries it, so one converted file
 * serves every scale.
 *
 * Thread-safe: assimp's C API keeps its last error in a global, so imports
 * are serialised inside. */
#ifndef DTW_MODEL__MESH_H
#define DTW_MODEL__MESH_H

#include <stdbool.h>
#include <stddef.h>

/* A converted mesh: MuJoCo .msh bytes (int32 nvert, nnormal = 0, ntexcoord = 0,
 * nface; float vert[3 nvert]; int32 face[3 nface]), vertices shared. */
typedef struct dtw__mesh {
  unsigned char *msh; /* malloc'ed */
  size_t size;
  size_t n_vert, n_face;
} dtw__mesh_t;

/* Convert the file at path (already resolved). Returns 0 and *out, or
 * DTW_ENOENT / DTW_EIO (cannot read the file), DTW_EUNSUP (assimp cannot
 * parse it), DTW_EMODEL (it holds no triangles, or fewer than 4 distinct
 * vertices: MuJoCo needs 4) or DTW_ENOMEM, with the reason in err without a
 * file:line prefix (the caller names the element). Allocates. */
int dtw__mesh_convert(const char *path, dtw__mesh_t *out, char *err, size_t errlen);

/* Whether the mesh encloses a volume MuJoCo can hull: its vertices do not all
 * lie on one plane (or line). A collision mesh must; a visual one need not. */
bool dtw__mesh_is_solid(const dtw__mesh_t *m);

void dtw__mesh_fini(dtw__mesh_t *m);

/* ---- the meshes of a URDF (urdf_mesh.c) ------------------------------------------------- */

/* Every distinct mesh file a URDF uses, converted once. */
typedef struct dtw__mesh_entry {
  char *path;       /* resolved source (owned) */
  int rc;           /* 0 converted, else the failure */
  char *why;        /* failure reason (owned) */
  dtw__mesh_t mesh; /* when rc == 0 */
  bool solid;
} dtw__mesh_entry_t;

typedef struct dtw__mesh_table {
  dtw__mesh_entry_t *e;
  size_t n, cap;
} dtw__mesh_table_t;

struct dtw__urdf;

/* Convert the meshes of u's geometry into t (zeroed by the caller) and set
 * each mesh geom's asset index. A collision mesh that cannot be used is an
 * error ("file:line: link 'x': <collision>: mesh 'uri': reason", the code of
 * the reason); a visual one is marked dropped, with one warning line for all
 * of them. Returns 0 or the error; t is freed by dtw__mesh_table_fini either way. */
int dtw__urdf_convert_meshes(struct dtw__urdf *u, const char *file, dtw__mesh_table_t *t,
                             char *err, size_t errlen);

/* The in-memory file name of entry i: "dtw_<i>_<source stem>.msh". */
void dtw__mesh_asset_name(const dtw__mesh_table_t *t, size_t i, char *buf, size_t len);

void dtw__mesh_table_fini(dtw__mesh_table_t *t);

#endif /* DTW_MODEL__MESH_H */
