/* mcap_read.c - the MCAP reader (dtw/mcap.h): every length is checked against
 * what is left before it is used, so hostile input ends in an error. */
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "dtw/err.h"
#include "dtw/mcap.h"
#include "mcap__internal.h"

typedef struct meta_rec {
  char *name;
  size_t n;
  char **kv;
} meta_rec_t;

struct dtw_mcap_reader {
  const uint8_t *data;
  size_t len;
  bool mapped;
  char name[200];
  char *profile;
  bool complete;
  uint64_t data_end;  /* where the data section stops (summary start or footer) */
  uint64_t pos;       /* next top-level record */
  bool done;
  int error;          /* latched error code */
  char errmsg[640];
  /* the open chunk */
  dtw__mbuf_t chunk;
  size_t chunk_pos;
  bool in_chunk;
  uint64_t chunk_off; /* file offset of the chunk record, for messages */
  ZSTD_DCtx *zd;
  LZ4F_dctx *lz;
  dtw_mcap_schema_t **schemas; /* by id (65536) */
  dtw_mcap_channel_t **chans;
  dtw_mcap_schema_t **schema_list;
  size_t n_schemas;
  dtw_mcap_channel_t **chan_list;
  size_t n_chans;
  meta_rec_t *meta;
  size_t n_meta;
  dtw_mcap_stats_t stats;
};

/* A bounds-checked view of one record's body. */
typedef struct cur {
  const uint8_t *p;
  size_t n;
  bool bad;
} cur_t;

