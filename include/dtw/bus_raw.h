/* dtw/bus_raw.h - services with serialized CDR, for any service type with IDL
 * (rmw_cyclonedds request/reply form), for bridges that pass payloads through
 * without knowing the message layout.
 *
 * Payloads here are what a ROS 2 tool serializes for the service message
 * alone: the 4-byte encapsulation header and the message (no request header).
 * The bus adds / strips rmw_cyclonedds' {uint64 guid; int64 seq} header, in
 * the byte order the encapsulation header names, so the request sent on DDS
 * is byte-for-byte what an rmw_cyclonedds client sends. An empty message body
 * (std_srvs/Trigger's request as some serializers write it: just the 4-byte
 * header) gets the one byte rosidl gives empty structs.
 *
 * Both sides are asynchronous: a notify callback (optional) runs in a DDS
 * thread when data arrives (it must be quick and thread-safe, e.g. write an
 * eventfd); the owner then calls take from its own thread.
 *
 * Memory: create allocates; send/reply/take allocate a serialization buffer
 * per call (services are not a per-frame path). Threads: one thread per
 * endpoint for send/take/reply; notify runs in Cyclone's threads.
 * Errors: 0 / counts, or negative DTW_E*. */
#ifndef DTW_BUS_RAW_H
#define DTW_BUS_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"

typedef struct dtw_raw_client dtw_raw_client_t;
typedef struct dtw_raw_srv dtw_raw_srv_t;

/* Called in a DDS thread when a reply (client) or a request (server) arrived. */
typedef void (*dtw_raw_notify_t)(void *user);

/* Identifies a request a server took, to reply to it. */
typedef struct dtw_raw_request_id {
  uint64_t guid;     /* the client's request-writer handle, echoed in the reply */
  int64_t seq;       /* the client's sequence number, echoed */
  uint64_t writer;   /* DDS instance handle of the client's request writer */
} dtw_raw_request_id_t;

/* ---- client: call a service ------------------------------------------------ */
/* Create a client of `service` (resolved with the node's namespace and
 * remapping) of service type `type` ("std_srvs/srv/Trigger" or
 * "std_srvs/Trigger"). DTW_EUNSUP if the bus has no IDL for it. */
int dtw_raw_client_create(dtw_bus_node_t *node, const char *service, const char *type,
                          dtw_raw_notify_t notify, void *user, dtw_raw_client_t **out,
                          char *err, size_t errlen);
/* Destroy; waits for a running notify. NULL ok. */
void dtw_raw_client_destroy(dtw_raw_client_t *cli);
/* 1 if a server is matched both ways (request writer and reply reader), 0 if
 * not yet, DTW_EDDS. */
int dtw_raw_client_ready(const dtw_raw_client_t *cli);
/* Send a request (encapsulation header + message). *seq receives its sequence
 * number (a process-wide counter from 1 for raw clients). DTW_EPARSE if
 * the bytes are not a valid request of the type (nothing sent), DTW_EDDS. */
int dtw_raw_client_send(dtw_raw_client_t *cli, const void *cdr, size_t len, int64_t *seq,
                        char *err, size_t errlen);
/* Take the next reply addressed to this client into reply (encapsulation
 * header + message), growing reply->data with realloc as needed (it may start
 * NULL/0). *seq receives the sequence number it answers. Returns 1, 0 if none
 * is pending, or DTW_ENOMEM / DTW_EDDS. Replies for other clients are dropped. */
int dtw_raw_client_take(dtw_raw_client_t *cli, dtw_cdr_buf_t *reply, int64_t *seq);

/* ---- server: serve a service ------------------------------------------------ */
int dtw_raw_srv_create(dtw_bus_node_t *node, const char *service, const char *type,
                       dtw_raw_notify_t notify, void *user, dtw_raw_srv_t **out, char *err,
                       size_t errlen);
void dtw_raw_srv_destroy(dtw_raw_srv_t *srv);
/* Take the next request into request (encapsulation header + message; grown
 * as for dtw_raw_client_take) and its id. Returns 1, 0 if none, or a negative
 * DTW_E* code. */
int dtw_raw_srv_take(dtw_raw_srv_t *srv, dtw_cdr_buf_t *request, dtw_raw_request_id_t *id);
/* Reply to a request taken earlier with a response (encapsulation header +
 * message). Returns 0 when sent; DTW_EBUSY when the client's reply reader is
 * not matched yet (a brand-new client: try again shortly, as rmw_cyclonedds
 * waits for it); DTW_ENOENT when the client has gone; DTW_EPARSE if the bytes
 * are not a valid response (nothing sent); DTW_EDDS. Does not block. */
int dtw_raw_srv_reply(dtw_raw_srv_t *srv, const dtw_raw_request_id_t *id, const void *cdr,
                      size_t len, char *err, size_t errlen);

#endif /* DTW_BUS_RAW_H */
