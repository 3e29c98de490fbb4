/* Mesh files to MuJoCo .msh bytes through assimp (see model__mesh.h). */
#include "model__mesh.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <assimp/cimport.h>
#include <assimp/config.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include "dtw/err.h"

/* assimp's C API reports through one global error string */
static pthread_mutex_t g_assimp_lock = PTHREAD_MUTEX_INITIALIZER;

/* Deepest node hierarchy followed (a file is not trusted to be shallow). */
#define MAX_NODE_DEPTH 256

/* ---- reading the file -------------------------------------------------------------------- */

static int read_all(const char *path, unsigned char **out, size_t *len, char *err,
                    size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    return dtw_errf(err, errlen, e == ENOENT || e == ENOTDIR ? DTW_ENOENT : DTW_EIO,
                    "cannot open: %s", strerror(e));
  }
  int rc = 0;
  unsigned char *buf = NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = dtw_errf(err, errlen, DTW_EIO, "not a regular file");
    goto done;
  }
  if (st.st_size <= 0) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "the file is empty");
    goto done;
  }
  if ((uintmax_t)st.st_size > UINT_MAX) {
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "file too large (%jd bytes)", (intmax_t)st.st_size);
    goto done;
  }
  buf = malloc((size_t)st.st_size);
  if (buf == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto done;
  }
  if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    rc = dtw_errf(err, errlen, DTW_EIO, "read error");
    goto done;
  }
  *out = buf;
  *len = (size_t)st.st_size;
  buf = NULL;
done:
  free(buf);
  fclose(f);
  return rc;
}

/* ---- the triangle soup, vertices shared by position ------------------------------------- */

typedef struct builder {
  float *vert; /* 3 per vertex */
  size_t n_vert;
  int32_t *face; /* 3 per face */
  size_t n_face, cap_face;
  uint32_t *slot; /* open addressing: vertex index + 1, 0 = empty */
  size_t mask;
  uint32_t *remap; /* scratch: a mesh's local vertex -> shared index */
  size_t cap_remap;
  bool oom, nonfinite;
} builder_t;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static uint32_t float_bits(float f) {
  uint32_t u;
  if (f == 0) f = 0; /* -0 and 0 are one position */
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Index of the vertex at p, added if new. Capacity is sized beforehand. */
static uint32_t add_vertex(builder_t *b, const float p[3]) {
  uint64_t h = mix64(((uint64_t)float_bits(p[0]) << 32 | float_bits(p[1])) ^
                     mix64(float_bits(p[2]) + 0x9e3779b97f4a7c15ULL));
  size_t i = (size_t)h & b->mask;
  for (;;) {
    uint32_t s = b->slot[i];
    if (s == 0) break;
    const float *q = &b->vert[3 * (size_t)(s - 1)];
    if (q[0] == p[0] && q[1] == p[1] && q[2] == p[2]) return s - 1;
    i = (i + 1) & b->mask;
  }
  uint32_t idx = (uint32_t)b->n_vert++;
  memcpy(&b->vert[3 * (size_t)idx], p, 3 * sizeof(float));
  b->slot[i] = idx + 1;
  return idx;
}

static void add_face(builder_t *b, uint32_t a, uint32_t c, uint32_t d) {
  if (a == c || c == d || a == d) return; /* collapsed: no area */
  if (b->n_face == b->cap_face) {
    size_t cap = b->cap_face ? 2 * b->cap_face : 1024;
    int32_t *f = realloc(b->face, 3 * cap * sizeof *f);
    if (f == NULL) {
      b->oom = true;
      return;
    }
    b->face = f;
    b->cap_face = cap;
  }
  int32_t *f = &b->face[3 * b->n_face++];
  f[0] = (int32_t)a;
  f[1] = (int32_t)c;
  f[2] = (int32_t)d;
}

/* r = a * b for assimp's row-major matrices acting on column vectors. */
static void mat_mul(const struct aiMatrix4x4 *a, const struct aiMatrix4x4 *b,
                    struct aiMatrix4x4 *r) {
  const float *A = &a->a1, *B = &b->a1;
  float R[16];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      float s = 0;
      for (int k = 0; k < 4; k++) s += A[4 * i + k] * B[4 * k + j];
      R[4 * i + j] = s;
    }
  memcpy(&r->a1, R, sizeof R);
}

