/* Cyclone serdata access (the ddsi headers need GNU C for
 * their inline atomics, so CMakeLists.txt compiles it with -std=gnu11). */
#include <stdlib.h>

#include <dds/ddsi/ddsi_serdata.h>

#include "bus__internal.h"

dds_return_t dtw__take_serialized(dds_entity_t reader, dtw_cdr_buf_t *buf, bool grow, bool *valid,
                                  size_t *size) {
  struct ddsi_serdata *sd = NULL;
  dds_sample_info_t info;
  dds_return_t n = dds_takecdr(reader, &sd, 1, &info, DDS_ANY_STATE);
  if (n <= 0) return n;
  *valid = info.valid_data;
  *size = 0;
  if (info.valid_data) {
    /* the serialized form starts with the 4-byte encapsulation header */
    size_t sz = ddsi_serdata_size(sd);
    if (sz > buf->cap && grow) {
      uint8_t *p = realloc(buf->data, sz);
      if (p != NULL) {
        buf->data = p;
        buf->cap = sz;
      }
    }
    *size = sz;
    if (sz <= buf->cap) {
      ddsi_serdata_to_ser(sd, 0, sz, buf->data);
      buf->len = sz;
    }
  }
  ddsi_serdata_unref(sd);
  return n;
}

dds_return_t dtw__take_cdr_each(dds_entity_t reader, uint32_t max, dtw__cdr_fn_t fn, void *arg) {
  struct ddsi_serdata *sds[DTW__TAKE_BATCH];
  dds_sample_info_t infos[DTW__TAKE_BATCH];
  if (max > DTW__TAKE_BATCH) max = DTW__TAKE_BATCH;
  /* one take for many samples: one reader lock round trip, no sample copies */
  dds_return_t n = dds_takecdr(reader, sds, max, infos, DDS_ANY_STATE);
  for (dds_return_t i = 0; i < n; i++) {
    if (infos[i].valid_data) {
      ddsrt_iovec_t ref;
      size_t sz = ddsi_serdata_size(sds[i]);
      /* the default serdata is contiguous: a reference, not a copy */
      struct ddsi_serdata *held = ddsi_serdata_to_ser_ref(sds[i], 0, sz, &ref);
      fn(ref.iov_base, ref.iov_len, true, infos[i].publication_handle, arg);
      ddsi_serdata_to_ser_unref(held, &ref);
    } else {
      fn(NULL, 0, false, infos[i].publication_handle, arg);
    }
    ddsi_serdata_unref(sds[i]);
  }
  return n;
}
