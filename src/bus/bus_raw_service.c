/* Raw-CDR services and clients in the rmw_cyclonedds request/reply form
 * (see bus_service.c for the scheme): the bridge passes service payloads
 * through without knowing their layout. Every service IDL in idl/ starts with
 * the request header members {uint64 guid; int64 seq}, so a sample's first 16
 * bytes are the header and the wire form is
 *   encapsulation (4) | guid (8) | seq (8) | message ...
 * Stripping or inserting those 16 bytes keeps the message's alignment (the
 * header is a multiple of the maximum CDR alignment, 8). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus__svc.h"
#include "dtw/bus_raw.h"
#include "dtw/err.h"

/* Endpoint destructors as the node sees them (dtw__ep_t.destroy). */
static void raw_client_ep_destroy(dtw__ep_t *ep) {
  dtw_raw_client_destroy((dtw_raw_client_t *)ep);
}
static void raw_srv_ep_destroy(dtw__ep_t *ep) { dtw_raw_srv_destroy((dtw_raw_srv_t *)ep); }

typedef struct raw_io {
  const dtw__type_t *type;
  const dds_topic_descriptor_t *in_desc, *out_desc; /* request/reply by side */
  dds_entity_t reader, writer;
  dtw_raw_notify_t notify;
  void *user;
  void *in_sample, *out_sample; /* reused: Cyclone/deserializer keep their buffers */
  uint8_t *wire, *scratch;      /* send path: header inserted, then normalised */
  size_t wire_cap;
  char service[DTW_ROS_NAME_BUF];
} raw_io_t;

struct dtw_raw_client {
  dtw__ep_t ep; /* first: the endpoint list holds &cli->ep */
  raw_io_t io;
  dds_instance_handle_t guid;
};

struct dtw_raw_srv {
  dtw__ep_t ep;
  raw_io_t io;
  dtw__svc_ok_t ok;
};

static atomic_int_least64_t raw_request_seq;

static void put_u64(uint8_t *p, uint64_t v, bool le) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (le ? 8 * i : 56 - 8 * i));
}

static void on_data(dds_entity_t reader, void *arg) {
  (void)reader;
  raw_io_t *io = arg;
  if (io->notify) io->notify(io->user);
}

static void io_fini(raw_io_t *io) {
  if (io->reader > 0) dds_delete(io->reader); /* waits for a running listener */
  if (io->writer > 0) dds_delete(io->writer);
  if (io->in_sample) dds_sample_free(io->in_sample, io->in_desc, DDS_FREE_ALL);
  if (io->out_sample) dds_sample_free(io->out_sample, io->out_desc, DDS_FREE_ALL);
  free(io->wire);
  free(io->scratch);
}