static uint64_t c_u64(cur_t *c) {
  if (c->n < 8) { c->bad = true; c->n = 0; return 0; }
  uint64_t v = dtw__get_u64(c->p);
  c->p += 8; c->n -= 8;
  return v;
}
static uint32_t c_u32(cur_t *c) {
  if (c->n < 4) { c->bad = true; c->n = 0; return 0; }
  uint32_t v = dtw__get_u32(c->p);
  c->p += 4; c->n -= 4;
  return v;
}
static uint16_t c_u16(cur_t *c) {
  if (c->n < 2) { c->bad = true; c->n = 0; return 0; }
  uint16_t v = dtw__get_u16(c->p);
  c->p += 2; c->n -= 2;
  return v;
}
/* Bytes with a 32-bit length prefix; NULL (bad) if they do not fit. */
static const uint8_t *c_bytes32(cur_t *c, size_t *len) {
  uint32_t n = c_u32(c);
  if (c->bad || n > c->n) { c->bad = true; c->n = 0; *len = 0; return NULL; }
  const uint8_t *p = c->p;
  c->p += n; c->n -= n;
  *len = n;
  return p;
}
/* A NUL-terminated heap copy of a length-prefixed string. */
static char *c_strdup(cur_t *c) {
  size_t n;
  const uint8_t *p = c_bytes32(c, &n);
  if (!p) return NULL;
  char *s = malloc(n + 1);
  if (!s) { c->bad = true; return NULL; }
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

static int rfail(dtw_mcap_reader_t *r, char *err, size_t errlen, int code, uint64_t off,
                 int op, const char *what) {
  r->error = code;
  snprintf(r->errmsg, sizeof r->errmsg, "%s: offset %llu: %s record: %.200s", r->name,
           (unsigned long long)off, dtw_mcap_op_name(op), what);
  return dtw_errf(err, errlen, code, "%s", r->errmsg);
}

static void free_strs(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* A Map<string,string> into 2*n heap strings. */
static int c_map(cur_t *c, char ***out, size_t *n_out) {
  size_t blen;
  const uint8_t *b = c_bytes32(c, &blen);
  *out = NULL;
  *n_out = 0;
  if (!b) return -1;
  cur_t m = {b, blen, false};
  size_t cap = 0, n = 0;
  char **v = NULL;
  while (m.n && !m.bad) {
    if (n + 2 > cap) {
      cap = cap ? 2 * cap : 8;
      char **nv = realloc(v, cap * sizeof *nv);
      if (!nv) { free_strs(v, n); return -1; }
      v = nv;
    }
    v[n] = c_strdup(&m);
    if (!v[n]) break;
    n++;
    v[n] = c_strdup(&m);
    if (!v[n]) break;
    n++;
  }
  if (m.bad || n % 2) { free_strs(v, n); c->bad = true; return -1; }
  *out = v;
  *n_out = n / 2;
  return 0;
}

static int add_schema(dtw_mcap_reader_t *r, cur_t *c) {
  uint16_t id = c_u16(c);
  if (c->bad) return -1;
  if (id == 0) return -1; /* 0 means "no schema" */
  if (r->schemas[id]) return 0; /* summary copy of a known schema */
  dtw_mcap_schema_t *s = calloc(1, sizeof *s);
  dtw_mcap_schema_t **l = realloc(r->schema_list, (r->n_schemas + 1) * sizeof *l);
  if (!s || !l) { free(s); if (l) r->schema_list = l; return -2; }
  r->schema_list = l;
  s->id = id;
  s->name = c_strdup(c);
  s->encoding = c_strdup(c);
  size_t n;
  const uint8_t *d = c_bytes32(c, &n);
  if (!c->bad && (s->data = malloc(n + 1))) {
    if (n) memcpy(s->data, d, n);
    s->data[n] = 0;
    s->len = n;
  }
  if (c->bad || !s->name || !s->encoding || !s->data) {
    free(s->name); free(s->encoding); free(s->data); free(s);
    return -1;
  }
  r->schemas[id] = s;
  r->schema_list[r->n_schemas++] = s;
  return 0;
}

static int add_channel(dtw_mcap_reader_t *r, cur_t *c) {
  uint16_t id = c_u16(c);
  uint16_t sid = c_u16(c);
  if (c->bad) return -1;
  if (r->chans[id]) return 0;
  if (sid && !r->schemas[sid]) return -3;
  dtw_mcap_channel_t *ch = calloc(1, sizeof *ch);
  dtw_mcap_channel_t **l = realloc(r->chan_list, (r->n_chans + 1) * sizeof *l);
  if (!ch || !l) { free(ch); if (l) r->chan_list = l; return -2; }
  r->chan_list = l;
  ch->id = id;
  ch->schema_id = sid;
  ch->schema = sid ? r->schemas[sid] : NULL;
  ch->topic = c_strdup(c);
  ch->message_encoding = c_strdup(c);
  if (!c->bad) c_map(c, &ch->meta, &ch->n_meta);
  if (c->bad || !ch->topic || !ch->message_encoding) {
    free(ch->topic); free(ch->message_encoding); free_strs(ch->meta, 2 * ch->n_meta); free(ch);
    return -1;
  }
  r->chans[id] = ch;
  r->chan_list[r->n_chans++] = ch;
  return 0;
}

static int add_metadata(dtw_mcap_reader_t *r, cur_t *c) {
  meta_rec_t m = {0};
  m.name = c_strdup(c);
  if (m.name) c_map(c, &m.kv, &m.n);
  meta_rec_t *l = c->bad ? NULL : realloc(r->meta, (r->n_meta + 1) * sizeof *l);
  if (!l) { free(m.name); free_strs(m.kv, 2 * m.n); return -1; }
  r->meta = l;
  r->meta[r->n_meta++] = m;
  return 0;
}

/* Record header at off within [0, end): opcode and body. 0 ok, else the problem. */
static const char *rec_at(const uint8_t *base, uint64_t off, uint64_t end, int *op, cur_t *body) {
  if (end > off) *op = base[off];
  if (end - off < 9) return "truncated (record header cut short)";
  uint64_t n = dtw__get_u64(base + off + 1);
  if (n > end - off - 9) return "truncated (length runs past the end)";
  body->p = base + off + 9;
  body->n = (size_t)n;
  body->bad = false;
  return NULL;
}

/* Parse the summary section between start and end (the footer). */
static int read_summary(dtw_mcap_reader_t *r, uint64_t start, uint64_t end, char *err, size_t errlen) {
  uint64_t off = start;
  while (off < end) {
    int op = 0;
    cur_t c;
    const char *why = rec_at(r->data, off, end, &op, &c);
    if (why) return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
    uint64_t next = off + 9 + c.n;
    int rc = 0;
    if (op == DTW_MCAP_OP_SCHEMA) rc = add_schema(r, &c);
    else if (op == DTW_MCAP_OP_CHANNEL) rc = add_channel(r, &c);
    else if (op == DTW_MCAP_OP_STATISTICS) {
      dtw_mcap_stats_t *s = &r->stats;
      s->message_count = c_u64(&c);
      s->schema_count = c_u16(&c);
      s->channel_count = c_u32(&c);
      s->attachment_count = c_u32(&c);
      s->metadata_count = c_u32(&c);
      s->chunk_count = c_u32(&c);
      s->message_start_time = c_u64(&c);
      s->message_end_time = c_u64(&c);
      s->present = !c.bad;
      rc = c.bad ? -1 : 0;
    } else if (op == DTW_MCAP_OP_METADATA_INDEX) {
      uint64_t moff = c_u64(&c), mlen = c_u64(&c);
      int mop = 0;
      cur_t m;
      if (c.bad || moff >= r->data_end || rec_at(r->data, moff, r->data_end, &mop, &m) ||
          mop != DTW_MCAP_OP_METADATA || m.n + 9 != mlen)
        return rfail(r, err, errlen, DTW_EPARSE, off, op, "points at no Metadata record");
      rc = add_metadata(r, &m);
    }
    if (rc == -2) return rfail(r, err, errlen, DTW_ENOMEM, off, op, "out of memory");
    if (rc == -3) return rfail(r, err, errlen, DTW_EPARSE, off, op, "names an unknown schema");
    if (rc) return rfail(r, err, errlen, DTW_EPARSE, off, op, "malformed");
    off = next;
  }
  return 0;
}

static int open_common(dtw_mcap_reader_t *r, char *err, size_t errlen) {
  static const size_t footer_len = 9 + 20; /* opcode, length, 8 + 8 + 4 */
  if (!(r->schemas = calloc(65536, sizeof *r->schemas)) ||
      !(r->chans = calloc(65536, sizeof *r->chans)))
    return dtw_errf(err, errlen, DTW_ENOMEM, "%s: out of memory", r->name);
  if (r->len < DTW__MCAP_MAGIC_LEN || memcmp(r->data, DTW__MCAP_MAGIC, DTW__MCAP_MAGIC_LEN))
    return rfail(r, err, errlen, DTW_EPARSE, 0, DTW_MCAP_OP_HEADER, "no MCAP magic (not an MCAP file)");
  int op = 0;
  cur_t c;
  const char *why = rec_at(r->data, 8, r->len, &op, &c);
  if (why) return rfail(r, err, errlen, DTW_EPARSE, 8, DTW_MCAP_OP_HEADER, why);
  if (op != DTW_MCAP_OP_HEADER)
    return rfail(r, err, errlen, DTW_EPARSE, 8, op, "the first record is not a Header");
  r->profile = c_strdup(&c);
  if (!r->profile) return rfail(r, err, errlen, DTW_EPARSE, 8, op, "malformed profile");
  r->pos = 8;
  r->data_end = r->len;
  /* footer and summary, when the file ended properly */
  if (r->len >= 8 + footer_len + 8 && !memcmp(r->data + r->len - 8, DTW__MCAP_MAGIC, 8)) {
    uint64_t foff = r->len - 8 - footer_len;
    const uint8_t *f = r->data + foff;
    if (f[0] != DTW_MCAP_OP_FOOTER || dtw__get_u64(f + 1) != 20)
      return rfail(r, err, errlen, DTW_EPARSE, foff, DTW_MCAP_OP_FOOTER, "malformed footer before the closing magic");
    uint64_t sstart = dtw__get_u64(f + 9);
    uint32_t scrc = dtw__get_u32(f + 25);
    r->complete = true;
    r->data_end = foff;
    if (sstart) {
      if (sstart < 8 || sstart > foff)
        return rfail(r, err, errlen, DTW_EPARSE, foff, DTW_MCAP_OP_FOOTER, "summary start outside the file");
      if (scrc && dtw_mcap_crc32(0, r->data + sstart, (size_t)(foff + 25 - sstart)) != scrc)
        return rfail(r, err, errlen, DTW_EPARSE, foff, DTW_MCAP_OP_FOOTER, "summary CRC mismatch");
      r->data_end = sstart;
      int rc = read_summary(r, sstart, foff, err, errlen);
      if (rc) return rc;
    }
  }
  return 0;
}

int dtw_mcap_reader_open_mem(const void *data, size_t len, dtw_mcap_reader_t **out, char *err,
                             size_t errlen) {
  dtw_mcap_reader_t *r = calloc(1, sizeof *r);
  if (!r) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  r->data = data;
  r->len = len;
  snprintf(r->name, sizeof r->name, "<memory>");
  int rc = open_common(r, err, errlen);
  if (rc) { dtw_mcap_reader_close(r); return rc; }
  *out = r;
  return 0;
}

int dtw_mcap_reader_open(const char *path, dtw_mcap_reader_t **out, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return dtw_errf(err, errlen, DTW_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return dtw_errf(err, errlen, DTW_EIO, "%s: not a regular file", path);
  }
  dtw_mcap_reader_t *r = calloc(1, sizeof *r);
  if (!r) { close(fd); return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory"); }
  snprintf(r->name, sizeof r->name, "%s", path);
  r->len = (size_t)st.st_size;
  if (r->len) {
    void *m = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      close(fd);
      free(r);
      return dtw_errf(err, errlen, DTW_EIO, "%s: mmap: %s", path, strerror(errno));
    }
    madvise(m, r->len, MADV_SEQUENTIAL);
    r->data = m;
    r->mapped = true;
  } else {
    r->data = (const uint8_t *)"";
  }
  close(fd);
  int rc = open_common(r, err, errlen);
  if (rc) { dtw_mcap_reader_close(r); return rc; }
  *out = r;
  return 0;
}

void dtw_mcap_reader_close(dtw_mcap_reader_t *r) {
  if (!r) return;
  if (r->mapped) munmap((void *)r->data, r->len);
  for (size_t i = 0; i < r->n_schemas; i++) {
    free(r->schema_list[i]->name); free(r->schema_list[i]->encoding);
    free(r->schema_list[i]->data); free(r->schema_list[i]);
  }
  for (size_t i = 0; i < r->n_chans; i++) {
    dtw_mcap_channel_t *c = r->chan_list[i];
    free(c->topic); free(c->message_encoding); free_strs(c->meta, 2 * c->n_meta); free(c);
  }
  for (size_t i = 0; i < r->n_meta; i++) { free(r->meta[i].name); free_strs(r->meta[i].kv, 2 * r->meta[i].n); }
  free(r->meta);
  free(r->schema_list);
  free(r->chan_list);
  free(r->schemas);
  free(r->chans);
  free(r->profile);
  dtw__mbuf_free(&r->chunk);
  ZSTD_freeDCtx(r->zd);
  if (r->lz) LZ4F_freeDecompressionContext(r->lz);
  free(r);
}

/* Decompress a Chunk's records into r->chunk. */
static int open_chunk(dtw_mcap_reader_t *r, cur_t *c, uint64_t off, char *err, size_t errlen) {
  const int op = DTW_MCAP_OP_CHUNK;
  (void)c_u64(c); (void)c_u64(c); /* message start/end time */
  uint64_t usize = c_u64(c);
  uint32_t crc = c_u32(c);
  size_t clen;
  const uint8_t *comp = c_bytes32(c, &clen);
  uint64_t rlen = c_u64(c);
  if (c->bad || rlen > c->n) return rfail(r, err, errlen, DTW_EPARSE, off, op, "malformed or truncated");
  if (usize > DTW_MCAP_MAX_CHUNK_BYTES) {
    char why[96];
    snprintf(why, sizeof why, "oversized (%llu bytes uncompressed, limit %llu)",
             (unsigned long long)usize, (unsigned long long)DTW_MCAP_MAX_CHUNK_BYTES);
    return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
  }
  const uint8_t *src = c->p;
  r->chunk.len = 0;
  if (dtw__mbuf_reserve(&r->chunk, (size_t)usize + 1))
    return rfail(r, err, errlen, DTW_ENOMEM, off, op, "out of memory");
  if (clen == 0) {
    if (rlen != usize) return rfail(r, err, errlen, DTW_EPARSE, off, op, "uncompressed size mismatch");
    if (usize) memcpy(r->chunk.p, src, (size_t)usize);
  } else if (clen == 4 && !memcmp(comp, "zstd", 4)) {
    if (!r->zd && !(r->zd = ZSTD_createDCtx())) return rfail(r, err, errlen, DTW_ENOMEM, off, op, "out of memory");
    size_t n = ZSTD_decompressDCtx(r->zd, r->chunk.p, (size_t)usize, src, (size_t)rlen);
    if (ZSTD_isError(n) || n != usize) {
      char why[128];
      snprintf(why, sizeof why, "zstd data does not decompress to %llu bytes%s%s",
               (unsigned long long)usize, ZSTD_isError(n) ? ": " : "",
               ZSTD_isError(n) ? ZSTD_getErrorName(n) : "");
      return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
    }
  } else if (clen == 3 && !memcmp(comp, "lz4", 3)) {
    if (!r->lz && LZ4F_isError(LZ4F_createDecompressionContext(&r->lz, LZ4F_VERSION)))
      return rfail(r, err, errlen, DTW_ENOMEM, off, op, "out of memory");
    LZ4F_resetDecompressionContext(r->lz);
    size_t in_left = (size_t)rlen, out_pos = 0;
    const uint8_t *in = src;
    for (;;) {
      size_t dst_n = (size_t)usize - out_pos, src_n = in_left;
      size_t rc = LZ4F_decompress(r->lz, r->chunk.p + out_pos, &dst_n, in, &src_n, NULL);
      if (LZ4F_isError(rc)) {
        char why[128];
        snprintf(why, sizeof why, "lz4: %s", LZ4F_getErrorName(rc));
        return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
      }
      out_pos += dst_n;
      in += src_n;
      in_left -= src_n;
      if (rc == 0) break;
      if (src_n == 0 && dst_n == 0) break; /* no progress: input ended or output full */
    }
    if (out_pos != usize || in_left)
      return rfail(r, err, errlen, DTW_EPARSE, off, op, "lz4 data does not decompress to the stated size");
  } else {
    char why[96];
    snprintf(why, sizeof why, "unknown compression '%.*s'", (int)(clen > 32 ? 32 : clen), comp);
    return rfail(r, err, errlen, DTW_EUNSUP, off, op, why);
  }
  r->chunk.len = (size_t)usize;
  if (crc && dtw_mcap_crc32(0, r->chunk.p, r->chunk.len) != crc)
    return rfail(r, err, errlen, DTW_EPARSE, off, op, "CRC mismatch of the uncompressed records");
  r->chunk_pos = 0;
  r->chunk_off = off;
  r->in_chunk = true;
  return 0;
}

/* Handle one record (top level or in a chunk): 1 if it was a message. */
static int handle(dtw_mcap_reader_t *r, int op, cur_t *c, uint64_t off, dtw_mcap_message_t *msg,
                  char *err, size_t errlen) {
  int rc = 0;
  switch (op) {
  case DTW_MCAP_OP_SCHEMA: rc = add_schema(r, c); break;
  case DTW_MCAP_OP_CHANNEL: rc = add_channel(r, c); break;
  case DTW_MCAP_OP_METADATA: rc = add_metadata(r, c); break;
  case DTW_MCAP_OP_MESSAGE: {
    uint16_t ch = c_u16(c);
    msg->sequence = c_u32(c);
    msg->log_time = c_u64(c);
    msg->publish_time = c_u64(c);
    if (c->bad) return rfail(r, err, errlen, DTW_EPARSE, off, op, "shorter than its fixed fields");
    if (!r->chans[ch]) {
      char why[64];
      snprintf(why, sizeof why, "channel %u was not defined before it", ch);
      return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
    }
    msg->channel = r->chans[ch];
    msg->data = c->p;
    msg->len = c->n;
    return 1;
  }
  default: return 0; /* indexes, attachments, unknown opcodes: skipped (spec) */
  }
  if (rc == -2) return rfail(r, err, errlen, DTW_ENOMEM, off, op, "out of memory");
  if (rc == -3) return rfail(r, err, errlen, DTW_EPARSE, off, op, "names an unknown schema");
  if (rc) return rfail(r, err, errlen, DTW_EPARSE, off, op, "malformed");
  return 0;
}

int dtw_mcap_next(dtw_mcap_reader_t *r, dtw_mcap_message_t *msg, char *err, size_t errlen) {
  if (r->error) return dtw_errf(err, errlen, r->error, "%s", r->errmsg);
  for (;;) {
    if (r->in_chunk) {
      if (r->chunk_pos >= r->chunk.len) { r->in_chunk = false; continue; }
      int op = 0;
      cur_t c;
      const char *why = rec_at(r->chunk.p, r->chunk_pos, r->chunk.len, &op, &c);
      if (why) {
        char w2[160];
        snprintf(w2, sizeof w2, "inner record at %zu: %s", r->chunk_pos, why);
        return rfail(r, err, errlen, DTW_EPARSE, r->chunk_off, DTW_MCAP_OP_CHUNK, w2);
      }
      r->chunk_pos += 9 + c.n;
      int rc = handle(r, op, &c, r->chunk_off, msg, err, errlen);
      if (rc) return rc;
      continue;
    }
    if (r->done || r->pos >= r->data_end) return 0;
    uint64_t off = r->pos;
    int op = 0;
    cur_t c;
    const char *why = rec_at(r->data, off, r->data_end, &op, &c);
    if (why) return rfail(r, err, errlen, DTW_EPARSE, off, op, why);
    r->pos = off + 9 + c.n;
    if (op == DTW_MCAP_OP_CHUNK) {
      int rc = open_chunk(r, &c, off, err, errlen);
      if (rc) return rc;
      continue;
    }
    if (op == DTW_MCAP_OP_DATA_END) {
      uint32_t crc = c_u32(&c);
      if (crc && dtw_mcap_crc32(0, r->data, (size_t)off) != crc)
        return rfail(r, err, errlen, DTW_EPARSE, off, op, "data section CRC mismatch");
      r->done = true;
      return 0;
    }
    if (op == DTW_MCAP_OP_FOOTER) { r->done = true; return 0; }
    if (op == DTW_MCAP_OP_HEADER) continue;
    int rc = handle(r, op, &c, off, msg, err, errlen);
    if (rc) return rc;
  }
}

void dtw_mcap_rewind(dtw_mcap_reader_t *r) {
  r->pos = 8;
  r->done = false;
  r->in_chunk = false;
  r->error = 0;
}

size_t dtw_mcap_channel_count(const dtw_mcap_reader_t *r) { return r->n_chans; }
const dtw_mcap_channel_t *dtw_mcap_channel_at(const dtw_mcap_reader_t *r, size_t i) {
  return i < r->n_chans ? r->chan_list[i] : NULL;
}
const dtw_mcap_channel_t *dtw_mcap_channel_by_topic(const dtw_mcap_reader_t *r, const char *topic) {
  for (size_t i = 0; i < r->n_chans; i++)
    if (!strcmp(r->chan_list[i]->topic, topic)) return r->chan_list[i];
  return NULL;
}
size_t dtw_mcap_schema_count(const dtw_mcap_reader_t *r) { return r->n_schemas; }
const dtw_mcap_schema_t *dtw_mcap_schema_at(const dtw_mcap_reader_t *r, size_t i) {
  return i < r->n_schemas ? r->schema_list[i] : NULL;
}
const dtw_mcap_stats_t *dtw_mcap_reader_stats(const dtw_mcap_reader_t *r) { return &r->stats; }
const char *dtw_mcap_reader_profile(const dtw_mcap_reader_t *r) { return r->profile; }
bool dtw_mcap_reader_complete(const dtw_mcap_reader_t *r) { return r->complete; }

const char *dtw_mcap_metadata(dtw_mcap_reader_t *r, const char *name, const char *key) {
  for (size_t i = 0; i < r->n_meta; i++) {
    if (strcmp(r->meta[i].name, name)) continue;
    for (size_t k = 0; k < r->meta[i].n; k++)
      if (!strcmp(r->meta[i].kv[2 * k], key)) return r->meta[i].kv[2 * k + 1];
  }
  return NULL;
}
