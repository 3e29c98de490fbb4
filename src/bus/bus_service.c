/* Services and clients in the rmw_cyclonedds scheme.
 *
 * A service "/x/reset" is the DDS topics "rq/x/resetRequest" and
 * "rr/x/resetReply". Every request and reply sample starts with the request
 * header {uint64 guid; int64 seq}: our service IDL (idl/std_srvs.idl) has the
 * header as the first two members under the rosidl type name, so the
 * generated serializer writes exactly what rmw_cyclonedds writes (header in
 * native byte order right after the encapsulation header, message at byte 20).
 *
 * Client: guid = instance handle of its request writer, seq from one
 * process-wide counter starting at 1; it keeps only replies carrying its own
 * guid. Client and service endpoints carry USER_DATA "clientid=<id>;" /
 * "serviceid=<id>;" where id is the participant GUID prefix plus a counter,
 * formatted as rmw_cyclonedds does. Like rmw_cyclonedds, a server waits (up
 * to 100 ms) until the requesting client's reply reader is matched before
 * replying, so a brand-new client does not miss its reply. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus__svc.h"
#include "dtw/clock.h"
#include "dtw/err.h"

/* Endpoint destructors as the node sees them (dtw__ep_t.destroy). */
static void srv_ep_destroy(dtw__ep_t *ep) { dtw_srv_destroy((dtw_srv_t *)ep); }
static void client_ep_destroy(dtw__ep_t *ep) { dtw_client_destroy((dtw_client_t *)ep); }

struct dtw_srv {
  dtw__ep_t ep;
  const dtw__type_t *type;
  dds_entity_t reader, writer;
  dtw_srv_handler_t handler;
  void *user;
  dtw_bus_stats_t stats;
  void *req_sample;
  /* serializes dtw_srv_process: a direct server's listener can race with the
   * catch-up call at creation (uncontended otherwise) */
  pthread_mutex_t lock;
  dtw__svc_ok_t ok; /* request writers whose reply reader we have seen matched */
};

struct dtw_client {
  dtw__ep_t ep;
  const dtw__type_t *type;
  dds_entity_t writer, reader, readcond, waitset;
  dds_instance_handle_t guid;
  int64_t last_seq;
  dtw_bus_stats_t stats;
  void *rep_sample;
};

static atomic_int_least64_t next_request_seq;

/* ---- server -------------------------------------------------------------- */

static int srv_handle_trigger(dtw_srv_t *srv, const dds_sample_info_t *info) {
  const std_srvs_srv_dds__Trigger_Request_ *req = srv->req_sample;
  dtw_trigger_response_t resp;
  memset(&resp, 0, sizeof resp);
  if (srv->handler(NULL, &resp, srv->user) != 0) return 0;
  resp.message[sizeof resp.message - 1] = '\0';
  std_srvs_srv_dds__Trigger_Response_ rep;
  rep.dtw_header_guid_ = req->dtw_header_guid_;
  rep.dtw_header_seq_ = req->dtw_header_seq_;
  rep.success_ = resp.success;
  rep.message_ = resp.message;
  /* wait up to 100 ms: a brand-new client may not see its reply otherwise */
  if (dtw__svc_client_ready(&srv->ok, srv->reader, srv->writer, info->publication_handle,
                            100000000) < 0) {
    srv->stats.errors++;
    srv->stats.last_error = DTW_ETIMEDOUT;
    return 0;
  }
  if (dds_write(srv->writer, &rep) < 0) {
    srv->stats.errors++;
    srv->stats.last_error = DTW_EDDS;
    return DTW_EDDS;
  }
  srv->stats.messages++;
  return 1;
}

int dtw_srv_process(dtw_srv_t *srv) {
  dds_sample_info_t info;
  int count = 0;
  pthread_mutex_lock(&srv->lock);
  for (;;) {
    int n = dtw__svc_take(srv->reader, srv->req_sample, &info);
    if (n < 0) {
      srv->stats.errors++;
      srv->stats.last_error = DTW_EDDS;
      count = DTW_EDDS;
      break;
    }
    if (n == 0) break;
    if (srv_handle_trigger(srv, &info) > 0) count++;
  }
  pthread_mutex_unlock(&srv->lock);
  return count;
}

static int srv_dispatch(dtw__ep_t *ep) { return dtw_srv_process((dtw_srv_t *)ep); }

/* Direct servers: answer in the receive thread (the listener is set only
 * after the server is complete, and removed before it is freed). */
static void srv_on_request(dds_entity_t reader, void *arg) {
  (void)reader;
  dtw_srv_process(arg);
}

void dtw_srv_options_default(dtw_srv_options_t *opt) { memset(opt, 0, sizeof *opt); }

int dtw_bus_serve(dtw_bus_node_t *node, const char *service, const char *type,
                  dtw_srv_handler_t handler, void *user, dtw_srv_t **out, char *err,
                  size_t errlen) {
  return dtw_bus_serve_opt(node, service, type, handler, user, NULL, out, err, errlen);
}

