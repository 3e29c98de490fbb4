/* Reading the graph: DDS built-in topics for participants and endpoints,
 * ros_discovery_info for the ROS nodes and which GIDs each node lists. The
 * cache is rebuilt into flat views (alive nodes, topics) after each change so
 * queries are simple scans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus__internal.h"
#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"

#define LOG "graph"
#define TAKE_BATCH 64
/* ros_discovery_info of a participant not (yet) seen on DCPSParticipant is
 * kept this long, then forgotten (it left before we saw it alive) */
#define PENDING_KEEP_NS (INT64_C(10) * DTW_NS_PER_S)

typedef uint8_t gid16_t[16];

typedef struct gnode {
  char ns[DTW_ROS_NAME_BUF];
  char name[DTW_ROS_NAME_BUF];
  char fqn[2 * DTW_ROS_NAME_BUF];
  size_t n_readers, n_writers;
  gid16_t *readers, *writers;
} gnode_t;

typedef struct gpart {
  gid16_t guid;
  dds_instance_handle_t ih; /* DCPSParticipant instance; 0 while only known from graph info */
  bool alive;
  int64_t first_info_ns;
  size_t n_nodes;
  gnode_t *nodes;
} gpart_t;

typedef struct gep {
  gid16_t gid, part;
  dds_instance_handle_t ih;
  bool writer;
  dtw_graph_ep_kind_t kind;
  char *dds_topic, *dds_type;
  char ros_name[DTW_ROS_NAME_BUF];
  char ros_type[DTW_ROS_NAME_BUF];
  char type_hash[72]; /* "RIHS01_" + 64 hex from USER_DATA "typehash=...;", or "" */
} gep_t;

typedef struct gtopic {
  const char *name, *type;
  size_t pubs, subs;
} gtopic_t;

typedef struct gnode_ref {
  const gpart_t *part;
  const gnode_t *node;
} gnode_ref_t;

struct dtw_graph {
  dtw_bus_t *bus;
  dds_entity_t rd_part, rd_pub, rd_sub, rd_info;
  gpart_t *parts;
  size_t n_parts, cap_parts;
  gep_t *eps;
  size_t n_eps, cap_eps;
  /* views rebuilt after each change */
  gnode_ref_t *nodes;
  size_t n_nodes;
  gtopic_t *topics;
  size_t n_topics;
  size_t n_alive_parts;
  uint64_t generation;
};

/* Grow *arr (element size sz) to hold at least n + 1 elements. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz) {
  if (n < *cap) return 0;
  size_t nc = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, nc * sz);
  if (p == NULL) return DTW_ENOMEM;
  *arr = p;
  *cap = nc;
  return 0;
}

static void free_nodes(gpart_t *p) {
  for (size_t i = 0; i < p->n_nodes; i++) {
    free(p->nodes[i].readers);
    free(p->nodes[i].writers);
  }
  free(p->nodes);
  p->nodes = NULL;
  p->n_nodes = 0;
}

static gpart_t *find_part(dtw_graph_t *g, const uint8_t *guid) {
  for (size_t i = 0; i < g->n_parts; i++)
    if (memcmp(g->parts[i].guid, guid, 16) == 0) return &g->parts[i];
  return NULL;
}

static gpart_t *add_part(dtw_graph_t *g, const uint8_t *guid) {
  if (grow((void **)&g->parts, &g->cap_parts, g->n_parts, sizeof *g->parts) < 0) return NULL;
  gpart_t *p = &g->parts[g->n_parts++];
  memset(p, 0, sizeof *p);
  memcpy(p->guid, guid, 16);
  p->first_info_ns = dtw_clock_mono_ns();
  return p;
}

static void remove_part_at(dtw_graph_t *g, size_t i) {
  free_nodes(&g->parts[i]);
  g->parts[i] = g->parts[--g->n_parts];
}

static void remove_ep_at(dtw_graph_t *g, size_t i) {
  free(g->eps[i].dds_topic);
  free(g->eps[i].dds_type);
  g->eps[i] = g->eps[--g->n_eps];
}

/* ---- built-in topics ----------------------------------------------------------------- */

static int on_participant(dtw_graph_t *g, const dds_builtintopic_participant_t *s,
                          const dds_sample_info_t *si) {
  if (si->instance_state != DDS_IST_ALIVE) {
    for (size_t i = 0; i < g->n_parts; i++)
      if (g->parts[i].ih == si->instance_handle) {
        remove_part_at(g, i);
        return 1;
      }
    return 0;
  }
  if (!si->valid_data) return 0;
  gpart_t *p = find_part(g, s->key.v);
  if (p == NULL && (p = add_part(g, s->key.v)) == NULL) return DTW_ENOMEM;
  p->ih = si->instance_handle;
  p->alive = true;
  return 1;
}

