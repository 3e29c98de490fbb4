/* Plumbing shared by typed and raw-CDR services in the rmw_cyclonedds scheme
 * (see bus_service.c): endpoint pairs, client ids, reply-reader matching. */
#include <stdio.h>
#include <string.h>

#include "bus__svc.h"
#include "dtw/clock.h"
#include "dtw/err.h"

/* "clientid=" / "serviceid=" value: 12 bytes of the participant GUID prefix
 * and a big-endian counter, hex, '.'-separated, first byte width 2. */
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

int dtw__svc_pair_create(dtw_bus_node_t *node, const char *service, const dtw__type_t *t,
                         bool server, const dds_listener_t *listener, char *full, size_t fulllen,
                         dds_entity_t *wr, dds_entity_t *rd, char *err, size_t errlen) {
  char rq[DTW_ROS_NAME_BUF], rr[DTW_ROS_NAME_BUF], ud[96];
  dds_entity_t rq_tp, rr_tp, w, r;
  dds_qos_t *qos;
  int rc;
  *wr = *rd = 0;
  if ((rc = dtw_bus_node_resolve(node, service, full, fulllen, err, errlen)) < 0) return rc;
  if ((rc = dtw_ros_service_to_dds(full, rq, sizeof rq, rr, sizeof rr, err, errlen)) < 0)
    return rc;
  if ((rq_tp = dtw__topic_create(node->bus, rq, t->desc, NULL)) < 0)
    return dtw__dds_err(err, errlen, rq_tp, "create topic", rq);
  if ((rr_tp = dtw__topic_create(node->bus, rr, t->desc2, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, rr_tp, "create topic", rr);
    goto err_rq;
  }
  if ((qos = dtw__qos_create(DTW_QOS_SERVICES, true)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "service '%s': out of memory", full);
    goto err_rr;
  }
  make_csid(node->bus, server ? "serviceid" : "clientid", ud, sizeof ud);
  /* the id on both halves; the hash of what each half carries */
  dtw__qos_set_userdata(node->bus, qos, ud, t->ros_name, server ? "_Response" : "_Request");
  if ((w = dds_create_writer(node->bus->participant, server ? rr_tp : rq_tp, qos, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, w, "create writer", server ? rr : rq);
    goto err_qos;
  }
  dtw__qos_set_userdata(node->bus, qos, ud, t->ros_name, server ? "_Request" : "_Response");
  if ((r = dds_create_reader(node->bus->participant, server ? rq_tp : rr_tp, qos, listener)) < 0) {
    rc = dtw__dds_err(err, errlen, r, "create reader", server ? rq : rr);
    dds_delete(w);
    goto err_qos;
  }
  *wr = w;
  *rd = r;
  rc = 0;
err_qos:
  dds_delete_qos(qos);
err_rr:
  dds_delete(rr_tp);
err_rq:
  dds_delete(rq_tp);
  return rc;
}

int dtw__svc_matched(dds_entity_t writer, dds_entity_t reader) {
  dds_publication_matched_status_t ps;
  dds_subscription_matched_status_t ss;
  if (dds_get_publication_matched_status(writer, &ps) < 0 ||
      dds_get_subscription_matched_status(reader, &ss) < 0)
    return DTW_EDDS;
  return ps.current_count > 0 && ss.current_count > 0;
}

/* The value of key in "k1=v1;k2=v2;" USER_DATA, copied into out. */
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

/* One look at discovery: 0 the client's reply reader is matched, DTW_EBUSY
 * not (or not known) yet, DTW_ENOENT its request writer is gone. */
static int client_state(dds_entity_t reader, dds_entity_t writer, dds_instance_handle_t reqwr) {
  char clientid[96], other[96];
  dds_instance_handle_t rds[64];
  dds_builtintopic_endpoint_t *wr = dds_get_matched_publication_data(reader, reqwr);
  if (wr == NULL) return DTW_ENOENT;
  bool has_id = userdata_value(wr->qos, "clientid", clientid, sizeof clientid);
  dds_builtintopic_free_endpoint(wr);
  if (!has_id) return 0; /* clients without an id: nothing to wait for */
  dds_return_t n = dds_get_matched_subscriptions(writer, rds, 64);
  if (n < 0) return DTW_EBUSY;
  if (n > 64) n = 64;
  for (dds_return_t i = 0; i < n; i++) {
    dds_builtintopic_endpoint_t *rd = dds_get_matched_subscription_data(writer, rds[i]);
    bool same = rd && userdata_value(rd->qos, "clientid", other, sizeof other) &&
                strcmp(other, clientid) == 0;
    if (rd != NULL) dds_builtintopic_free_endpoint(rd);
    if (same) return 0;
  }
  return DTW_EBUSY;
}

int dtw__svc_client_ready(dtw__svc_ok_t *ok, dds_entity_t reader, dds_entity_t writer,
                          dds_instance_handle_t reqwr, int64_t wait_ns) {
  for (size_t i = 0; i < DTW__SVC_OK_CACHE; i++)
    if (ok->writers[i] == reqwr) return 0;
  int64_t deadline = dtw_clock_mono_ns() + wait_ns;
  int rc;
  while ((rc = client_state(reader, writer, reqwr)) == DTW_EBUSY && dtw_clock_mono_ns() < deadline)
    dtw_clock_sleep_ns(1000000);
  if (rc == 0) {
    ok->writers[ok->next] = reqwr;
    ok->next = (ok->next + 1) % DTW__SVC_OK_CACHE;
  }
  return rc;
}

int dtw__svc_take(dds_entity_t reader, void *sample, dds_sample_info_t *info) {
  for (;;) {
    void *ptr = sample;
    dds_return_t n = dds_take(reader, &ptr, info, 1, 1);
    if (n < 0) return DTW_EDDS;
    if (n == 0) return 0;
    if (info->valid_data) return 1;
  }
}
