/* Error codes: text and names generated from DTW_ERRNO_MAP. */
#include "dtw/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *dtw_strerror(int code) {
  switch (code) {
#define DTW__ERR_TEXT(name, value, text) \
  case value:                            \
    return text;
    DTW_ERRNO_MAP(DTW__ERR_TEXT)
#undef DTW__ERR_TEXT
  case 0:
    return "success";
  default:
    return "unknown error";
  }
}

const char *dtw_err_name(int code) {
  switch (code) {
#define DTW__ERR_NAME(name, value, text) \
  case value:                            \
    return "DTW_" #name;
    DTW_ERRNO_MAP(DTW__ERR_NAME)
#undef DTW__ERR_NAME
  case 0:
    return "DTW_OK";
  default:
    return "DTW_EUNKNOWN";
  }
}

int dtw_errf(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err != NULL && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}
