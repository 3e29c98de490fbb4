/* Built-in families: standard process_* metrics (from /proc) and dtwin_build_info. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "metrics__registry.h"

typedef struct proc_stat {
  unsigned long long utime, stime, starttime; /* clock ticks */
} proc_stat_t;

/* Fields of /proc/self/stat after "pid (comm)"; comm may hold spaces and ')' so we start
 * after the last ')'. Field 3 (state) is the first token there. */
static int read_proc_stat(proc_stat_t *ps) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "r");
  if (f == NULL) return DTW_EIO;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (p == NULL) return DTW_EIO;
  p++;
  unsigned long long v[20] = {0};
  char *save = NULL;
  int field = 3;
  for (char *tok = strtok_r(p, " ", &save); tok && field <= 22;
       tok = strtok_r(NULL, " ", &save), field++) {
    if (field >= 14) v[field - 14] = strtoull(tok, NULL, 10);
  }
  if (field <= 22) return DTW_EIO;
  ps->utime = v[0];     /* field 14 */
  ps->stime = v[1];     /* field 15 */
  ps->starttime = v[8]; /* field 22 */
  return 0;
}

/* /proc/stat "btime": boot time, seconds since the epoch. */
static int read_boot_time(double *out) {
  char line[256];
  int rc = DTW_EIO;
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return DTW_EIO;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long bt;
    if (sscanf(line, "btime %llu", &bt) == 1) {
      *out = (double)bt;
      rc = 0;
      break;
    }
  }
  fclose(f);
  return rc;
}

static int count_fds(double *out) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return DTW_EIO;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  *out = (double)(n > 0 ? n - 1 : 0); /* not counting the directory's own descriptor */
  return 0;
}

static int process_collect(dtw_metrics_t *reg, void *user) {
  (void)user;
  metrics__process_t *p = &reg->proc;
  long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  int rc = 0;
  proc_stat_t ps;
  if (read_proc_stat(&ps) == 0 && tick > 0)
    dtw_counter_set(p->cpu, (double)(ps.utime + ps.stime) / (double)tick);
  else
    rc = DTW_EIO;

  unsigned long long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f != NULL && fscanf(f, "%llu %llu", &size, &resident) == 2) {
    dtw_gauge_set(p->vms, (double)size * (double)page);
    dtw_gauge_set(p->rss, (double)resident * (double)page);
  } else {
    rc = DTW_EIO;
  }
  if (f != NULL) fclose(f);

  double fds;
  if (count_fds(&fds) == 0)
    dtw_gauge_set(p->fds, fds);
  else
    rc = DTW_EIO;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) dtw_gauge_set(p->max_fds, (double)rl.rlim_cur);
  return rc;
}

int dtw_metrics_register_process(dtw_metrics_t *reg) {
  if (reg == NULL) return DTW_EINVAL;
  pthread_mutex_lock(&reg->mu);
  int done = reg->proc.registered;
  pthread_mutex_unlock(&reg->mu);
  if (done) return 0;
  metrics__process_t p = {0};
  char err[256];
  int rc;
  /* the start time never changes: compute it once */
  proc_stat_t ps;
  double boot;
  long tick = sysconf(_SC_CLK_TCK);
  if (read_proc_stat(&ps) < 0 || read_boot_time(&boot) < 0 || tick <= 0) return DTW_EIO;

  if ((rc = dtw_metrics_add_counter(reg, "process_cpu_seconds_total",
                                    "Total user and system CPU time spent in seconds.", NULL,
                                    &p.cpu, err, sizeof err)) < 0 ||
      (rc = dtw_metrics_add_gauge(reg, "process_open_fds", "Number of open file descriptors.",
                                  NULL, &p.fds, err, sizeof err)) < 0 ||
      (rc = dtw_metrics_add_gauge(reg, "process_max_fds",
                                  "Maximum number of open file descriptors.", NULL, &p.max_fds,
                                  err, sizeof err)) < 0 ||
      (rc = dtw_metrics_add_gauge(reg, "process_virtual_memory_bytes",
                                  "Virtual memory size in bytes.", NULL, &p.vms, err,
                                  sizeof err)) < 0 ||
      (rc = dtw_metrics_add_gauge(reg, "process_resident_memory_bytes",
                                  "Resident memory size in bytes.", NULL, &p.rss, err,
                                  sizeof err)) < 0 ||
      (rc = dtw_metrics_add_gauge(reg, "process_start_time_seconds",
                                  "Start time of the process since unix epoch in seconds.", NULL,
                                  &p.start, err, sizeof err)) < 0) {
    DTW_ERROR("metrics", "%s", err);
    return rc;
  }
  dtw_gauge_set(p.start, boot + (double)ps.starttime / (double)tick);
  p.registered = 1;
  pthread_mutex_lock(&reg->mu);
  reg->proc = p;
  pthread_mutex_unlock(&reg->mu);
  rc = dtw_metrics_add_collector(reg, process_collect, NULL);
  if (rc < 0) return rc;
  /* fill the values now so they are right even before the first scrape */
  dtw_metrics_collect(reg);
  return 0;
}

int dtw_metrics_register_build_info(dtw_metrics_t *reg, const char *version,
                                    const char *revision) {
  const char *labels[] = {"version", version ? version : "unknown", "revision",
                          revision ? revision : "unknown", NULL};
  dtw_gauge_t *g = NULL;
  char err[256];
  int rc = dtw_metrics_add_gauge(reg, "dtwin_build_info",
                                 "A metric with a constant 1 labelled by the dtwin version and "
                                 "git revision it was built from.",
                                 labels, &g, err, sizeof err);
  if (rc < 0)
    DTW_ERROR("metrics", "%s", err);
  else
    dtw_gauge_set(g, 1);
  return rc;
}
