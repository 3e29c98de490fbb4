/* dtw/file.h - read an input file whole, safely.
 *
 * Every file dtwin reads as input (robot descriptions, xacro includes, YAML
 * configuration, controllers, motions) goes through here: only regular files
 * (a FIFO or a device is refused at once instead of blocking or never ending),
 * at most max_bytes, and one error line naming the path. */
#ifndef DTW_FILE_H
#define DTW_FILE_H

#include <stddef.h>

/* Default bound for input documents: far above any robot description or
 * configuration, far below what would hurt the machine. */
#define DTW_FILE_MAX_INPUT ((size_t)64 << 20)

/* Read path into a NUL-terminated buffer (*out, caller frees; *len without the
 * NUL, len may be NULL). Returns 0, or DTW_ENOENT (missing), DTW_EIO (not a
 * regular file, read error), DTW_ERANGE (larger than max_bytes; 0 = no limit)
 * or DTW_ENOMEM, with "PATH: reason" in err. Allocates; any thread. */
int dtw_file_read(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                  size_t errlen);

#endif /* DTW_FILE_H */
