/* Raw-CDR services and clients in the rmw_cyclonedds request/reply form
 * (see bus_service.c for the scheme): the bridge passes service payloads
 * through without knowing their layout. Every service IDL in idl/ starts with
 * the request header members {uint64 guid; int64 seq}, so a sample's first 16
 * bytes are the header and the wire form is
 *   encapsulation (4) | guid (8) | seq (8) | message ...
 * Stripping or inserting those 16 bytes keeps the message's alignment (the
 * header is a multiple of the maximum CDR alignment, 8). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus__internal.h"
#include "dtw/bus_raw.h"
#include "dtw/err.h"

#define RAW_OK_CACHE 8

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
  dds_instance_handle_t ok_writers[RAW_OK_CACHE];
  size_t ok_next;
};

static atomic_int_least64_t raw_request_seq;

static void put_u64(uint8_t *p, uint64_t v, bool le) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (le ? 8 * i : 56 - 8 * i));
}

/* "clientid=" / "serviceid=" USER_DATA as rmw_cyclonedds formats it. */
static void make_csid(dtw_bus_t *bus, const char *key, char *out, size_t outlen) {
  uint8_t id[16];
  pthread_mutex_lock(&bus->lock);
  uint32_t x = ++bus->csid_counter;
  pthread_mutex_unlock(&bus->lock);
  memcpy(id, bus->participant_gid.v, 12);
  for (size_t i = 0; i < 4; i++) id[12 + i] = (uint8_t)(x >> (24 - 8 * i));
  size_t pos = (size_t)snprintf(out, outlen, "%s=%2x", key, id[0]);
  for (size_t i = 1; i < sizeof id && pos < outlen; i++)
    pos += (size_t)snprintf(out + pos, outlen - pos, ".%x", id[i]);
  if (pos < outlen) snprintf(out + pos, outlen - pos, ";");
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
  char rq[DTW_ROS_NAME_BUF], rr[DTW_ROS_NAME_BUF], ud[96];
  dds_entity_t rq_tp = 0, rr_tp = 0;
  dds_qos_t *qos = NULL;
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
  if (io->in_sample == NULL || io->out_sample == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
    goto fail;
  }
  if ((rc = dtw_bus_node_resolve(node, service, io->service, sizeof io->service, err, errlen)) <
          0 ||
      (rc = dtw_ros_service_to_dds(io->service, rq, sizeof rq, rr, sizeof rr, err, errlen)) < 0)
    goto fail;
  if ((rq_tp = dtw__topic_create(node->bus, rq, io->type->desc, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, rq_tp, "create topic", rq);
    goto fail;
  }
  if ((rr_tp = dtw__topic_create(node->bus, rr, io->type->desc2, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, rr_tp, "create topic", rr);
    goto fail;
  }
  if ((qos = dtw__qos_create(DTW_QOS_SERVICES, true)) == NULL ||
      (l = dds_create_listener(io)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
    goto fail;
  }
  make_csid(node->bus, server ? "serviceid" : "clientid", ud, sizeof ud);
  dds_qset_userdata(qos, ud, strlen(ud));
  io->writer = dds_create_writer(node->bus->participant, server ? rr_tp : rq_tp, qos, NULL);
  if (io->writer < 0) {
    rc = dtw__dds_err(err, errlen, io->writer, "create writer", server ? rr : rq);
    io->writer = 0;
    goto fail;
  }
  dds_lset_data_available(l, on_data);
  io->reader = dds_create_reader(node->bus->participant, server ? rq_tp : rr_tp, qos, l);
  if (io->reader < 0) {
    rc = dtw__dds_err(err, errlen, io->reader, "create reader", server ? rq : rr);
    io->reader = 0;
    goto fail;
  }
  rc = 0;
  goto out;
fail:
  io_fini(io);
  io->in_sample = io->out_sample = NULL;
  io->wire = io->scratch = NULL;
out:
  if (l) dds_delete_listener(l);
  if (qos) dds_delete_qos(qos);
  if (rr_tp > 0) dds_delete(rr_tp);
  if (rq_tp > 0) dds_delete(rq_tp);
  return rc;
}

/* Insert the request header into msg (encapsulation + message) and read the
 * result into the outgoing sample. */
static int io_prepare(raw_io_t *io, const dds_topic_descriptor_t *desc, const void *cdr,
                      size_t len, uint64_t guid, int64_t seq, char *err, size_t errlen) {
  const uint8_t *in = cdr;
  if (cdr == NULL || len < 4 || in[0] != 0x00 || in[1] > 0x01 || len > UINT32_MAX - 32)
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
  for (;;) {
    void *ptr = io->in_sample;
    dds_return_t n = dds_take(io->reader, &ptr, &info, 1, 1);
    if (n < 0) return DTW_EDDS;
    if (n == 0) return 0;
    if (!info.valid_data) continue;
    const uint8_t *s = io->in_sample;
    memcpy(guid, s, sizeof *guid); /* header members first: see idl/std_srvs.idl */
    memcpy(seq, s + 8, sizeof *seq);
    *writer = info.publication_handle;
    uint8_t *wire = NULL;
    size_t len = 0;
    int rc = dtw__serialize(desc, io->in_sample, &wire, &len);
    if (rc < 0) return rc;
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
  cli->ep.kind = DTW__EP_CLIENT;
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
  dds_publication_matched_status_t ps;
  dds_subscription_matched_status_t ss;
  if (dds_get_publication_matched_status(cli->io.writer, &ps) < 0 ||
      dds_get_subscription_matched_status(cli->io.reader, &ss) < 0)
    return DTW_EDDS;
  return ps.current_count > 0 && ss.current_count > 0;
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

const char *dtw_raw_client_service(const dtw_raw_client_t *cli) { return cli->io.service; }

/* ---- server -------------------------------------------------------------- */

int dtw_raw_srv_create(dtw_bus_node_t *node, const char *service, const char *type,
                       dtw_raw_notify_t notify, void *user, dtw_raw_srv_t **out, char *err,
                       size_t errlen) {
  dtw_raw_srv_t *srv = calloc(1, sizeof *srv);
  if (srv == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
  int rc = io_init(&srv->io, node, service, type, true, notify, user, err, errlen);
  if (rc < 0) goto fail;
  srv->ep.kind = DTW__EP_SRV;
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

static void free_endpoint(dds_builtintopic_endpoint_t *e) {
  if (e == NULL) return;
  dds_delete_qos(e->qos);
  dds_free(e->topic_name);
  dds_free(e->type_name);
  dds_free(e);
}

/* The value of key in "k1=v1;k2=v2;" USER_DATA. */
static bool userdata_value(const dds_qos_t *qos, const char *key, char *out, size_t outlen) {
  void *ud = NULL;
  size_t sz = 0;
  bool found = false;
  if (qos == NULL || !dds_qget_userdata(qos, &ud, &sz) || ud == NULL) return false;
  const char *s = ud;
  size_t klen = strlen(key);
  for (size_t i = 0; i + klen + 1 <= sz && !found; i++) {
    if ((i == 0 || s[i - 1] == ';') && memcmp(s + i, key, klen) == 0 && s[i + klen] == '=') {
      size_t j = i + klen + 1, n = 0;
      while (j < sz && s[j] != ';' && n + 1 < outlen) out[n++] = s[j++];
      out[n] = '\0';
      found = true;
    }
  }
  dds_free(ud);
  return found;
}

/* 0 the client's reply reader is matched, DTW_EBUSY not yet, DTW_ENOENT gone. */
static int client_matched(dtw_raw_srv_t *srv, dds_instance_handle_t reqwr) {
  char clientid[96], other[96];
  dds_instance_handle_t rds[64];
  for (size_t i = 0; i < RAW_OK_CACHE; i++)
    if (srv->ok_writers[i] == reqwr) return 0;
  dds_builtintopic_endpoint_t *wr = dds_get_matched_publication_data(srv->io.reader, reqwr);
  if (wr == NULL) return DTW_ENOENT;
  bool has_id = userdata_value(wr->qos, "clientid", clientid, sizeof clientid);
  free_endpoint(wr);
  int rc = DTW_EBUSY;
  if (!has_id) {
    rc = 0; /* clients without an id: nothing to wait for */
  } else {
    dds_return_t n = dds_get_matched_subscriptions(srv->io.writer, rds, 64);
    if (n > 64) n = 64;
    for (dds_return_t i = 0; i < n && rc != 0; i++) {
      dds_builtintopic_endpoint_t *rd = dds_get_matched_subscription_data(srv->io.writer, rds[i]);
      if (rd && userdata_value(rd->qos, "clientid", other, sizeof other) &&
          strcmp(other, clientid) == 0)
        rc = 0;
      free_endpoint(rd);
    }
  }
  if (rc == 0) {
    srv->ok_writers[srv->ok_next] = reqwr;
    srv->ok_next = (srv->ok_next + 1) % RAW_OK_CACHE;
  }
  return rc;
}

int dtw_raw_srv_reply(dtw_raw_srv_t *srv, const dtw_raw_request_id_t *id, const void *cdr,
                      size_t len, char *err, size_t errlen) {
  int rc = io_prepare(&srv->io, srv->io.type->desc2, cdr, len, id->guid, id->seq, err, errlen);
  if (rc < 0) return rc;
  if ((rc = client_matched(srv, id->writer)) < 0)
    return dtw_errf(err, errlen, rc, "%s: %s", srv->io.service,
                    rc == DTW_EBUSY ? "client's reply reader not matched yet" : "client gone");
  dds_return_t drc = dds_write(srv->io.writer, srv->io.out_sample);
  if (drc < 0) return dtw__dds_err(err, errlen, drc, "write reply", srv->io.service);
  return 0;
}

const char *dtw_raw_srv_service(const dtw_raw_srv_t *srv) { return srv->io.service; }
