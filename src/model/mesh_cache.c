/* The mesh conversion cache (see model__mesh.h): converted meshes kept on
 * disk by the content of their source file, so a robot loads its meshes from
 * an earlier conversion instead of parsing Collada again.
 *
 * An entry is <dir>/<key>.msh: a header (magic, format version, source size,
 * key) and the .msh bytes; anything that does not check out is a miss.
 * Writers go through a temporary file and rename(2), so concurrent loaders
 * never see half an entry; the directory is trimmed to its bound, least
 * recently used first (a hit refreshes the entry's mtime). Every failure
 * (no home, read-only, full disk) just means no cache. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "dtw/log.h"
#include "model__mesh.h"

#define MAGIC "DTWMSH\0\1"
#define DEFAULT_MAX_MB 256
#define STALE_TMP_S 3600

typedef struct entry_header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t source_size;
  uint64_t key[2];
} entry_header_t;

bool dtw__mesh_cache_dir(char *buf, size_t len) {
  const char *env = getenv("DTW_MESH_CACHE");
  if (env != NULL && strcmp(env, "off") == 0) return false;
  int n;
  if (env != NULL && env[0] != '\0')
    n = snprintf(buf, len, "%s", env);
  else if (getenv("XDG_CACHE_HOME") != NULL && getenv("XDG_CACHE_HOME")[0] == '/')
    n = snprintf(buf, len, "%s/dtwin/meshes", getenv("XDG_CACHE_HOME"));
  else if (getenv("HOME") != NULL && getenv("HOME")[0] == '/')
    n = snprintf(buf, len, "%s/.cache/dtwin/meshes", getenv("HOME"));
  else
    return false;
  return n > 0 && (size_t)n < len;
}

dtw__mesh_key_t dtw__mesh_key(const void *data, size_t size, const char *hint) {
  /* the format hint and version are part of the key: the same bytes read as
   * another format, or by another converter, are another mesh */
  uint64_t seed = XXH3_64bits(hint, strlen(hint)) ^ (uint64_t)DTW__MESH_FORMAT_VERSION;
  XXH128_hash_t h = XXH3_128bits_withSeed(data, size, seed);
  dtw__mesh_key_t k = {{h.high64, h.low64}, (uint64_t)size};
  return k;
}

static bool entry_path(const char *dir, const dtw__mesh_key_t *k, char *buf, size_t len) {
  int n = snprintf(buf, len, "%s/%016" PRIx64 "%016" PRIx64 ".msh", dir, k->h[0], k->h[1]);
  return n > 0 && (size_t)n < len;
}

/* mkdir -p with owner-only permissions. */
static bool make_dirs(const char *dir) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return false;
  for (char *p = path + 1; *p != '\0'; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool dtw__mesh_cache_get(const dtw__mesh_key_t *key, dtw__mesh_t *out) {
  char dir[4096], path[4200];
  if (!dtw__mesh_cache_dir(dir, sizeof dir) || !entry_path(dir, key, path, sizeof path))
    return false;
  FILE *f = fopen(path, "rb");
  if (f == NULL) return false;
  bool ok = false;
  unsigned char *msh = NULL;
  entry_header_t h;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || st.st_size < (off_t)(sizeof h + 16) ||
      fread(&h, sizeof h, 1, f) != 1)
    goto done;
  if (memcmp(h.magic, MAGIC, 8) != 0 || h.version != DTW__MESH_FORMAT_VERSION ||
      h.source_size != key->size || h.key[0] != key->h[0] || h.key[1] != key->h[1])
    goto done;
  size_t size = (size_t)st.st_size - sizeof h;
  msh = malloc(size);
  if (msh == NULL || fread(msh, 1, size, f) != size) goto done;
  int32_t hdr[4];
  memcpy(hdr, msh, sizeof hdr);
  /* the .msh layout must add up, or it is not ours */
  if (hdr[0] < 4 || hdr[1] != 0 || hdr[2] != 0 || hdr[3] < 1 ||
      size != 16 + 12 * (size_t)hdr[0] + 12 * (size_t)hdr[3])
    goto done;
  out->msh = msh;
  out->size = size;
  out->n_vert = (size_t)hdr[0];
  out->n_face = (size_t)hdr[3];
  msh = NULL;
  ok = true;
  utimensat(AT_FDCWD, path, NULL, 0); /* recently used */
done:
  free(msh);
  fclose(f);
  return ok;
}

/* Keep the directory under its bound: oldest entries (and stale temporaries) go. */
static void trim(const char *dir) {
  long max_mb = DEFAULT_MAX_MB;
  const char *env = getenv("DTW_MESH_CACHE_MAX_MB");
  if (env != NULL && atol(env) > 0) max_mb = atol(env);
  uint64_t limit = (uint64_t)max_mb << 20, total = 0;
  DIR *d = opendir(dir);
  if (d == NULL) return;
  typedef struct { char name[64]; time_t mtime; uint64_t size; } file_t;
  file_t *files = NULL;
  size_t n = 0, cap = 0;
  time_t now = time(NULL);
  struct dirent *e;
  char path[4096 + 300];
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    bool tmp = strncmp(e->d_name, "tmp.", 4) == 0;
    if (!tmp && (len != 36 || strcmp(e->d_name + 32, ".msh") != 0)) continue;
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0) continue;
    if (tmp) {
      if (now - st.st_mtime > STALE_TMP_S) unlink(path); /* a writer that died */
      continue;
    }
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      file_t *f = realloc(files, cap * sizeof *f);
      if (f == NULL) break;
      files = f;
    }
    snprintf(files[n].name, sizeof files[n].name, "%s", e->d_name);
    files[n].mtime = st.st_mtime;
    files[n].size = (uint64_t)st.st_size;
    total += files[n].size;
    n++;
  }
  closedir(d);
  /* least recently used first, down to 3/4 of the bound so trims are rare */
  uint64_t target = total > limit ? limit / 4 * 3 : total;
  while (total > target && n > 0) {
    size_t oldest = 0;
    for (size_t i = 1; i < n; i++)
      if (files[i].mtime < files[oldest].mtime) oldest = i;
    snprintf(path, sizeof path, "%s/%s", dir, files[oldest].name);
    unlink(path); /* another process may have removed it: fine */
    total -= files[oldest].size;
    files[oldest] = files[--n];
  }
  free(files);
}

void dtw__mesh_cache_put(const dtw__mesh_key_t *key, const dtw__mesh_t *m) {
  char dir[4096], path[4200], tmp[4300];
  if (!dtw__mesh_cache_dir(dir, sizeof dir) || !entry_path(dir, key, path, sizeof path)) return;
  if (!make_dirs(dir)) {
    DTW_DEBUG("model", "mesh cache %s: %s: not caching", dir, strerror(errno));
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(tmp, sizeof tmp, "%s/tmp.%ld.%lx.%lx", dir, (long)getpid(), (unsigned long)ts.tv_nsec,
           (unsigned long)(uintptr_t)m);
  FILE *f = fopen(tmp, "wbx");
  if (f == NULL) return;
  entry_header_t h = {.version = DTW__MESH_FORMAT_VERSION, .source_size = key->size,
                      .key = {key->h[0], key->h[1]}};
  memcpy(h.magic, MAGIC, 8);
  bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(m->msh, 1, m->size, f) == m->size;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return;
  }
  trim(dir);
}
