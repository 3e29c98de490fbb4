/* The ROS graph message (rmw_dds_common/ParticipantEntitiesInfo) on
 * ros_discovery_info: our participant's GID and, per node, the GIDs of its
 * readers and writers. Gid = the 16-byte DDS GUID, zero-padded to 24 bytes on
 * Humble; 16 bytes from Iron on (dtw_ros_distro_t). Republished in full on
 * every change, as rmw_cyclonedds does. Allocates (not a steady-state path). */
#include <stdlib.h>
#include <string.h>

#include "bus__internal.h"
#include "dtw/err.h"

/* Copy into a bounded IDL string (validated names always fit). */
static void copy_bounded(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* One builder per Gid layout; PFX is the generated type prefix. */
#define DTW__GRAPH_BUILDER(fn, PFX)                                                         \
  static int fn(dtw_bus_t *bus, PFX##ParticipantEntitiesInfo_ *m) {                         \
    size_t n_nodes = 0;                                                                     \
    memset(m, 0, sizeof *m);                                                                \
    memcpy(m->gid_.data_, bus->participant_gid.v, sizeof bus->participant_gid.v);           \
    for (dtw_bus_node_t *n = bus->nodes; n != NULL; n = n->next) n_nodes++;                 \
    if (n_nodes == 0) return 0;                                                             \
    PFX##NodeEntitiesInfo_ *ni = calloc(n_nodes, sizeof *ni);                               \
    if (ni == NULL) return DTW_ENOMEM;                                                      \
    m->node_entities_info_seq_._buffer = ni;                                                \
    m->node_entities_info_seq_._length = (uint32_t)n_nodes;                                 \
    m->node_entities_info_seq_._maximum = (uint32_t)n_nodes;                                \
    m->node_entities_info_seq_._release = true;                                             \
    size_t k = n_nodes;                                                                     \
    /* nodes are kept newest first; list them in creation order */                         \
    for (dtw_bus_node_t *n = bus->nodes; n != NULL; n = n->next) {                          \
      PFX##NodeEntitiesInfo_ *e = &ni[--k];                                                 \
      size_t nr = 0, nw = 0;                                                                \
      /* string<256> fields are arrays; names were validated to fit */                     \
      copy_bounded(e->node_namespace_, sizeof e->node_namespace_, n->ns);                   \
      copy_bounded(e->node_name_, sizeof e->node_name_, n->name);                           \
      for (dtw__ep_t *ep = n->eps; ep != NULL; ep = ep->next) {                             \
        nr += ep->has_reader;                                                               \
        nw += ep->has_writer;                                                               \
      }                                                                                     \
      PFX##Gid_ *rg = nr ? calloc(nr, sizeof *rg) : NULL;                                   \
      PFX##Gid_ *wg = nw ? calloc(nw, sizeof *wg) : NULL;                                   \
      e->reader_gid_seq_._buffer = rg;                                                      \
      e->writer_gid_seq_._buffer = wg;                                                      \
      if ((nr && rg == NULL) || (nw && wg == NULL)) return DTW_ENOMEM;                      \
      e->reader_gid_seq_._maximum = e->reader_gid_seq_._length = (uint32_t)nr;              \
      e->writer_gid_seq_._maximum = e->writer_gid_seq_._length = (uint32_t)nw;              \
      /* endpoints are kept newest first; list them in creation order */                    \
      size_t ir = nr, iw = nw;                                                              \
      for (dtw__ep_t *ep = n->eps; ep != NULL; ep = ep->next) {                             \
        if (ep->has_reader) memcpy(rg[--ir].data_, ep->reader_gid.v, 16);                   \
        if (ep->has_writer) memcpy(wg[--iw].data_, ep->writer_gid.v, 16);                   \
      }                                                                                     \
    }                                                                                       \
    return 0;                                                                               \
  }                                                                                         \
  static void fn##_free(PFX##ParticipantEntitiesInfo_ *m) {                                 \
    PFX##NodeEntitiesInfo_ *ni = m->node_entities_info_seq_._buffer;                        \
    for (uint32_t i = 0; ni != NULL && i < m->node_entities_info_seq_._length; i++) {       \
      free(ni[i].reader_gid_seq_._buffer);                                                  \
      free(ni[i].writer_gid_seq_._buffer);                                                  \
    }                                                                                       \
    free(ni);                                                                               \
  }

DTW__GRAPH_BUILDER(build_humble, rmw_dds_common_msg_dds__)
DTW__GRAPH_BUILDER(build_jazzy, rmw_dds_common_jazzy_msg_dds__)

/* Build the message for distro and hand it to use(); frees it afterwards. */
static int with_graph(dtw_bus_t *bus, dtw_ros_distro_t distro,
                      int (*use)(const dds_topic_descriptor_t *d, const void *m, void *arg),
                      void *arg) {
  int rc;
  if (distro == DTW_ROS_HUMBLE) {
    rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ m;
    rc = build_humble(bus, &m);
    if (rc == 0) rc = use(&rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, &m, arg);
    build_humble_free(&m);
  } else {
    rmw_dds_common_jazzy_msg_dds__ParticipantEntitiesInfo_ m;
    rc = build_jazzy(bus, &m);
    if (rc == 0) rc = use(&rmw_dds_common_jazzy_msg_dds__ParticipantEntitiesInfo__desc, &m, arg);
    build_jazzy_free(&m);
  }
  return rc;
}

static int write_graph(const dds_topic_descriptor_t *d, const void *m, void *arg) {
  (void)d;
  dtw_bus_t *bus = arg;
  return dds_write(bus->graph_writer, m) < 0 ? DTW_EDDS : 0;
}

int dtw__graph_publish(dtw_bus_t *bus) {
  if (bus->graph_writer <= 0) return 0;
  return with_graph(bus, bus->distro, write_graph, bus);
}

struct ser_out {
  uint8_t *buf;
  size_t len;
};

static int serialize_graph(const dds_topic_descriptor_t *d, const void *m, void *arg) {
  struct ser_out *o = arg;
  return dtw__serialize(d, m, &o->buf, &o->len);
}

int dtw__graph_serialize(dtw_bus_t *bus, dtw_ros_distro_t distro, uint8_t **buf, size_t *len) {
  struct ser_out o = {NULL, 0};
  pthread_mutex_lock(&bus->lock);
  int rc = with_graph(bus, distro, serialize_graph, &o);
  pthread_mutex_unlock(&bus->lock);
  if (rc < 0) return rc;
  *buf = o.buf;
  *len = o.len;
  return 0;
}
