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
 * Conversions are cached on disk by the content of the source file
 * (mesh_cache.c); the cache changes how fast a result comes, never the result.
 * Thread-safe: assimp's C API keeps its last error in a global, so imports
 * are serialised inside. */
#ifndef DTW_MODEL__MESH_H
#define DTW_MODEL__MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the conversion: part of the cache key; bump when output changes. */
#define DTW__MESH_FORMAT_VERSION 1

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

/* ---- the conversion cache (mesh_cache.c) ------------------------------------------------ */

/* Content key of a source file: 128-bit XXH3 of its bytes, seeded by the
 * format hint (its extension) and DTW__MESH_FORMAT_VERSION, plus its size. */
typedef struct dtw__mesh_key {
  uint64_t h[2];
  uint64_t size;
} dtw__mesh_key_t;

dtw__mesh_key_t dtw__mesh_key(const void *data, size_t size, const char *hint);

/* The cache directory into buf: $DTW_MESH_CACHE, else $XDG_CACHE_HOME/dtwin/meshes,
 * else $HOME/.cache/dtwin/meshes; false when caching is off (DTW_MESH_CACHE=off,
 * no home). Bounded by $DTW_MESH_CACHE_MAX_MB (default 256). */
bool dtw__mesh_cache_dir(char *buf, size_t len);

/* A cached conversion for key into *out (malloc'ed); false on a miss or any
 * entry that does not check out. */
bool dtw__mesh_cache_get(const dtw__mesh_key_t *key, dtw__mesh_t *out);

/* Store m under key (atomically: temporary file + rename), then trim the
 * cache to its bound, least recently used first. Failures are ignored. */
void dtw__mesh_cache_put(const dtw__mesh_key_t *key, const dtw__mesh_t *m);

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