/* The value of "typehash=" in an endpoint's USER_DATA ("k=v;k=v;", Iron+ rmw). */
static void type_hash_of(const dds_qos_t *qos, char *out, size_t cap) {
  void *ud = NULL;
  size_t sz = 0;
  out[0] = '\0';
  if (qos == NULL || !dds_qget_userdata(qos, &ud, &sz) || ud == NULL) return;
  const char *u = ud;
  static const char key[] = "typehash=";
  for (size_t i = 0; i + sizeof key - 1 <= sz; i++) {
    if ((i == 0 || u[i - 1] == ';') && memcmp(u + i, key, sizeof key - 1) == 0) {
      size_t j = i + sizeof key - 1, n = 0;
      while (j < sz && u[j] != ';' && n + 1 < cap) out[n++] = u[j++];
      out[n] = '\0';
      break;
    }
  }
  dds_free(ud);
}

static int on_endpoint(dtw_graph_t *g, bool writer, const dds_builtintopic_endpoint_t *s,
                       const dds_sample_info_t *si) {
  if (si->instance_state != DDS_IST_ALIVE) {
    for (size_t i = 0; i < g->n_eps; i++)
      if (g->eps[i].writer == writer && g->eps[i].ih == si->instance_handle) {
        remove_ep_at(g, i);
        return 1;
      }
    return 0;
  }
  if (!si->valid_data) return 0;
  gep_t *e = NULL;
  for (size_t i = 0; i < g->n_eps && e == NULL; i++)
    if (memcmp(g->eps[i].gid, s->key.v, 16) == 0) e = &g->eps[i];
  if (e != NULL) return 0; /* QoS change: names and types do not change */
  if (grow((void **)&g->eps, &g->cap_eps, g->n_eps, sizeof *g->eps) < 0) return DTW_ENOMEM;
  e = &g->eps[g->n_eps];
  memset(e, 0, sizeof *e);
  memcpy(e->gid, s->key.v, 16);
  memcpy(e->part, s->participant_key.v, 16);
  e->ih = si->instance_handle;
  e->writer = writer;
  e->dds_topic = strdup(s->topic_name ? s->topic_name : "");
  e->dds_type = strdup(s->type_name ? s->type_name : "");
  if (e->dds_topic == NULL || e->dds_type == NULL) {
    free(e->dds_topic);
    free(e->dds_type);
    return DTW_ENOMEM;
  }
  dtw_ros_dds_kind_t kind;
  if (dtw_ros_topic_from_dds(e->dds_topic, e->ros_name, sizeof e->ros_name, &kind, NULL, 0) == 0)
    e->kind = kind == DTW_ROS_DDS_TOPIC     ? DTW_GRAPH_EP_TOPIC
              : kind == DTW_ROS_DDS_REQUEST ? DTW_GRAPH_EP_REQUEST
                                            : DTW_GRAPH_EP_REPLY;
  else
    e->ros_name[0] = '\0';
  if (dtw_ros_type_from_dds(e->dds_type, e->ros_type, sizeof e->ros_type, NULL, NULL, 0) < 0)
    e->ros_type[0] = '\0';
  type_hash_of(s->qos, e->type_hash, sizeof e->type_hash);
  g->n_eps++;
  return 1;
}

/* ---- ros_discovery_info ----------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* "<ns>/<name>" (dtw_node_fqn is in dtw_node, a layer above the bus). */
static void make_fqn(const char *ns, const char *name, char *out, size_t cap) {
  size_t len = strlen(ns);
  bool root = len == 0 || (len == 1 && ns[0] == '/');
  snprintf(out, cap, "%s/%s", root ? "" : ns, name);
}

