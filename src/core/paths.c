/* Data-file lookup: working directory, $DTW_DATA_DIR, install dir, source tree. */
#include "dtw/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"

#ifndef DTW_INSTALL_DATADIR
#define DTW_INSTALL_DATADIR "/usr/local/share/dtwin"
#endif
#ifndef DTW_SOURCE_DATADIR
#define DTW_SOURCE_DATADIR "."
#endif

static int exists(const char *p) { return access(p, F_OK) == 0; }

static int copy_out(const char *p, char *out, size_t outlen) {
  if (strlen(p) >= outlen) return DTW_ERANGE;
  strcpy(out, p);
  return 0;
}

int dtw_path_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen) {
  if (path[0] == '\0') return copy_out("", out, outlen);
  if (path[0] == '/' || exists(path)) {
    if (!exists(path)) return dtw_errf(err, errlen, DTW_ENOENT, "%s: no such file", path);
    return copy_out(path, out, outlen);
  }
  const char *roots[3] = {getenv("DTW_DATA_DIR"), DTW_INSTALL_DATADIR, DTW_SOURCE_DATADIR};
  char candidate[4096];
  for (size_t i = 0; i < 3; i++) {
    if (roots[i] == NULL || roots[i][0] == '\0') continue;
    snprintf(candidate, sizeof candidate, "%s/%s", roots[i], path);
    if (exists(candidate)) return copy_out(candidate, out, outlen);
  }
  return dtw_errf(err, errlen, DTW_ENOENT,
                  "%s: no such file (looked in the working directory, $DTW_DATA_DIR, %s, %s)",
                  path, DTW_INSTALL_DATADIR, DTW_SOURCE_DATADIR);
}
