/* dtw/paths.h - find dtwin's data files (models/, config/) wherever it runs.
 *
 * Relative paths in settings ("models/digital_twin_humanoid.urdf.xacro") are
 * looked up, in order: as given (relative to the working directory), then
 * under $DTW_DATA_DIR, then the install data dir (<prefix>/share/dtwin), then
 * the source tree dtwin was built from (so a build tree works unmodified). */
#ifndef DTW_PATHS_H
#define DTW_PATHS_H

#include <stddef.h>

/* Resolve path into out. Returns 0 when an existing file or directory was
 * found, DTW_ENOENT (with the places tried in err) otherwise, DTW_ERANGE if
 * out is too small. An empty path resolves to an empty string (0). */
int dtw_path_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen);

#endif /* DTW_PATHS_H */