/* One reader per Gid layout; PFX is the generated type prefix. */
#define DTW__GRAPH_INFO_READER(fn, PFX)                                                    \
  static int fn(dtw_graph_t *g, const PFX##ParticipantEntitiesInfo_ *m) {                 \
    gpart_t *p = find_part(g, m->gid_.data_);                                             \
    if (p == NULL && (p = add_part(g, m->gid_.data_)) == NULL) return DTW_ENOMEM;         \
    free_nodes(p);                                                                        \
    uint32_t n = m->node_entities_info_seq_._length;                                      \
    if (n == 0) return 1;                                                                 \
    if ((p->nodes = calloc(n, sizeof *p->nodes)) == NULL) return DTW_ENOMEM;              \
    for (uint32_t i = 0; i < n; i++) {                                                    \
      const PFX##NodeEntitiesInfo_ *ni = &m->node_entities_info_seq_._buffer[i];          \
      gnode_t *d = &p->nodes[p->n_nodes++];                                               \
      copy_str(d->ns, sizeof d->ns, ni->node_namespace_);                                 \
      copy_str(d->name, sizeof d->name, ni->node_name_);                                  \
      make_fqn(d->ns, d->name, d->fqn, sizeof d->fqn);                                    \
      uint32_t nr = ni->reader_gid_seq_._length, nw = ni->writer_gid_seq_._length;        \
      d->readers = nr ? calloc(nr, sizeof *d->readers) : NULL;                            \
      d->writers = nw ? calloc(nw, sizeof *d->writers) : NULL;                            \
      if ((nr && d->readers == NULL) || (nw && d->writers == NULL)) return DTW_ENOMEM;    \
      for (uint32_t k = 0; k < nr; k++)                                                   \
        memcpy(d->readers[k], ni->reader_gid_seq_._buffer[k].data_, 16);                  \
      for (uint32_t k = 0; k < nw; k++)                                                   \
        memcpy(d->writers[k], ni->writer_gid_seq_._buffer[k].data_, 16);                  \
      d->n_readers = nr;                                                                  \
      d->n_writers = nw;                                                                  \
    }                                                                                     \
    return 1;                                                                             \
  }

DTW__GRAPH_INFO_READER(info_humble, rmw_dds_common_msg_dds__)
DTW__GRAPH_INFO_READER(info_jazzy, rmw_dds_common_jazzy_msg_dds__)

/* ---- taking ----------------------------------------------------------------------------- */

enum { RD_PART, RD_PUB, RD_SUB, RD_INFO };

static int take_all(dtw_graph_t *g, dds_entity_t rd, int which) {
  void *buf[TAKE_BATCH];
  dds_sample_info_t si[TAKE_BATCH];
  int applied = 0;
  for (;;) {
    memset(buf, 0, sizeof buf);
    dds_return_t n = dds_take(rd, buf, si, TAKE_BATCH, TAKE_BATCH);
    if (n < 0) return DTW_EDDS;
    if (n == 0) break;
    int rc = 0;
    for (dds_return_t i = 0; i < n && rc >= 0; i++) {
      switch (which) {
        case RD_PART: rc = on_participant(g, buf[i], &si[i]); break;
        case RD_PUB: rc = on_endpoint(g, true, buf[i], &si[i]); break;
        case RD_SUB: rc = on_endpoint(g, false, buf[i], &si[i]); break;
        default:
          if (!si[i].valid_data) {
            rc = 0;
          } else if (dtw_bus_distro(g->bus) == DTW_ROS_HUMBLE) {
            rc = info_humble(g, buf[i]);
          } else {
            rc = info_jazzy(g, buf[i]);
          }
      }
      if (rc > 0) applied += rc;
    }
    dds_return_loan(rd, buf, n);
    if (rc < 0) return rc;
    if (n < TAKE_BATCH) break;
  }
  return applied;
}

/* Rebuild the flat views (alive nodes, topics) after a change. */
static int rebuild(dtw_graph_t *g) {
  int64_t now = dtw_clock_mono_ns();
  size_t n_nodes = 0;
  g->n_alive_parts = 0;
  for (size_t i = 0; i < g->n_parts;) {
    gpart_t *p = &g->parts[i];
    if (!p->alive && now - p->first_info_ns > PENDING_KEEP_NS) {
      remove_part_at(g, i);
      continue;
    }
    if (p->alive) {
      g->n_alive_parts++;
      n_nodes += p->n_nodes;
    }
    i++;
  }
  free(g->nodes);
  g->nodes = n_nodes ? calloc(n_nodes, sizeof *g->nodes) : NULL;
  g->n_nodes = 0;
  if (n_nodes && g->nodes == NULL) return DTW_ENOMEM;
  for (size_t i = 0; i < g->n_parts; i++) {
    if (!g->parts[i].alive) continue;
    for (size_t k = 0; k < g->parts[i].n_nodes; k++)
      g->nodes[g->n_nodes++] = (gnode_ref_t){&g->parts[i], &g->parts[i].nodes[k]};
  }
  free(g->topics);
  g->topics = g->n_eps ? calloc(g->n_eps, sizeof *g->topics) : NULL;
  g->n_topics = 0;
  if (g->n_eps && g->topics == NULL) return DTW_ENOMEM;
  for (size_t i = 0; i < g->n_eps; i++) {
    const gep_t *e = &g->eps[i];
    if (e->kind != DTW_GRAPH_EP_TOPIC) continue;
    gtopic_t *t = NULL;
    for (size_t k = 0; k < g->n_topics && t == NULL; k++)
      if (strcmp(g->topics[k].name, e->ros_name) == 0) t = &g->topics[k];
    if (t == NULL) {
      t = &g->topics[g->n_topics++];
      t->name = e->ros_name;
      t->type = e->ros_type;
    }
    if (e->writer)
      t->pubs++;
    else
      t->subs++;
  }
  return 0;
}

