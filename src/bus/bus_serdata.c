/* Cyclone serdata access (the ddsi headers need GNU C for
 * their inline atomics, so CMakeLists.txt compiles it with -std=gnu11). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dds/ddsi/ddsi_serdata.h>
#include <dds/ddsi/ddsi_sertype.h>

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

/* ---- writing CDR as it is ---------------------------------------------------
 * dds_writecdr takes a serdata of any sertype: when it is not the writer's, it
 * asks the serdata for its bytes (to_ser_ref) and builds the writer's own
 * serdata from them (copy + normalise, which validates), never a sample. So a
 * serdata that only points at the caller's bytes is all a raw publisher needs:
 * no sertype of ours is registered with a domain, and this serdata lives on the
 * caller's stack for the duration of the call. */
typedef struct {
  struct ddsi_serdata c;
  const unsigned char *bytes;
  uint32_t size;
} cdr_view_t;

static uint32_t view_size(const struct ddsi_serdata *d) { return ((const cdr_view_t *)d)->size; }

static void view_to_ser(const struct ddsi_serdata *d, size_t off, size_t sz, void *buf) {
  memcpy(buf, ((const cdr_view_t *)d)->bytes + off, sz);
}

static struct ddsi_serdata *view_to_ser_ref(const struct ddsi_serdata *d, size_t off, size_t sz,
                                            ddsrt_iovec_t *ref) {
  ref->iov_base = (void *)(((const cdr_view_t *)d)->bytes + off);
  ref->iov_len = (ddsrt_iov_len_t)sz;
  return ddsi_serdata_ref(d);
}

static void view_to_ser_unref(struct ddsi_serdata *d, const ddsrt_iovec_t *ref) {
  (void)ref;
  ddsi_serdata_unref(d);
}

/* the view is on the caller's stack: nothing to free when its count drops */
static void view_free(struct ddsi_serdata *d) { (void)d; }

static void view_type_free(struct ddsi_sertype *t) { (void)t; }

static const struct ddsi_serdata_ops view_serdata_ops = {
    .get_size = view_size,
    .to_ser = view_to_ser,
    .to_ser_ref = view_to_ser_ref,
    .to_ser_unref = view_to_ser_unref,
    .free = view_free,
};

static const struct ddsi_sertype_ops view_sertype_ops = {
    .version = ddsi_sertype_v0,
    .free = view_type_free,
};

static struct ddsi_sertype view_type;
static pthread_once_t view_type_once = PTHREAD_ONCE_INIT;

static void view_type_init(void) {
  ddsi_sertype_init(&view_type, "dtwin::cdr_view", &view_sertype_ops, &view_serdata_ops, true);
}

dds_return_t dtw__write_cdr(dds_entity_t writer, const void *cdr, size_t len) {
  if (cdr == NULL || len < 4 || len > UINT32_MAX) return DDS_RETCODE_BAD_PARAMETER;
  pthread_once(&view_type_once, view_type_init);
  cdr_view_t v;
  ddsi_serdata_init(&v.c, &view_type, SDK_DATA);
  v.bytes = cdr;
  v.size = (uint32_t)len;
  /* dds_writecdr consumes one reference: the count ends at 0 (view_free) or,
   * if it returns early, at 1; either way nothing outlives this call */
  return dds_writecdr(writer, &v.c);
}
