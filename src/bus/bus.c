/* The bus: participant, nodes, QoS profiles, endpoint bookkeeping, dispatch. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus__internal.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/typedesc.h"

int dtw__dds_err(char *err, size_t errlen, dds_return_t rc, const char *what, const char *name) {
  return dtw_errf(err, errlen, DTW_EDDS, "%s '%s': %s", what, name ? name : "",
                  dds_strretcode(rc));
}

void dtw_bus_options_default(dtw_bus_options_t *opt) {
  memset(opt, 0, sizeof *opt);
  opt->domain_id = -1;
  opt->distro = DTW_ROS_HUMBLE;
  opt->enclave = NULL;
}

int dtw_ros_distro_parse(const char *text) {
  if (text == NULL) return -1;
  if (strcasecmp(text, "humble") == 0) return DTW_ROS_HUMBLE;
  if (strcasecmp(text, "jazzy") == 0 || strcasecmp(text, "iron") == 0 ||
      strcasecmp(text, "rolling") == 0)
    return DTW_ROS_JAZZY;
  return -1;
}

dds_qos_t *dtw__qos_create(dtw_qos_t profile, bool writer) {
  return dtw__qos_create_depth(profile, writer, 0);
}

dds_qos_t *dtw__qos_create_depth(dtw_qos_t profile, bool writer, int depth_override) {
  dds_qos_t *qos = dds_create_qos();
  if (qos == NULL) return NULL;
  bool reliable = true, transient_local = false;
  int32_t depth = 10;
  switch (profile) {
    case DTW_QOS_DEFAULT:
    case DTW_QOS_SERVICES:
      break;
    case DTW_QOS_SENSOR_DATA:
      reliable = false;
      depth = 5;
      break;
    case DTW_QOS_CLOCK:
      /* a reliable writer matches ROS' best-effort /clock readers and reliable ones */
      reliable = writer;
      depth = 1;
      break;
    case DTW_QOS_LATCHED:
      transient_local = true;
      depth = 1;
      break;
  }
  if (depth_override > 0) depth = depth_override;
  /* same policies rmw_cyclonedds sets (create_readwrite_qos) */
  dds_qset_writer_data_lifecycle(qos, false);
  dds_qset_history(qos, DDS_HISTORY_KEEP_LAST, depth);
  if (reliable)
    dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  else
    dds_qset_reliability(qos, DDS_RELIABILITY_BEST_EFFORT, 0);
  if (transient_local) {
    dds_qset_durability(qos, DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_durability_service(qos, 0, DDS_HISTORY_KEEP_LAST, depth, DDS_LENGTH_UNLIMITED,
                                DDS_LENGTH_UNLIMITED, DDS_LENGTH_UNLIMITED);
  } else {
    dds_qset_durability(qos, DDS_DURABILITY_VOLATILE);
  }
  dds_qset_liveliness(qos, DDS_LIVELINESS_AUTOMATIC, DDS_INFINITY);
  dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(qos, 1, &xcdr1);
  return qos;
}

void dtw__qos_set_userdata(const dtw_bus_t *bus, dds_qos_t *qos, const char *prefix,
                           const char *ros_type, const char *part) {
  char ud[DTW_ROS_NAME_BUF + 96], name[DTW_ROS_NAME_BUF];
  const char *p = prefix ? prefix : "";
  const dtw_typedesc_t *td = NULL;
  /* Iron and later: rmw announces the type's hash with every endpoint (REP-2016) */
  if (bus->distro == DTW_ROS_JAZZY && ros_type != NULL) {
    snprintf(name, sizeof name, "%s%s", ros_type, part ? part : "");
    td = dtw_typedesc_find(name);
  }
  if (td == NULL && p[0] == '\0') return;
  snprintf(ud, sizeof ud, "%s%s%s%s", p, td ? "typehash=" : "", td ? td->rihs01 : "", td ? ";" : "");
  dds_qset_userdata(qos, ud, strlen(ud));
}

