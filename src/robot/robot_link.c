/* Robot emulator, the link: random numbers (noise, jitter, loss) and the
 * transport delay queue. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "robot__emu.h"

/* ---- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void dtw__rng_seed(dtw__rng_t *r, uint64_t seed) {
  /* splitmix64 never yields an all-zero xoshiro state from four draws */
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->have_spare = false;
  r->spare = 0;
}

uint64_t dtw__rng_next(dtw__rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double dtw__rng_uniform(dtw__rng_t *r) {
  return (double)(dtw__rng_next(r) >> 11) * 0x1.0p-53;
}

double dtw__rng_normal(dtw__rng_t *r) {
  if (r->have_spare) {
    r->have_spare = false;
    return r->spare;
  }
  /* u1 in (0, 1] so the log is finite */
  double u1 = 1.0 - dtw__rng_uniform(r);
  double u2 = dtw__rng_uniform(r);
  double mag = sqrt(-2.0 * log(u1));
  double a = 2.0 * M_PI * u2;
  r->spare = mag * sin(a);
  r->have_spare = true;
  return mag * cos(a);
}

bool dtw__rng_bernoulli(dtw__rng_t *r, double p) {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  return dtw__rng_uniform(r) < p;
}

/* ---- delay queue -------------------------------------------------------- */

int dtw__delay_queue_init(dtw__delay_queue_t *q, size_t cap, size_t width) {
  memset(q, 0, sizeof *q);
  if (cap == 0 || width == 0) return DTW_EINVAL;
  q->due_s = calloc(cap, sizeof(double));
  q->stamp_s = calloc(cap, sizeof(double));
  q->values = calloc(cap * width, sizeof(double));
  if (q->due_s == NULL || q->stamp_s == NULL || q->values == NULL) {
    dtw__delay_queue_fini(q);
    return DTW_ENOMEM;
  }
  q->cap = cap;
  q->width = width;
  q->last_due_s = -INFINITY;
  return 0;
}

void dtw__delay_queue_fini(dtw__delay_queue_t *q) {
  free(q->due_s);
  free(q->stamp_s);
  free(q->values);
  memset(q, 0, sizeof *q);
}

double *dtw__delay_queue_push(dtw__delay_queue_t *q, double stamp_s, double due_s) {
  if (q->count == q->cap) return NULL;
  size_t slot = (q->head + q->count) % q->cap;
  if (due_s < q->last_due_s) due_s = q->last_due_s;
  q->last_due_s = due_s;
  q->due_s[slot] = due_s;
  q->stamp_s[slot] = stamp_s;
  q->count++;
  return q->values + slot * q->width;
}

const double *dtw__delay_queue_pop_due(dtw__delay_queue_t *q, double now_s, double *stamp_s) {
  if (q->count == 0 || q->due_s[q->head] > now_s) return NULL;
  size_t slot = q->head;
  q->head = (q->head + 1) % q->cap;
  q->count--;
  if (stamp_s != NULL) *stamp_s = q->stamp_s[slot];
  return q->values + slot * q->width;
}

void dtw__delay_queue_clear(dtw__delay_queue_t *q) {
  q->head = 0;
  q->count = 0;
  q->last_due_s = -INFINITY;
}
