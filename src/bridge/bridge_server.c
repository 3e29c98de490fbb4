/* The ROS-TCP-Endpoint server: transport + sessions + router on a bus node,
 * driven by one poll thread. See dtw/bridge_server.h. */
#include "dtw/bridge_server.h"

#include <stdlib.h>
#include <string.h>

#include "bridge__server.h"
#include "dtw/clock.h"
#include "dtw/err.h"

const char *dtw_bridge_refusal_name(int reason) {
  switch (reason) {
#define DTW__BRIDGE_REFUSAL_NAME(name, label, text) \
  case DTW_BRIDGE_REFUSAL_##name:                   \
    return label;
    DTW_BRIDGE_REFUSAL_MAP(DTW__BRIDGE_REFUSAL_NAME)
#undef DTW__BRIDGE_REFUSAL_NAME
  default:
    return "invalid";
  }
}

int dtw_bridge_server_create(const dtw_bridge_server_config_t *cfg, dtw_bus_node_t *bus_node,
                             dtw_graph_t *graph, const dtw_bridge_metrics_t *metrics,
                             dtw_bridge_server_t **out, char *err, size_t errlen) {
  int rc;
  dtw_bridge_server_t *s = calloc(1, sizeof *s);
  if (s == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
  s->cfg = *cfg;
  s->cfg.bind_address = NULL; /* the transport keeps its copy */
  if (metrics != NULL) s->m = *metrics;
  s->bus_node = bus_node;
  s->graph = graph;
  dtw__call_limits_t lim = {.per_client = cfg->max_calls_per_client,
                            .per_client_bytes = cfg->max_call_bytes_per_client,
                            .total_bytes = cfg->max_call_bytes};
  if (dtw__br_inbox_init(s) < 0 ||
      dtw__calls_init(&s->calls, DTW__BRIDGE_MAX_CALLS, (int64_t)(cfg->service_timeout_s * 1e9),
                      &lim, &dtw__br_call_ops, s) < 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
    goto fail;
  }
  dtw__bt_config_t tc = {
      .bind_address = cfg->bind_address,
      .port = cfg->port,
      .max_conns = cfg->max_clients,
      .max_conns_per_addr = cfg->max_clients_per_address,
      .handshake_timeout_ns = (int64_t)(cfg->handshake_timeout_s * 1e9),
      .frame_timeout_ns = (int64_t)(cfg->frame_timeout_s * 1e9),
      .slot_idle_ns = (int64_t)(cfg->slot_idle_s * 1e9),
      /* a whole frame of the largest payload fits in a client's input buffer */
      .input_max_bytes = 8 + DTW_BRIDGE_DEST_MAX + cfg->max_frame_bytes,
      .queue_bytes = cfg->send_queue_bytes,
      .queue_frames = cfg->send_queue_messages,
      .idle_timeout_ns = (int64_t)(cfg->idle_timeout_s * 1e9),
      .conns = s->m.clients,
      .frames_out = s->m.frames_out,
      .bytes_out = s->m.bytes_out,
      .dropped = s->m.dropped,
  };
  dtw__bt_handler_t h = dtw__bs_handler;
  h.user = s;
  if ((rc = dtw__bt_create(&tc, &h, &s->tp, err, errlen)) < 0) goto fail;
  *out = s;
  return 0;
fail:
  dtw_bridge_server_destroy(s);
  return rc;
}

void dtw_bridge_server_destroy(dtw_bridge_server_t *s) {
  if (s == NULL) return;
  if (s->tp != NULL) dtw__bt_close_all(s->tp); /* each client's registrations go with it */
  dtw__calls_fini(&s->calls);
  dtw__br_collect_garbage(s); /* everything is unused now */
  dtw__bt_destroy(s->tp);
  dtw__br_inbox_fini(s);
  free(s->svc_buf.data);
  free(s->topics);
  free(s->svcs);
  free(s);
}

int dtw_bridge_server_poll(dtw_bridge_server_t *s, int timeout_ms) {
  if (timeout_ms > 5 && dtw__calls_retry_pending(&s->calls))
    timeout_ms = 5; /* a call waits for bus matching: poll it */
  int64_t timeout_ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
  /* on a tick: nothing that delivers a sample wakes this thread (see the inbox) */
  int64_t period_ns = (int64_t)(s->cfg.fanout_period_us * 1e3);
  if (period_ns > 0 && (timeout_ns < 0 || timeout_ns > period_ns) && dtw__br_subscribed(s))
    timeout_ns = period_ns;
  int nev = dtw__bt_dispatch(s->tp, timeout_ns);
  if (nev < 0) return nev;
  if (atomic_load(&s->inbox.wake_pending)) dtw__br_fanout(s);
  if (atomic_exchange(&s->svc_event, false)) dtw__br_service_events(s);
  int64_t now = dtw_clock_mono_ns();
  dtw__calls_tick(&s->calls, now);
  dtw__bt_lock(s->tp); /* for get_stats from other threads */
  s->n_regs_seen = s->n_regs;
  s->calls_seen = dtw__calls_active(&s->calls);
  s->call_bytes_seen = dtw__calls_bytes(&s->calls);
  dtw__bt_unlock(s->tp);
  dtw_gauge_set(s->m.registrations, (double)s->n_regs);
  dtw_gauge_set(s->m.calls, (double)dtw__calls_active(&s->calls));
  dtw_gauge_set(s->m.call_bytes, (double)dtw__calls_bytes(&s->calls));
  /* close at a safe point: after every event of this round is handled */
  dtw__bt_reap(s->tp, now);
  return nev;
}

const char *dtw_bridge_server_address(const dtw_bridge_server_t *s) {
  return dtw__bt_address(s->tp);
}
int dtw_bridge_server_port(const dtw_bridge_server_t *s) { return dtw__bt_port(s->tp); }

void dtw_bridge_server_get_stats(dtw_bridge_server_t *s, dtw_bridge_stats_t *out) {
  dtw__bt_stats_t ts;
  dtw__bt_lock(s->tp);
  dtw__bt_get_stats(s->tp, &ts);
  out->clients = ts.conns;
  out->accepted = ts.accepted;
  out->frames_in = s->frames_in;
  out->frames_out = ts.frames_out;
  out->bytes_in = s->bytes_in;
  out->bytes_out = ts.bytes_out;
  out->dropped = ts.dropped;
  out->writes = ts.writes;
  out->registrations = s->n_regs_seen;
  out->calls = s->calls_seen;
  out->call_bytes = s->call_bytes_seen;
  out->published = s->published;
  out->service_calls = s->service_calls;
  memcpy(out->refused, s->refused, sizeof out->refused);
  dtw__bt_unlock(s->tp);
}