dds_entity_t dtw__topic_create(dtw_bus_t *bus, const char *dds_topic,
                               const dds_topic_descriptor_t *desc, const char *type_name) {
  if (type_name == NULL) return dds_create_topic(bus->participant, desc, dds_topic, NULL, NULL);
  /* same layout, different DDS type name (Jazzy graph message) */
  dds_topic_descriptor_t copy = *desc;
  copy.m_typename = type_name;
  return dds_create_topic(bus->participant, &copy, dds_topic, NULL, NULL);
}

static int parse_domain(const dtw_bus_options_t *opt, uint32_t *out, char *err, size_t errlen) {
  if (opt->domain_id >= 0) {
    if (opt->domain_id > 232)
      return dtw_errf(err, errlen, DTW_EINVAL, "domain id %d out of range 0..232",
                      opt->domain_id);
    *out = (uint32_t)opt->domain_id;
    return 0;
  }
  const char *env = getenv("ROS_DOMAIN_ID");
  if (env == NULL || env[0] == '\0') {
    *out = 0;
    return 0;
  }
  char *end = NULL;
  errno = 0;
  long v = strtol(env, &end, 10);
  if (errno != 0 || end == env || *end != '\0' || v < 0 || v > 232)
    return dtw_errf(err, errlen, DTW_EINVAL, "ROS_DOMAIN_ID '%s': expected an integer 0..232",
                    env);
  *out = (uint32_t)v;
  return 0;
}

int dtw_bus_create(const dtw_bus_options_t *opt_in, dtw_bus_t **out, char *err, size_t errlen) {
  dtw_bus_options_t opt;
  dds_qos_t *qos = NULL;
  dds_entity_t topic;
  int rc;
  char user_data[DTW_ROS_NAME_BUF + 16];
  if (opt_in)
    opt = *opt_in;
  else
    dtw_bus_options_default(&opt);
  if (opt.distro != DTW_ROS_HUMBLE && opt.distro != DTW_ROS_JAZZY)
    return dtw_errf(err, errlen, DTW_EINVAL, "unknown ROS distro %d", (int)opt.distro);
  /* Other processes decide how large a sample is. glibc raises its mmap
   * threshold up to 32 MiB after freeing a large block, so a 32 MB sample then
   * lands in a receive thread's heap, whose top malloc_trim never returns: fixed
   * thresholds keep such blocks in their own mappings, given back when freed. */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  dtw_bus_t *bus = calloc(1, sizeof *bus);
  if (bus == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "bus: out of memory");
  if ((rc = parse_domain(&opt, &bus->domain_id, err, errlen)) < 0) goto err_domain;
  bus->distro = opt.distro;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&bus->lock, &attr);
  pthread_mutexattr_destroy(&attr);

  /* participant USER_DATA "enclave=/;" is what makes ROS count it as a context */
  if ((qos = dds_create_qos()) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "bus: out of memory");
    goto err_qos;
  }
  snprintf(user_data, sizeof user_data, "enclave=%s;", opt.enclave ? opt.enclave : "/");
  dds_qset_userdata(qos, user_data, strlen(user_data));
  bus->participant = dds_create_participant(bus->domain_id, qos, NULL);
  dds_delete_qos(qos);
  qos = NULL;
  if (bus->participant < 0) {
    rc = dtw__dds_err(err, errlen, bus->participant, "create participant in domain", "");
    goto err_qos;
  }
  if (opt.write_batching) dds_write_set_batch(true);
  dds_return_t drc = dds_get_guid(bus->participant, &bus->participant_gid);
  if (drc < 0) {
    rc = dtw__dds_err(err, errlen, drc, "participant guid", "");
    goto err_pp;
  }
  if ((bus->waitset = dds_create_waitset(bus->participant)) < 0) {
    rc = dtw__dds_err(err, errlen, bus->waitset, "create waitset", "");
    goto err_pp;
  }
  if ((bus->idle_guard = dds_create_guardcondition(bus->participant)) < 0) {
    rc = dtw__dds_err(err, errlen, bus->idle_guard, "create guard condition", "");
    goto err_pp;
  }
  if ((drc = dds_waitset_attach(bus->waitset, bus->idle_guard, 0)) < 0) {
    rc = dtw__dds_err(err, errlen, drc, "waitset attach", "");
    goto err_pp;
  }

  /* the graph writer: reliable, transient-local, keep-last 1, like rmw */
  if (bus->distro == DTW_ROS_HUMBLE)
    topic = dtw__topic_create(bus, "ros_discovery_info",
                              &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc, NULL);
  else
    topic = dtw__topic_create(bus, "ros_discovery_info",
                              &rmw_dds_common_jazzy_msg_dds__ParticipantEntitiesInfo__desc,
                              rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc.m_typename);
  if (topic < 0) {
    rc = dtw__dds_err(err, errlen, topic, "create topic", "ros_discovery_info");
    goto err_pp;
  }
  if ((qos = dtw__qos_create(DTW_QOS_LATCHED, true)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "bus: out of memory");
    goto err_pp;
  }
  dtw__qos_set_userdata(bus, qos, NULL, "rmw_dds_common_jazzy/msg/ParticipantEntitiesInfo", NULL);
  bus->graph_writer = dds_create_writer(bus->participant, topic, qos, NULL);
  dds_delete_qos(qos);
  if (bus->graph_writer < 0) {
    rc = dtw__dds_err(err, errlen, bus->graph_writer, "create writer", "ros_discovery_info");
    goto err_pp;
  }
  pthread_mutex_lock(&bus->lock);
  rc = dtw__graph_publish(bus);
  pthread_mutex_unlock(&bus->lock);
  if (rc < 0) {
    rc = dtw_errf(err, errlen, rc, "publish ros_discovery_info: %s", dtw_strerror(rc));
    goto err_pp;
  }
  *out = bus;
  return 0;