static float det3(const struct aiMatrix4x4 *m) {
  return m->a1 * (m->b2 * m->c3 - m->b3 * m->c2) - m->a2 * (m->b1 * m->c3 - m->b3 * m->c1) +
         m->a3 * (m->b1 * m->c2 - m->b2 * m->c1);
}

/* Triangles of every mesh instance under node, in the frame of the scene root's parent. */
static void walk(builder_t *b, const struct aiScene *s, const struct aiNode *node,
                 const struct aiMatrix4x4 *parent, int depth) {
  if (depth > MAX_NODE_DEPTH || b->oom) return;
  struct aiMatrix4x4 t;
  mat_mul(parent, &node->mTransformation, &t);
  bool mirrored = det3(&t) < 0;
  for (unsigned k = 0; k < node->mNumMeshes && !b->oom; k++) {
    if (node->mMeshes[k] >= s->mNumMeshes) continue;
    const struct aiMesh *m = s->mMeshes[node->mMeshes[k]];
    if (!(m->mPrimitiveTypes & aiPrimitiveType_TRIANGLE) || m->mVertices == NULL) continue;
    for (unsigned v = 0; v < m->mNumVertices; v++) {
      const struct aiVector3D *p = &m->mVertices[v];
      float w[3] = {t.a1 * p->x + t.a2 * p->y + t.a3 * p->z + t.a4,
                    t.b1 * p->x + t.b2 * p->y + t.b3 * p->z + t.b4,
                    t.c1 * p->x + t.c2 * p->y + t.c3 * p->z + t.c4};
      if (!isfinite(w[0]) || !isfinite(w[1]) || !isfinite(w[2])) {
        b->nonfinite = true;
        return;
      }
      b->remap[v] = add_vertex(b, w);
    }
    for (unsigned f = 0; f < m->mNumFaces; f++) {
      const struct aiFace *face = &m->mFaces[f];
      if (face->mNumIndices != 3) continue;
      unsigned i0 = face->mIndices[0], i1 = face->mIndices[1], i2 = face->mIndices[2];
      if (i0 >= m->mNumVertices || i1 >= m->mNumVertices || i2 >= m->mNumVertices) continue;
      /* a mirroring transform turns the winding inside out: turn it back */
      if (mirrored)
        add_face(b, b->remap[i0], b->remap[i2], b->remap[i1]);
      else
        add_face(b, b->remap[i0], b->remap[i1], b->remap[i2]);
    }
  }
  for (unsigned c = 0; c < node->mNumChildren && !b->oom && !b->nonfinite; c++)
    walk(b, s, node->mChildren[c], &t, depth + 1);
}

/* Vertices of all mesh instances (upper bound of the shared count) and the
 * largest single mesh. */
static void count(const struct aiScene *s, const struct aiNode *node, int depth, size_t *total,
                  size_t *largest) {
  if (depth > MAX_NODE_DEPTH) return;
  for (unsigned k = 0; k < node->mNumMeshes; k++) {
    if (node->mMeshes[k] >= s->mNumMeshes) continue;
    size_t n = s->mMeshes[node->mMeshes[k]]->mNumVertices;
    *total += n;
    if (n > *largest) *largest = n;
  }
  for (unsigned c = 0; c < node->mNumChildren; c++)
    count(s, node->mChildren[c], depth + 1, total, largest);
}

static int depth_of(const struct aiNode *node, int depth) {
  int d = depth;
  for (unsigned c = 0; c < node->mNumChildren && d <= MAX_NODE_DEPTH; c++) {
    int k = depth_of(node->mChildren[c], depth + 1);
    if (k > d) d = k;
  }
  return d;
}

