/* dtw/err.h - error codes shared by every dtwin module.
 *
 * Every public function that can fail returns int: 0 (or a non-negative count)
 * on success, a negative DTW_E* code on failure. Functions that can explain a
 * failure also take `char *err, size_t errlen` and write a one-line message
 * there naming what failed and where ("model.urdf:42: joint 'knee' has no
 * <parent>"). err may be NULL when the caller does not want the text.
 * On failure the object passed in is left as it was before the call. */
#ifndef DTW_ERR_H
#define DTW_ERR_H

#include <stddef.h>

/* X(name, value, description) - the one list; dtw_strerror/dtw_err_name come from it. */
#define DTW_ERRNO_MAP(X)                                              \
  X(EINVAL, -1, "invalid argument")                                   \
  X(ENOMEM, -2, "out of memory")                                      \
  X(EIO, -3, "input/output error")                                    \
  X(ENOENT, -4, "no such file or entry")                              \
  X(EPARSE, -5, "malformed input")                                    \
  X(ERANGE, -6, "value out of range")                                 \
  X(EUNSUP, -7, "unsupported construct")                              \
  X(ETIMEDOUT, -8, "timed out")                                       \
  X(ESTATE, -9, "operation not valid in the current state")           \
  X(EMODEL, -10, "robot model error")                                 \
  X(EDDS, -11, "DDS error")                                           \
  X(EFULL, -12, "capacity exceeded")                                  \
  X(EBUSY, -13, "resource busy")                                      \
  X(ESIM, -14, "physics engine error")

enum dtw_errno {
#define DTW__ERR_ENUM(name, value, text) DTW_##name = value,
  DTW_ERRNO_MAP(DTW__ERR_ENUM)
#undef DTW__ERR_ENUM
};

/* Text for an error code ("invalid argument"); never NULL. */
const char *dtw_strerror(int code);
/* Symbolic name of an error code ("DTW_EINVAL"); never NULL. */
const char *dtw_err_name(int code);

/* Format a message into err (if err != NULL and errlen > 0) and return code.
 * Lets a failure path read `return dtw_errf(err, errlen, DTW_EPARSE, "...", ...);` */
int dtw_errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* DTW_ERR_H */