err_pp:
  dds_delete(bus->participant);
err_qos:
  pthread_mutex_destroy(&bus->lock);
err_domain:
  free(bus);
  return rc;
}

void dtw_bus_destroy(dtw_bus_t *bus) {
  if (bus == NULL) return;
  while (bus->nodes != NULL) dtw_bus_node_destroy(bus->nodes);
  dds_delete(bus->participant);
  pthread_mutex_destroy(&bus->lock);
  free(bus);
}

uint32_t dtw_bus_domain_id(const dtw_bus_t *bus) { return bus->domain_id; }
dtw_ros_distro_t dtw_bus_distro(const dtw_bus_t *bus) { return bus->distro; }

int dtw_bus_node_create(dtw_bus_t *bus, const char *name, const char *ns, dtw_bus_node_t **out,
                        char *err, size_t errlen) {
  int rc;
  if (ns == NULL || ns[0] == '\0') ns = "/";
  if ((rc = dtw_ros_validate_node_name(name, err, errlen)) < 0) return rc;
  if ((rc = dtw_ros_validate_namespace(ns, err, errlen)) < 0) return rc;
  dtw_bus_node_t *node = calloc(1, sizeof *node);
  if (node == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "node '%s': out of memory", name);
  node->bus = bus;
  snprintf(node->name, sizeof node->name, "%s", name);
  snprintf(node->ns, sizeof node->ns, "%s", ns);
  pthread_mutex_lock(&bus->lock);
  node->next = bus->nodes;
  bus->nodes = node;
  rc = dtw__graph_publish(bus);
  if (rc < 0) {
    bus->nodes = node->next;
    pthread_mutex_unlock(&bus->lock);
    free(node);
    return dtw_errf(err, errlen, rc, "node '%s': publishing the graph failed", name);
  }
  pthread_mutex_unlock(&bus->lock);
  *out = node;
  return 0;
}

void dtw_bus_node_destroy(dtw_bus_node_t *node) {
  if (node == NULL) return;
  dtw_bus_t *bus = node->bus;
  pthread_mutex_lock(&bus->lock);
  while (node->eps != NULL) node->eps->destroy(node->eps);
  for (dtw_bus_node_t **pp = &bus->nodes; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == node) {
      *pp = node->next;
      break;
    }
  }
  if (dtw__graph_publish(bus) < 0) DTW_WARN("bus", "graph update after removing node failed");
  pthread_mutex_unlock(&bus->lock);
  free(node);
}

int dtw_bus_node_add_remap(dtw_bus_node_t *node, const char *rule, char *err, size_t errlen) {
  dtw_ros_remap_t r;
  int rc = dtw_ros_remap_parse(rule, &r, err, errlen);
  if (rc < 0) return rc;
  if (node->n_remaps >= DTW__MAX_REMAPS)
    return dtw_errf(err, errlen, DTW_EFULL, "node '%s': more than %d remapping rules",
                    node->name, DTW__MAX_REMAPS);
  node->remaps[node->n_remaps++] = r;
  return 0;
}