static int build(const struct aiScene *s, dtw__mesh_t *out, char *err, size_t errlen) {
  int rc = 0;
  builder_t b = {0};
  size_t total = 0, largest = 0;
  if (s->mRootNode == NULL) return dtw_errf(err, errlen, DTW_EMODEL, "no triangles");
  if (depth_of(s->mRootNode, 0) > MAX_NODE_DEPTH)
    return dtw_errf(err, errlen, DTW_EUNSUP, "node hierarchy deeper than %d", MAX_NODE_DEPTH);
  count(s, s->mRootNode, 0, &total, &largest);
  if (total == 0) return dtw_errf(err, errlen, DTW_EMODEL, "no triangles");
  if (total > (size_t)INT32_MAX / 4)
    return dtw_errf(err, errlen, DTW_EUNSUP, "too many vertices (%zu)", total);
  size_t nslot = 16;
  while (nslot < 2 * total) nslot *= 2;
  b.vert = malloc(3 * total * sizeof *b.vert);
  b.slot = calloc(nslot, sizeof *b.slot);
  b.remap = malloc((largest ? largest : 1) * sizeof *b.remap);
  b.mask = nslot - 1;
  if (b.vert == NULL || b.slot == NULL || b.remap == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto done;
  }
  struct aiMatrix4x4 id = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  walk(&b, s, s->mRootNode, &id, 0);
  if (b.oom) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto done;
  }
  if (b.nonfinite) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "a vertex is not a finite number");
    goto done;
  }
  if (b.n_face == 0) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "no triangles");
    goto done;
  }
  if (b.n_vert < 4) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "only %zu distinct vertices (MuJoCo needs 4)",
                  b.n_vert);
    goto done;
  }
  size_t size = 4 * sizeof(int32_t) + 3 * b.n_vert * sizeof(float) +
                3 * b.n_face * sizeof(int32_t);
  if (size > INT_MAX || b.n_face > (size_t)INT32_MAX / 3) {
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "mesh too large for MuJoCo (%zu faces)", b.n_face);
    goto done;
  }
  unsigned char *msh = malloc(size);
  if (msh == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto done;
  }
  int32_t header[4] = {(int32_t)b.n_vert, 0, 0, (int32_t)b.n_face};
  memcpy(msh, header, sizeof header);
  memcpy(msh + sizeof header, b.vert, 3 * b.n_vert * sizeof(float));
  memcpy(msh + sizeof header + 3 * b.n_vert * sizeof(float), b.face,
         3 * b.n_face * sizeof(int32_t));
  out->msh = msh;
  out->size = size;
  out->n_vert = b.n_vert;
  out->n_face = b.n_face;
done:
  free(b.vert);
  free(b.face);
  free(b.slot);
  free(b.remap);
  return rc;
}

/* ---- public ------------------------------------------------------------------------------ */

/* Lower-case extension of path without the dot ("" if none), as assimp's format hint. */
static void extension(const char *path, char *ext, size_t len) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash != NULL ? slash : path, '.');
  size_t n = 0;
  if (dot != NULL)
    for (const char *p = dot + 1; *p != '\0' && n + 1 < len; p++)
      ext[n++] = (char)tolower((unsigned char)*p);
  ext[n] = '\0';
}