int dtw_bus_serve_opt(dtw_bus_node_t *node, const char *service, const char *type,
                      dtw_srv_handler_t handler, void *user, const dtw_srv_options_t *opt,
                      dtw_srv_t **out, char *err, size_t errlen) {
  char full[DTW_ROS_NAME_BUF];
  int rc;
  dtw_srv_options_t o;
  if (opt != NULL)
    o = *opt;
  else
    dtw_srv_options_default(&o);
  const dtw__type_t *t = dtw__type_find(type, true);
  if (t == NULL || t->kind != DTW__K_TRIGGER)
    return dtw_errf(err, errlen, DTW_EUNSUP, "service type '%s': not supported by the bus",
                    type ? type : "(null)");
  if (handler == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "service '%s': no handler", service);
  dtw_srv_t *srv = calloc(1, sizeof *srv);
  if (srv == NULL || (srv->req_sample = calloc(1, t->desc->m_size)) == NULL) {
    free(srv);
    return dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", service);
  }
  pthread_mutex_init(&srv->lock, NULL);
  srv->ep.destroy = srv_ep_destroy;
  srv->type = t;
  srv->handler = handler;
  srv->user = user;
  if ((rc = dtw__svc_pair_create(node, service, t, true, NULL, full, sizeof full, &srv->writer,
                                 &srv->reader, err, errlen)) < 0)
    goto err_alloc;
  if (!o.direct) {
    if ((srv->ep.readcond = dds_create_readcondition(srv->reader, DDS_ANY_STATE)) < 0) {
      rc = dtw__dds_err(err, errlen, srv->ep.readcond, "create readcondition", service);
      goto err_pair;
    }
    srv->ep.dispatch = srv_dispatch;
  }
  if ((rc = dtw__ep_register(node, &srv->ep, srv->reader, srv->writer, err, errlen)) < 0)
    goto err_pair;
  if (o.direct) {
    dds_listener_t *l = dds_create_listener(srv);
    dds_return_t drc = DDS_RETCODE_OUT_OF_RESOURCES;
    if (l != NULL) {
      dds_lset_data_available(l, srv_on_request);
      drc = dds_set_listener(srv->reader, l);
      dds_delete_listener(l);
    }
    if (drc < 0) {
      rc = dtw__dds_err(err, errlen, drc, "set listener", service);
      dtw__ep_unregister(&srv->ep);
      goto err_pair;
    }
    /* requests that arrived before the listener was set */
    dtw_srv_process(srv);
  }
  *out = srv;
  return 0;

err_pair:
  dds_delete(srv->reader);
  dds_delete(srv->writer);
err_alloc:
  dds_sample_free(srv->req_sample, t->desc, DDS_FREE_ALL);
  pthread_mutex_destroy(&srv->lock);
  free(srv);
  return rc;
}

void dtw_srv_destroy(dtw_srv_t *srv) {
  if (srv == NULL) return;
  dds_set_listener(srv->reader, NULL); /* waits for a running callback to finish */
  dtw__ep_unregister(&srv->ep);
  dds_delete(srv->reader);
  dds_delete(srv->writer);
  dds_sample_free(srv->req_sample, srv->type->desc, DDS_FREE_ALL);
  pthread_mutex_destroy(&srv->lock);
  free(srv);
}

void dtw_srv_stats(const dtw_srv_t *srv, dtw_bus_stats_t *out) { *out = srv->stats; }

/* ---- client -------------------------------------------------------------- */

int dtw_client_create(dtw_bus_node_t *node, const char *service, const char *type,
                      dtw_client_t **out, char *err, size_t errlen) {
  char full[DTW_ROS_NAME_BUF];
  int rc;
  dds_return_t drc;
  const dtw__type_t *t = dtw__type_find(type, true);
  if (t == NULL || t->kind != DTW__K_TRIGGER)
    return dtw_errf(err, errlen, DTW_EUNSUP, "service type '%s': not supported by the bus",
                    type ? type : "(null)");
  dtw_client_t *cli = calloc(1, sizeof *cli);
  if (cli == NULL || (cli->rep_sample = calloc(1, t->desc2->m_size)) == NULL) {
    free(cli);
    return dtw_errf(err, errlen, DTW_ENOMEM, "client '%s': out of memory", service);
  }
  cli->ep.destroy = client_ep_destroy;
  cli->type = t;
  if ((rc = dtw__svc_pair_create(node, service, t, false, NULL, full, sizeof full, &cli->writer,
                                 &cli->reader, err, errlen)) < 0)
    goto err_alloc;
  if ((drc = dds_get_instance_handle(cli->writer, &cli->guid)) < 0) {
    rc = dtw__dds_err(err, errlen, drc, "writer instance handle", service);
    goto err_pair;
  }
  /* a private waitset: calls block on their own replies, not on the bus */
  if ((cli->readcond = dds_create_readcondition(cli->reader, DDS_ANY_STATE)) < 0) {
    rc = dtw__dds_err(err, errlen, cli->readcond, "create readcondition", service);
    goto err_pair;
  }
  if ((cli->waitset = dds_create_waitset(node->bus->participant)) < 0) {
    rc = dtw__dds_err(err, errlen, cli->waitset, "create waitset", service);
    goto err_pair;
  }
  if ((drc = dds_waitset_attach(cli->waitset, cli->readcond, 0)) < 0) {
    rc = dtw__dds_err(err, errlen, drc, "waitset attach", service);
    goto err_ws;
  }
  if ((rc = dtw__ep_register(node, &cli->ep, cli->reader, cli->writer, err, errlen)) < 0)
    goto err_ws;
  *out = cli;
  return 0;

err_ws:
  dds_delete(cli->waitset);
err_pair:
  dds_delete(cli->reader);
  dds_delete(cli->writer);
err_alloc:
  dds_sample_free(cli->rep_sample, t->desc2, DDS_FREE_ALL);
  free(cli);
  return rc;
}