int dtw_bus_node_resolve(const dtw_bus_node_t *node, const char *name, char *out, size_t outlen,
                         char *err, size_t errlen) {
  char full[DTW_ROS_NAME_BUF];
  int rc = dtw_ros_expand_name(name, node->ns, full, sizeof full, err, errlen);
  if (rc < 0) return rc;
  rc = dtw_ros_remap_apply(node->remaps, node->n_remaps, full, node->name, node->ns, out, outlen,
                           err, errlen);
  return rc < 0 ? rc : 0;
}

const char *dtw_bus_node_name(const dtw_bus_node_t *node) { return node->name; }

int dtw__ep_register(dtw_bus_node_t *node, dtw__ep_t *ep, dds_entity_t reader,
                     dds_entity_t writer, char *err, size_t errlen) {
  dtw_bus_t *bus = node->bus;
  dds_return_t drc;
  int rc;
  ep->node = node;
  if (reader > 0) {
    if ((drc = dds_get_guid(reader, &ep->reader_gid)) < 0)
      return dtw__dds_err(err, errlen, drc, "reader guid", "");
    ep->has_reader = true;
  }
  if (writer > 0) {
    if ((drc = dds_get_guid(writer, &ep->writer_gid)) < 0)
      return dtw__dds_err(err, errlen, drc, "writer guid", "");
    ep->has_writer = true;
  }
  pthread_mutex_lock(&bus->lock);
  if (ep->dispatch != NULL && ep->readcond > 0) {
    if ((drc = dds_waitset_attach(bus->waitset, ep->readcond, (dds_attach_t)(uintptr_t)ep)) < 0) {
      pthread_mutex_unlock(&bus->lock);
      return dtw__dds_err(err, errlen, drc, "waitset attach", "");
    }
  }
  ep->next = node->eps;
  node->eps = ep;
  rc = dtw__graph_publish(bus);
  pthread_mutex_unlock(&bus->lock);
  if (rc < 0) DTW_WARN("bus", "graph update after adding an endpoint failed: %s", dtw_strerror(rc));
  return 0;
}

void dtw__ep_unregister(dtw__ep_t *ep) {
  dtw_bus_node_t *node = ep->node;
  if (node == NULL) return;
  dtw_bus_t *bus = node->bus;
  pthread_mutex_lock(&bus->lock);
  if (ep->dispatch != NULL && ep->readcond > 0) dds_waitset_detach(bus->waitset, ep->readcond);
  for (dtw__ep_t **pp = &node->eps; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == ep) {
      *pp = ep->next;
      break;
    }
  }
  if (dtw__graph_publish(bus) < 0) DTW_WARN("bus", "graph update after removing an endpoint failed");
  pthread_mutex_unlock(&bus->lock);
  ep->node = NULL;
}

bool dtw__ep_alive(dtw_bus_t *bus, const dtw__ep_t *ep) {
  for (const dtw_bus_node_t *n = bus->nodes; n != NULL; n = n->next)
    for (const dtw__ep_t *e = n->eps; e != NULL; e = e->next)
      if (e == ep) return true;
  return false;
}

int dtw_bus_spin_once(dtw_bus_t *bus, int64_t timeout_ns) {
  dds_attach_t xs[64];
  int total = 0;
  dds_return_t n = dds_waitset_wait(bus->waitset, xs, 64, timeout_ns < 0 ? 0 : timeout_ns);
  if (n < 0) return DTW_EDDS;
  if (n > 64) n = 64;
  pthread_mutex_lock(&bus->lock);
  for (dds_return_t i = 0; i < n; i++) {
    dtw__ep_t *ep = (dtw__ep_t *)(uintptr_t)xs[i];
    /* it may have been destroyed by another thread since the wait returned */
    if (ep == NULL || !dtw__ep_alive(bus, ep)) continue;
    int rc = ep->dispatch(ep);
    if (rc > 0) total += rc;
  }
  pthread_mutex_unlock(&bus->lock);
  return total;
}
