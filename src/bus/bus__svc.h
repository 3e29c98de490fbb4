/* bus__svc.h - what typed services (bus_service.c) and raw-CDR services
 * (bus_raw_service.c) share: the rmw_cyclonedds endpoint pair with its
 * client/service ids, and the check that a client can receive its reply. */
#ifndef DTW_BUS__SVC_H
#define DTW_BUS__SVC_H

#include "bus__internal.h"

#define DTW__SVC_OK_CACHE 8

/* Request writers whose client's reply reader was seen matched, so that
 * later requests from them are answered without asking discovery again.
 * A zeroed struct is empty. */
typedef struct dtw__svc_ok {
  dds_instance_handle_t writers[DTW__SVC_OK_CACHE];
  size_t next;
} dtw__svc_ok_t;

/* Resolve service on node into full (fulllen bytes) and create the writer
 * and reader on "rq/<name>Request" / "rr/<name>Reply": a server (server =
 * true) reads requests and writes replies, a client the other way round.
 * Both get SERVICES QoS and the USER_DATA "serviceid=<id>;" / "clientid=<id>;"
 * formatted as rmw_cyclonedds does. listener (may be NULL; not kept) is set
 * on the reader at creation, so no sample can arrive unnoticed. Returns 0,
 * or a negative DTW_E... with err filled, nothing left behind and *wr, *rd
 * set to 0. */
int dtw__svc_pair_create(dtw_bus_node_t *node, const char *service, const dtw__type_t *t,
                         bool server, const dds_listener_t *listener, char *full, size_t fulllen,
                         dds_entity_t *wr, dds_entity_t *rd, char *err, size_t errlen);

/* 1 when a client's request writer and reply reader both have a match (a
 * server is there), 0 not yet, DTW_EDDS. */
int dtw__svc_matched(dds_entity_t writer, dds_entity_t reader);

/* Can the client behind request writer reqwr receive a reply on the server's
 * reply writer? Like rmw_cyclonedds, a server looks for the client's reply
 * reader (same "clientid") among the matches, polling every 1 ms for up to
 * wait_ns (0: look once). 0 yes (also for clients that send no id; then
 * remembered in ok), DTW_EBUSY not matched yet, DTW_ENOENT the request writer
 * is gone. Not thread-safe on the same ok. */
int dtw__svc_client_ready(dtw__svc_ok_t *ok, dds_entity_t reader, dds_entity_t writer,
                          dds_instance_handle_t reqwr, int64_t wait_ns);

/* Take the next sample that has data into sample (reused: Cyclone keeps its
 * buffers), skipping dispose/unregister notices. 1 taken, 0 none, DTW_EDDS. */
int dtw__svc_take(dds_entity_t reader, void *sample, dds_sample_info_t *info);

#endif /* DTW_BUS__SVC_H */