void dtw_client_destroy(dtw_client_t *cli) {
  if (cli == NULL) return;
  dtw__ep_unregister(&cli->ep);
  dds_delete(cli->waitset);
  dds_delete(cli->reader);
  dds_delete(cli->writer);
  dds_sample_free(cli->rep_sample, cli->type->desc2, DDS_FREE_ALL);
  free(cli);
}

int dtw_client_wait_for_service(const dtw_client_t *cli, int64_t timeout_ns) {
  int64_t deadline = dtw_clock_mono_ns() + timeout_ns;
  for (;;) {
    int m = dtw__svc_matched(cli->writer, cli->reader);
    if (m < 0) return m;
    if (m > 0) return 0;
    if (dtw_clock_mono_ns() >= deadline) return DTW_ETIMEDOUT;
    dtw_clock_sleep_ns(1000000);
  }
}

/* Take replies until ours (guid and seq) shows up: 1 found, 0 not yet, < 0 error. */
static int take_reply(dtw_client_t *cli, int64_t seq, dtw_trigger_response_t *resp) {
  dds_sample_info_t info;
  for (;;) {
    int n = dtw__svc_take(cli->reader, cli->rep_sample, &info);
    if (n <= 0) return n;
    const std_srvs_srv_dds__Trigger_Response_ *rep = cli->rep_sample;
    if (rep->dtw_header_guid_ != cli->guid) {
      cli->stats.foreign_replies++;
      continue;
    }
    if (rep->dtw_header_seq_ != seq) continue; /* a late reply to an earlier call */
    const char *msg = rep->message_ ? rep->message_ : "";
    size_t len = strlen(msg);
    if (len >= sizeof resp->message) {
      cli->stats.refused_capacity++;
      cli->stats.last_error = DTW_EFULL;
      return DTW_EFULL;
    }
    resp->success = rep->success_;
    memcpy(resp->message, msg, len + 1);
    return 1;
  }
}

int dtw_bus_call(dtw_client_t *cli, const void *request, void *response, int64_t timeout_ns,
                 char *err, size_t errlen) {
  (void)request; /* Trigger requests carry no data */
  std_srvs_srv_dds__Trigger_Request_ req;
  if (response == NULL) return dtw_errf(err, errlen, DTW_EINVAL, "call: response is NULL");
  int64_t seq = atomic_fetch_add(&next_request_seq, 1) + 1;
  req.dtw_header_guid_ = cli->guid;
  req.dtw_header_seq_ = seq;
  req.structure_needs_at_least_one_member_ = 0;
  cli->last_seq = seq;
  int64_t deadline = dtw_clock_mono_ns() + timeout_ns;
  dds_return_t drc = dds_write(cli->writer, &req);
  if (drc < 0) {
    cli->stats.errors++;
    cli->stats.last_error = DTW_EDDS;
    return dtw__dds_err(err, errlen, drc, "write request", "");
  }
  for (;;) {
    int rc = take_reply(cli, seq, response);
    if (rc == 1) {
      cli->stats.messages++;
      return 0;
    }
    if (rc < 0) {
      cli->stats.errors++;
      cli->stats.last_error = rc;
      return dtw_errf(err, errlen, rc, "call seq %lld: %s", (long long)seq, dtw_strerror(rc));
    }
    int64_t left = deadline - dtw_clock_mono_ns();
    if (left <= 0) {
      cli->stats.errors++;
      cli->stats.last_error = DTW_ETIMEDOUT;
      return dtw_errf(err, errlen, DTW_ETIMEDOUT, "call seq %lld: no reply within %lld ns",
                      (long long)seq, (long long)timeout_ns);
    }
    dds_waitset_wait(cli->waitset, NULL, 0, left);
  }
}

int64_t dtw_client_last_seq(const dtw_client_t *cli) { return cli->last_seq; }
void dtw_client_stats(const dtw_client_t *cli, dtw_bus_stats_t *out) { *out = cli->stats; }