int dtw_graph_update(dtw_graph_t *g) {
  int total = 0;
  /* participants first: their graph info may arrive in the same round */
  const dds_entity_t rds[] = {g->rd_part, g->rd_pub, g->rd_sub, g->rd_info};
  for (int i = 0; i < 4; i++) {
    int rc = take_all(g, rds[i], i);
    if (rc < 0) return rc;
    total += rc;
  }
  if (total > 0) {
    int rc = rebuild(g);
    g->generation++;
    if (rc < 0) return rc;
  }
  return total;
}

uint64_t dtw_graph_generation(const dtw_graph_t *g) { return g->generation; }

/* ---- create / destroy ---------------------------------------------------------------------- */

int dtw_graph_create(dtw_bus_t *bus, dtw_graph_t **out, char *err, size_t errlen) {
  dtw_graph_t *g = calloc(1, sizeof *g);
  int rc;
  if (g == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "graph: out of memory");
  g->bus = bus;
  dds_entity_t pp = bus->participant;
  if ((g->rd_part = dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, NULL, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, g->rd_part, "create reader", "DCPSParticipant");
    goto fail;
  }
  if ((g->rd_pub = dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, NULL, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, g->rd_pub, "create reader", "DCPSPublication");
    goto fail;
  }
  if ((g->rd_sub = dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, NULL, NULL)) < 0) {
    rc = dtw__dds_err(err, errlen, g->rd_sub, "create reader", "DCPSSubscription");
    goto fail;
  }
  /* same topic (and DDS type name) as the bus's graph writer */
  dds_entity_t tp;
  if (dtw_bus_distro(bus) == DTW_ROS_HUMBLE)
    tp = dtw__topic_create(bus, "ros_discovery_info",
                           &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, NULL);
  else
    tp = dtw__topic_create(bus, "ros_discovery_info",
                           &rmw_dds_common_jazzy_msg_dds__ParticipantEntitiesInfo__desc,
                           rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc.m_typename);
  if (tp < 0) {
    rc = dtw__dds_err(err, errlen, tp, "create topic", "ros_discovery_info");
    goto fail;
  }
  /* the topic is keyless: every participant's sample lands in one instance, so
   * keep a deep history to not lose one participant's state to another's */
  dds_qos_t *qos = dtw__qos_create_depth(DTW_QOS_LATCHED, false, 256);
  if (qos == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "graph: out of memory");
    goto fail;
  }
  dtw__qos_set_userdata(bus, qos, NULL, "rmw_dds_common_jazzy/msg/ParticipantEntitiesInfo", NULL);
  g->rd_info = dds_create_reader(pp, tp, qos, NULL);
  dds_delete_qos(qos);
  if (g->rd_info < 0) {
    rc = dtw__dds_err(err, errlen, g->rd_info, "create reader", "ros_discovery_info");
    goto fail;
  }
  *out = g;
  return 0;
fail:
  dtw_graph_destroy(g);
  return rc;
}

void dtw_graph_destroy(dtw_graph_t *g) {
  if (g == NULL) return;
  if (g->rd_info > 0) dds_delete(g->rd_info);
  if (g->rd_sub > 0) dds_delete(g->rd_sub);
  if (g->rd_pub > 0) dds_delete(g->rd_pub);
  if (g->rd_part > 0) dds_delete(g->rd_part);
  while (g->n_parts > 0) remove_part_at(g, g->n_parts - 1);
  while (g->n_eps > 0) remove_ep_at(g, g->n_eps - 1);
  free(g->parts);
  free(g->eps);
  free(g->nodes);
  free(g->topics);
  free(g);
}

/* ---- queries ------------------------------------------------------------------------------- */

size_t dtw_graph_participant_count(const dtw_graph_t *g) { return g->n_alive_parts; }
size_t dtw_graph_node_count(const dtw_graph_t *g) { return g->n_nodes; }
size_t dtw_graph_endpoint_count(const dtw_graph_t *g) { return g->n_eps; }
size_t dtw_graph_topic_count(const dtw_graph_t *g) { return g->n_topics; }

