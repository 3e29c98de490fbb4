/* mcap__internal.h - byte helpers shared by the MCAP writer and reader. */
#ifndef DTW_MCAP__INTERNAL_H
#define DTW_MCAP__INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DTW__MCAP_MAGIC "\x89MCAP0\r\n"
#define DTW__MCAP_MAGIC_LEN 8

/* A growable byte buffer. */
typedef struct dtw__mbuf {
  uint8_t *p;
  size_t len, cap;
} dtw__mbuf_t;

int dtw__mbuf_reserve(dtw__mbuf_t *b, size_t extra);
void dtw__mbuf_free(dtw__mbuf_t *b);

/* Appends; the caller reserved the space first. */
static inline void dtw__put_u8(dtw__mbuf_t *b, uint8_t v) { b->p[b->len++] = v; }
static inline void dtw__put_u16(dtw__mbuf_t *b, uint16_t v) {
  for (int i = 0; i < 2; i++) b->p[b->len++] = (uint8_t)(v >> (8 * i));
}
static inline void dtw__put_u32(dtw__mbuf_t *b, uint32_t v) {
  for (int i = 0; i < 4; i++) b->p[b->len++] = (uint8_t)(v >> (8 * i));
}
static inline void dtw__put_u64(dtw__mbuf_t *b, uint64_t v) {
  for (int i = 0; i < 8; i++) b->p[b->len++] = (uint8_t)(v >> (8 * i));
}
static inline void dtw__put_bytes(dtw__mbuf_t *b, const void *d, size_t n) {
  if (n) memcpy(b->p + b->len, d, n);
  b->len += n;
}
static inline void dtw__put_str(dtw__mbuf_t *b, const char *s) {
  size_t n = strlen(s);
  dtw__put_u32(b, (uint32_t)n);
  dtw__put_bytes(b, s, n);
}
static inline void dtw__set_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void dtw__set_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t dtw__get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t dtw__get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t dtw__get_u64(const uint8_t *p) {
  return (uint64_t)dtw__get_u32(p) | (uint64_t)dtw__get_u32(p + 4) << 32;
}

#endif /* DTW_MCAP__INTERNAL_H */