int dtw__mesh_convert(const char *path, dtw__mesh_t *out, char *err, size_t errlen) {
  unsigned char *data = NULL;
  size_t len = 0;
  int rc = read_all(path, &data, &len, err, errlen);
  if (rc != 0) return rc;
  char hint[16];
  extension(path, hint, sizeof hint);
  dtw__mesh_key_t key = dtw__mesh_key(data, len, hint);
  if (dtw__mesh_cache_get(&key, out)) {
    free(data);
    return 0;
  }

  pthread_mutex_lock(&g_assimp_lock);
  struct aiPropertyStore *props = aiCreatePropertyStore();
  /* as rviz: the link frame is the mesh frame, whatever the exporter called "up" */
  aiSetImportPropertyInteger(props, AI_CONFIG_IMPORT_COLLADA_IGNORE_UP_DIRECTION, 1);
  /* points and lines carry no surface */
  aiSetImportPropertyInteger(props, AI_CONFIG_PP_SBP_REMOVE,
                             aiPrimitiveType_POINT | aiPrimitiveType_LINE);
  const struct aiScene *scene = aiImportFileFromMemoryWithProperties(
      (const char *)data, (unsigned)len, aiProcess_Triangulate | aiProcess_SortByPType, hint,
      props);
  if (scene == NULL) {
    const char *why = aiGetErrorString();
    if (why == NULL || why[0] == '\0') why = "unknown error";
    if (strstr(why, "No suitable reader") != NULL)
      rc = dtw_errf(err, errlen, DTW_EUNSUP, "not a mesh format assimp reads");
    else if (strstr(why, "No meshes remaining") != NULL)
      rc = dtw_errf(err, errlen, DTW_EMODEL, "no triangles (only points or lines)");
    else
      rc = dtw_errf(err, errlen, DTW_EUNSUP, "assimp cannot read it: %.200s", why);
  }
  aiReleasePropertyStore(props);
  pthread_mutex_unlock(&g_assimp_lock);
  free(data);
  if (scene == NULL) {
    /* the message may end in a newline */
    if (err != NULL && errlen > 0) {
      size_t n = strlen(err);
      while (n > 0 && isspace((unsigned char)err[n - 1])) err[--n] = '\0';
    }
    return rc;
  }
  dtw__mesh_t m = {0};
  rc = build(scene, &m, err, errlen);
  aiReleaseImport(scene);
  if (rc == 0) {
    dtw__mesh_cache_put(&key, &m);
    *out = m;
  }
  return rc;
}

bool dtw__mesh_is_solid(const dtw__mesh_t *m) {
  if (m->msh == NULL || m->n_vert < 4) return false;
  const float *v = (const float *)(m->msh + 4 * sizeof(int32_t));
  size_t n = m->n_vert;
  double p0[3] = {v[0], v[1], v[2]}, best = 0;
  size_t i1 = 0, i2 = 0;
  /* farthest point from p0: the scale of the mesh */
  for (size_t i = 1; i < n; i++) {
    double d[3] = {v[3 * i] - p0[0], v[3 * i + 1] - p0[1], v[3 * i + 2] - p0[2]};
    double dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if (dd > best) best = dd, i1 = i;
  }
  double extent = sqrt(best), eps = 1e-6 * extent;
  if (!(extent > 0)) return false;
  double a[3] = {v[3 * i1] - p0[0], v[3 * i1 + 1] - p0[1], v[3 * i1 + 2] - p0[2]};
  /* farthest point from the line p0-p1 */
  best = 0;
  double nrm[3] = {0, 0, 0};
  for (size_t i = 1; i < n; i++) {
    double d[3] = {v[3 * i] - p0[0], v[3 * i + 1] - p0[1], v[3 * i + 2] - p0[2]};
    double c[3] = {a[1] * d[2] - a[2] * d[1], a[2] * d[0] - a[0] * d[2],
                   a[0] * d[1] - a[1] * d[0]};
    double cc = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
    if (cc > best) best = cc, i2 = i, memcpy(nrm, c, sizeof c);
  }
  if (!(sqrt(best) / extent > eps) || i2 == 0) return false;
  double nn = sqrt(best);
  for (int k = 0; k < 3; k++) nrm[k] /= nn;
  /* any point off the plane through p0, p1, p2 */
  for (size_t i = 1; i < n; i++) {
    double d = (v[3 * i] - p0[0]) * nrm[0] + (v[3 * i + 1] - p0[1]) * nrm[1] +
               (v[3 * i + 2] - p0[2]) * nrm[2];
    if (fabs(d) > eps) return true;
  }
  return false;
}

void dtw__mesh_fini(dtw__mesh_t *m) {
  free(m->msh);
  memset(m, 0, sizeof *m);
}