int dtw_graph_node_at(const dtw_graph_t *g, size_t i, dtw_graph_node_info_t *out) {
  if (i >= g->n_nodes) return DTW_ERANGE;
  const gnode_t *n = g->nodes[i].node;
  out->fqn = n->fqn;
  out->ns = n->ns;
  out->name = n->name;
  memcpy(out->participant, g->nodes[i].part->guid, 16);
  out->n_readers = n->n_readers;
  out->n_writers = n->n_writers;
  return 0;
}

/* The alive node listing gid as a reader or writer, or NULL. */
static const gnode_t *node_of(const dtw_graph_t *g, const uint8_t *gid, bool writer) {
  for (size_t i = 0; i < g->n_nodes; i++) {
    const gnode_t *n = g->nodes[i].node;
    size_t cnt = writer ? n->n_writers : n->n_readers;
    gid16_t *gids = writer ? n->writers : n->readers;
    for (size_t k = 0; k < cnt; k++)
      if (memcmp(gids[k], gid, 16) == 0) return n;
  }
  return NULL;
}

int dtw_graph_endpoint_at(const dtw_graph_t *g, size_t i, dtw_graph_endpoint_info_t *out) {
  if (i >= g->n_eps) return DTW_ERANGE;
  const gep_t *e = &g->eps[i];
  memcpy(out->gid, e->gid, 16);
  memcpy(out->participant, e->part, 16);
  out->writer = e->writer;
  out->kind = e->kind;
  out->dds_topic = e->dds_topic;
  out->dds_type = e->dds_type;
  out->ros_name = e->ros_name;
  out->ros_type = e->ros_type;
  out->type_hash = e->type_hash;
  const gnode_t *n = node_of(g, e->gid, e->writer);
  out->node_fqn = n ? n->fqn : "";
  return 0;
}

int dtw_graph_topic_at(const dtw_graph_t *g, size_t i, dtw_graph_topic_info_t *out) {
  if (i >= g->n_topics) return DTW_ERANGE;
  out->name = g->topics[i].name;
  out->type = g->topics[i].type;
  out->n_publishers = g->topics[i].pubs;
  out->n_subscribers = g->topics[i].subs;
  return 0;
}

/* fqn with a leading '/' added when missing ("name" -> "/name"). */
static bool fqn_equal(const char *have, const char *want) {
  if (want[0] != '/') return have[0] == '/' && strcmp(have + 1, want) == 0;
  return strcmp(have, want) == 0;
}

bool dtw_graph_has_node(const dtw_graph_t *g, const char *fqn) {
  for (size_t i = 0; i < g->n_nodes; i++)
    if (fqn_equal(g->nodes[i].node->fqn, fqn)) return true;
  return false;
}

static const gtopic_t *find_topic(const dtw_graph_t *g, const char *topic) {
  for (size_t i = 0; i < g->n_topics; i++)
    if (strcmp(g->topics[i].name, topic) == 0) return &g->topics[i];
  return NULL;
}

size_t dtw_graph_topic_publishers(const dtw_graph_t *g, const char *topic) {
  const gtopic_t *t = find_topic(g, topic);
  return t ? t->pubs : 0;
}

size_t dtw_graph_topic_subscribers(const dtw_graph_t *g, const char *topic) {
  const gtopic_t *t = find_topic(g, topic);
  return t ? t->subs : 0;
}

const char *dtw_graph_topic_type(const dtw_graph_t *g, const char *topic) {
  const gtopic_t *t = find_topic(g, topic);
  return t ? t->type : "";
}

static bool node_has(const dtw_graph_t *g, const char *fqn, const char *topic, bool writer) {
  for (size_t i = 0; i < g->n_eps; i++) {
    const gep_t *e = &g->eps[i];
    if (e->writer != writer || e->kind != DTW_GRAPH_EP_TOPIC || strcmp(e->ros_name, topic) != 0)
      continue;
    const gnode_t *n = node_of(g, e->gid, writer);
    if (n != NULL && fqn_equal(n->fqn, fqn)) return true;
  }
  return false;
}

bool dtw_graph_node_publishes(const dtw_graph_t *g, const char *fqn, const char *topic) {
  return node_has(g, fqn, topic, true);
}

bool dtw_graph_node_subscribes(const dtw_graph_t *g, const char *fqn, const char *topic) {
  return node_has(g, fqn, topic, false);
}
