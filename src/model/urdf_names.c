/* Name lookup for URDF links and joints in constant time (model__urdf.h): a
 * description with thousands of links is checked in linear time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model__urdf.h"

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s != '\0'; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

int dtw__name_index_init(dtw__name_index_t *ix, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  ix->slot = malloc(cap * sizeof *ix->slot);
  if (ix->slot == NULL) return -1;
  memset(ix->slot, 0xff, cap * sizeof *ix->slot); /* every slot -1: empty */
  ix->mask = cap - 1;
  return 0;
}

void dtw__name_index_fini(dtw__name_index_t *ix) {
  free(ix->slot);
  ix->slot = NULL;
}

/* names[i] is entry i's name; stride: bytes between consecutive entries. */
static const char *name_at(const void *entries, size_t stride, int32_t i) {
  return *(char *const *)((const char *)entries + (size_t)i * stride);
}

int dtw__name_index_put(dtw__name_index_t *ix, const void *entries, size_t stride, int32_t i) {
  const char *name = name_at(entries, stride, i);
  for (size_t k = fnv1a(name) & ix->mask;; k = (k + 1) & ix->mask) {
    if (ix->slot[k] < 0) {
      ix->slot[k] = i;
      return -1;
    }
    if (strcmp(name_at(entries, stride, ix->slot[k]), name) == 0) return ix->slot[k];
  }
}

int dtw__name_index_get(const dtw__name_index_t *ix, const void *entries, size_t stride,
                        const char *name) {
  if (ix->slot == NULL) return -1;
  for (size_t k = fnv1a(name) & ix->mask;; k = (k + 1) & ix->mask) {
    if (ix->slot[k] < 0) return -1;
    if (strcmp(name_at(entries, stride, ix->slot[k]), name) == 0) return ix->slot[k];
  }
}
