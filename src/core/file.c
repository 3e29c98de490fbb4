/* Whole-file reads of regular files (dtw/file.h). */
#define _POSIX_C_SOURCE 200809L
#include "dtw/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtw/err.h"

int dtw_file_read(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                  size_t errlen) {
  if (path == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_file_read: path and out are required");
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; we refuse it below */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return dtw_errf(err, errlen, e == ENOENT || e == ENOTDIR ? DTW_ENOENT : DTW_EIO,
                    "%s: cannot open: %s", path, strerror(e));
  }
  int rc = 0;
  char *buf = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = dtw_errf(err, errlen, DTW_EIO, "%s: not a regular file", path);
    goto out;
  }
  size_t size = (size_t)st.st_size;
  if (max_bytes > 0 && size > max_bytes) {
    rc = dtw_errf(err, errlen, DTW_ERANGE, "%s: %zu bytes, more than the %zu allowed", path,
                  size, max_bytes);
    goto out;
  }
  buf = malloc(size + 1);
  if (buf == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", path);
    goto out;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = dtw_errf(err, errlen, DTW_EIO, "%s: read error: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0) break; /* the file shrank meanwhile: take what is there */
    got += (size_t)n;
  }
  buf[got] = '\0';
  *out = buf;
  buf = NULL;
  if (len != NULL) *len = got;
out:
  free(buf);
  close(fd);
  return rc;
}