/* Writer and reader of a service (server) or client, with the notify listener. */
static int io_init(raw_io_t *io, dtw_bus_node_t *node, const char *service, const char *type,
                   bool server, dtw_raw_notify_t notify, void *user, char *err, size_t errlen) {
  dds_listener_t *l = NULL;
  int rc;
  memset(io, 0, sizeof *io);
  io->type = dtw__type_find(type, true);
  if (io->type == NULL)
    return dtw_errf(err, errlen, DTW_EUNSUP, "service type '%s': no IDL for it in the bus",
                    type ? type : "(null)");
  io->notify = notify;
  io->user = user;
  /* server reads requests and writes replies; a client the other way round */
  io->in_desc = server ? io->type->desc : io->type->desc2;
  io->out_desc = server ? io->type->desc2 : io->type->desc;
  io->in_sample = calloc(1, io->in_desc->m_size);
  io->out_sample = calloc(1, io->out_desc->m_size);
  if (io->in_sample == NULL || io->out_sample == NULL || (l = dds_create_listener(io)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
    goto fail;
  }
  dds_lset_data_available(l, on_data);
  rc = dtw__svc_pair_create(node, service, io->type, server, l, io->service, sizeof io->service,
                            &io->writer, &io->reader, err, errlen);
  dds_delete_listener(l);
  if (rc == 0) return 0;
fail:
  io_fini(io);
  io->in_sample = io->out_sample = NULL;
  io->wire = io->scratch = NULL;
  return rc;
}

/* Insert the request header into msg (encapsulation + message) and read the
 * result into the outgoing sample. */
static int io_prepare(raw_io_t *io, const dds_topic_descriptor_t *desc, const void *cdr,
                      size_t len, uint64_t guid, int64_t seq, char *err, size_t errlen) {
  const uint8_t *in = cdr;
  if (!dtw__cdr_plain(cdr, len) || len > UINT32_MAX - 32)
    return dtw_errf(err, errlen, DTW_EPARSE,
                    "%s: payload is not plain CDR with an encapsulation header", io->service);
  size_t body = len - 4, need = 4 + DTW__SRV_HEADER_BYTES + (body == 0 ? 1 : body);
  if (need > io->wire_cap) {
    uint8_t *w = realloc(io->wire, need), *s = w ? realloc(io->scratch, need) : NULL;
    if (w) io->wire = w;
    if (s) io->scratch = s;
    if (w == NULL || s == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    io->wire_cap = need;
  }
  bool le = in[1] == 0x01;
  memcpy(io->wire, in, 4);
  put_u64(io->wire + 4, guid, le);
  put_u64(io->wire + 12, (uint64_t)seq, le);
  if (body == 0)
    io->wire[20] = 0; /* the member rosidl gives empty structs */
  else
    memcpy(io->wire + 20, in + 4, body);
  int rc = dtw__deserialize(desc, io->wire, need, io->out_sample, io->scratch, io->wire_cap);
  if (rc < 0)
    return dtw_errf(err, errlen, rc, "%s: payload is not a valid %s %s", io->service,
                    io->type->ros_name, desc == io->type->desc ? "request" : "response");
  return 0;
}

/* Take one sample of the incoming side; serialize it without the request
 * header into buf. 1 taken, 0 none, < 0 error. */
static int io_take(raw_io_t *io, const dds_topic_descriptor_t *desc, dtw_cdr_buf_t *buf,
                   uint64_t *guid, int64_t *seq, uint64_t *writer) {
  dds_sample_info_t info;
  int rc = dtw__svc_take(io->reader, io->in_sample, &info);
  if (rc <= 0) return rc;
  const uint8_t *s = io->in_sample;
  memcpy(guid, s, sizeof *guid); /* header members first: see idl/std_srvs.idl */
  memcpy(seq, s + 8, sizeof *seq);
  *writer = info.publication_handle;
  uint8_t *wire = NULL;
  size_t len = 0;
  if ((rc = dtw__serialize(desc, io->in_sample, &wire, &len)) < 0) return rc;
  if (len < 4 + DTW__SRV_HEADER_BYTES) {
    free(wire);
    return DTW_EPARSE;
  }
  size_t out_len = len - DTW__SRV_HEADER_BYTES;
  if (out_len > buf->cap) {
    uint8_t *p = realloc(buf->data, out_len);
    if (p == NULL) {
      free(wire);
      return DTW_ENOMEM;
    }
    buf->data = p;
    buf->cap = out_len;
  }
  memcpy(buf->data, wire, 4);
  memcpy(buf->data + 4, wire + 4 + DTW__SRV_HEADER_BYTES, out_len - 4);
  buf->len = out_len;
  free(wire);
  return 1;
}

/* ---- client -------------------------------------------------------------- */

int dtw_raw_client_create(dtw_bus_node_t *node, const char *service, const char *type,
                          dtw_raw_notify_t notify, void *user, dtw_raw_client_t **out,
                          char *err, size_t errlen) {
  dtw_raw_client_t *cli = calloc(1, sizeof *cli);
  if (cli == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "client '%s': out of memory", service);
  int rc = io_init(&cli->io, node, service, type, false, notify, user, err, errlen);
  if (rc < 0) goto fail;
  dds_return_t drc = dds_get_instance_handle(cli->io.writer, &cli->guid);
  if (drc < 0) {
    rc = dtw__dds_err(err, errlen, drc, "writer instance handle", service);
    goto fail_io;
  }
  cli->ep.destroy = raw_client_ep_destroy;
  if ((rc = dtw__ep_register(node, &cli->ep, cli->io.reader, cli->io.writer, err, errlen)) < 0)
    goto fail_io;
  *out = cli;
  return 0;
fail_io:
  io_fini(&cli->io);
fail:
  free(cli);
  return rc;
}

void dtw_raw_client_destroy(dtw_raw_client_t *cli) {
  if (cli == NULL) return;
  dtw__ep_unregister(&cli->ep);
  io_fini(&cli->io);
  free(cli);
}

int dtw_raw_client_ready(const dtw_raw_client_t *cli) {
  return dtw__svc_matched(cli->io.writer, cli->io.reader);
}

int dtw_raw_client_send(dtw_raw_client_t *cli, const void *cdr, size_t len, int64_t *seq,
                        char *err, size_t errlen) {
  int64_t s = atomic_fetch_add(&raw_request_seq, 1) + 1;
  int rc = io_prepare(&cli->io, cli->io.type->desc, cdr, len, cli->guid, s, err, errlen);
  if (rc < 0) return rc;
  dds_return_t drc = dds_write(cli->io.writer, cli->io.out_sample);
  if (drc < 0) return dtw__dds_err(err, errlen, drc, "write request", cli->io.service);
  if (seq) *seq = s;
  return 0;
}

int dtw_raw_client_take(dtw_raw_client_t *cli, dtw_cdr_buf_t *reply, int64_t *seq) {
  for (;;) {
    uint64_t guid, writer;
    int rc = io_take(&cli->io, cli->io.type->desc2, reply, &guid, seq, &writer);
    if (rc <= 0) return rc;
    if (guid == cli->guid) return 1; /* replies to other clients share the topic */
  }
}

/* ---- server -------------------------------------------------------------- */

int dtw_raw_srv_create(dtw_bus_node_t *node, const char *service, const char *type,
                       dtw_raw_notify_t notify, void *user, dtw_raw_srv_t **out, char *err,
                       size_t errlen) {
  dtw_raw_srv_t *srv = calloc(1, sizeof *srv);
  if (srv == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
  int rc = io_init(&srv->io, node, service, type, true, notify, user, err, errlen);
  if (rc < 0) goto fail;
  srv->ep.destroy = raw_srv_ep_destroy;
  if ((rc = dtw__ep_register(node, &srv->ep, srv->io.reader, srv->io.writer, err, errlen)) < 0) {
    io_fini(&srv->io);
    goto fail;
  }
  *out = srv;
  return 0;
fail:
  free(srv);
  return rc;
}

void dtw_raw_srv_destroy(dtw_raw_srv_t *srv) {
  if (srv == NULL) return;
  dtw__ep_unregister(&srv->ep);
  io_fini(&srv->io);
  free(srv);
}

int dtw_raw_srv_take(dtw_raw_srv_t *srv, dtw_cdr_buf_t *request, dtw_raw_request_id_t *id) {
  return io_take(&srv->io, srv->io.type->desc, request, &id->guid, &id->seq, &id->writer);
}

int dtw_raw_srv_reply(dtw_raw_srv_t *srv, const dtw_raw_request_id_t *id, const void *cdr,
                      size_t len, char *err, size_t errlen) {
  int rc = io_prepare(&srv->io, srv->io.type->desc2, cdr, len, id->guid, id->seq, err, errlen);
  if (rc < 0) return rc;
  /* look once: this call does not block, the caller retries on DTW_EBUSY */
  if ((rc = dtw__svc_client_ready(&srv->ok, srv->io.reader, srv->io.writer, id->writer, 0)) < 0)
    return dtw_errf(err, errlen, rc, "%s: %s", srv->io.service,
                    rc == DTW_EBUSY ? "client's reply reader not matched yet" : "client gone");
  dds_return_t drc = dds_write(srv->io.writer, srv->io.out_sample);
  if (drc < 0) return dtw__dds_err(err, errlen, drc, "write reply", srv->io.service);
  return 0;
}
