/* Joint groups from the kinematic tree, whether a groups setting covers a
 * robot, and replacing a synchronizer's groups (see dtw/sync.h). */
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "sync__internal.h"

/* A chain starts at a joint with no actuated ancestor or whose parent branches. */
static bool starts_chain(const int *parent, const size_t *n_children, size_t j) {
  return parent[j] < 0 || n_children[parent[j]] != 1;
}

/* "left_knee_joint" -> "left_knee": group names read like limbs, not joints. */
static void group_name(const char *joint, char *out) {
  size_t len = strlen(joint);
  if (len > 6 && strcmp(joint + len - 6, "_joint") == 0) len -= 6;
  snprintf(out, DTW_NAME_MAX, "%.*s", (int)len, joint);
}

int dtw_sync_groups_from_tree(const char *const *names, const int *parent, size_t n,
                              size_t max_groups, char *out, size_t cap, char *err,
                              size_t errlen) {
  if (names == NULL || parent == NULL || out == NULL || cap == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "joint groups: NULL argument");
  if (n == 0 || n > DTW_MAX_JOINTS || max_groups == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "joint groups: %zu joints, %zu groups allowed", n,
                    max_groups);
  size_t n_children[DTW_MAX_JOINTS] = {0};
  for (size_t j = 0; j < n; j++) {
    if (parent[j] >= (int)n || parent[j] == (int)j)
      return dtw_errf(err, errlen, DTW_EINVAL, "joint groups: joint '%s': bad parent %d",
                      names[j], parent[j]);
    if (strpbrk(names[j], ":;,*") != NULL || strlen(names[j]) >= DTW_NAME_MAX)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "joint groups: joint name '%s' cannot be written in a groups setting",
                      names[j]);
    if (parent[j] >= 0) n_children[parent[j]]++;
  }
  // a tree: every joint reaches a root within n steps
  for (size_t j = 0; j < n; j++) {
    int c = (int)j;
    for (size_t steps = 0; c >= 0; steps++, c = parent[c])
      if (steps > n)
        return dtw_errf(err, errlen, DTW_EINVAL, "joint groups: joint '%s' is in a cycle",
                        names[j]);
  }
  // chain of each joint: the start found by walking up
  size_t chain[DTW_MAX_JOINTS];
  for (size_t j = 0; j < n; j++) {
    size_t c = j;
    while (!starts_chain(parent, n_children, c)) c = (size_t)parent[c];
    chain[j] = c;
  }
  size_t size[DTW_MAX_JOINTS] = {0};
  size_t n_chains = 0;
  for (size_t j = 0; j < n; j++) {
    size[chain[j]]++;
    n_chains += chain[j] == j;
  }
  // too many chains: fold the smallest into the chain it hangs from (a root
  // chain into the smallest other root chain)
  while (n_chains > max_groups) {
    size_t small = n;
    for (size_t c = 0; c < n; c++)
      if (chain[c] == c && (small == n || size[c] <= size[small])) small = c;
    size_t into = n;
    if (parent[small] >= 0) {
      into = chain[parent[small]];
    } else {
      for (size_t c = 0; c < n; c++)
        if (c != small && chain[c] == c && parent[c] < 0 && (into == n || size[c] < size[into]))
          into = c;
      if (into == n)  // the only root chain: fold the smallest other chain into its parent's
        for (size_t c = 0; c < n; c++)
          if (c != small && chain[c] == c && (into == n || size[c] < size[into])) into = c;
    }
    for (size_t j = 0; j < n; j++)
      if (chain[j] == small) chain[j] = into;
    size[into] += size[small];
    size[small] = 0;
    n_chains--;
  }
  // write "name:a,b;name:c" in table order of the chains' first joints
  char used[DTW_MAX_JOINTS][DTW_NAME_MAX];
  size_t n_used = 0, len = 0;
  out[0] = '\0';
  for (size_t c = 0; c < n; c++) {
    if (chain[c] != c) continue;
    char base[DTW_NAME_MAX], *gname = used[n_used];
    group_name(names[c], base);
    memcpy(gname, base, DTW_NAME_MAX);
    for (size_t k = 0, suffix = 2; k < n_used; k++)
      if (strcmp(used[k], gname) == 0) {
        snprintf(gname, DTW_NAME_MAX, "%.50s_%zu", base, suffix++);
        k = (size_t)-1;  // check the new name from the start
      }
    n_used++;
    int w = snprintf(out + len, cap - len, "%s%s:", len ? ";" : "", gname);
    if (w < 0 || (size_t)w >= cap - len) goto full;
    len += (size_t)w;
    bool first = true;
    for (size_t j = 0; j < n; j++) {
      if (chain[j] != c) continue;
      w = snprintf(out + len, cap - len, "%s%s", first ? "" : ",", names[j]);
      if (w < 0 || (size_t)w >= cap - len) goto full;
      len += (size_t)w;
      first = false;
    }
  }
  return 0;
full:
  out[0] = '\0';
  return dtw_errf(err, errlen, DTW_EFULL, "joint groups: more than %zu characters", cap - 1);
}

/* Does member [b, e) ("name" or "prefix*") match joint name? */
static bool member_matches(const char *b, const char *e, const char *name) {
  while (b < e && (*b == ' ' || *b == '\t')) b++;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
  if (b == e) return false;
  size_t len = (size_t)(e - b);
  if (e[-1] == '*') return strncmp(name, b, len - 1) == 0;
  return strlen(name) == len && strncmp(name, b, len) == 0;
}

bool dtw_sync_groups_cover(const char *spec, const char *const *names, size_t n) {
  if (spec == NULL || names == NULL) return false;
  for (size_t j = 0; j < n; j++) {
    bool hit = false;
    for (const char *g = spec; *g != '\0' && !hit;) {
      const char *ge = strchr(g, ';');
      if (ge == NULL) ge = g + strlen(g);
      const char *colon = memchr(g, ':', (size_t)(ge - g));
      for (const char *m = colon ? colon + 1 : ge; m < ge && !hit;) {
        const char *me = memchr(m, ',', (size_t)(ge - m));
        if (me == NULL) me = ge;
        hit = member_matches(m, me, names[j]);
        m = me + 1;
      }
      g = *ge ? ge + 1 : ge;
    }
    if (!hit) return false;
  }
  return true;
}

int dtw_sync_set_joint_groups(dtw_sync_t *s, const char *spec, char *err, size_t errlen) {
  if (s == NULL || spec == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sync_set_joint_groups: NULL argument");
  // a refused spec changes nothing
  char names[DTW_SYNC_MAX_GROUPS][DTW_NAME_MAX];
  int groups[DTW_MAX_JOINTS];
  size_t n_groups = s->n_groups;
  memcpy(names, s->group_names, sizeof names);
  memcpy(groups, s->joint_group, s->n_joints * sizeof *groups);
  int rc = dtw__sync_parse_groups(s, spec, err, errlen);
  if (rc < 0) {
    s->n_groups = n_groups;
    memcpy(s->group_names, names, sizeof names);
    memcpy(s->joint_group, groups, s->n_joints * sizeof *groups);
    return rc;
  }
  // the report shows the new groups at once (a node registers their metrics from it)
  dtw__sync_stats_snapshot(s, s->rep.time_s);
  return 0;
}
