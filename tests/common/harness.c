/* The shared test harness (harness.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtw/clock.h"
#include "dtw/hclient.h"
#include "dtw/metrics_parse.h"

#define NAP_NS (TH_SEC / 500)
#define MAX_ARGS 64

static char g_dir[256];

/* ---- environment ---------------------------------------------------------------------- */

const char *th_env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "harness: %s is not set (run this test through ctest)\n", name);
    exit(1);
  }
  return v;
}

void th_skip(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("SKIP: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  exit(TH_SKIP);
}

int th_domain(void) {
  const char *v = th_env("ROS_DOMAIN_ID");
  char *end;
  long d = strtol(v, &end, 10);
  if (*end != '\0' || d < 0 || d > 232) {
    fprintf(stderr, "harness: ROS_DOMAIN_ID '%s' is not a DDS domain (0..232)\n", v);
    exit(1);
  }
  return (int)d;
}

int th_domain_extra(void) {
  int d = th_domain();
  /* ctest's band is 100 + i; 1 + i stays clear of it and of the default domain 0 */
  if (d < 100 || d > 198) {
    fprintf(stderr, "harness: ROS_DOMAIN_ID %d is outside ctest's band (100..198)\n", d);
    exit(1);
  }
  return d - 99;
}

const char *th_dir(void) {
  if (g_dir[0] != '\0') return g_dir;
  const char *tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/dtw-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
           program_invocation_short_name);
  if (mkdtemp(g_dir) == NULL) {
    fprintf(stderr, "harness: mkdtemp %s: %s\n", g_dir, strerror(errno));
    exit(1);
  }
  return g_dir;
}

int th_finish(int failed) {
  if (g_dir[0] == '\0') return failed;
  if (failed != 0 || getenv("DTW_KEEP_LOGS") != NULL) {
    fprintf(stderr, "harness: logs kept in %s\n", g_dir);
    return failed;
  }
  /* only our logs live here, no subdirectories */
  DIR *d = opendir(g_dir);
  struct dirent *e;
  char path[512];
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
    unlink(path);
  }
  if (d != NULL) closedir(d);
  if (rmdir(g_dir) != 0) fprintf(stderr, "harness: could not remove %s\n", g_dir);
  return failed;
}

/* ---- processes ------------------------------------------------------------------------- */

int th_spawn(th_proc_t *p, const char *name, const char *const *args) {
  const char *dtwin = th_env("DTWIN");
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->log, sizeof p->log, "%s/%s.log", th_dir(), name);
  const char *argv[MAX_ARGS + 4];
  size_t n = 0;
  bool port_set = false;
  argv[n++] = dtwin;
  for (size_t i = 0; args[i] != NULL; i++) {
    if (i >= MAX_ARGS) {
      fprintf(stderr, "harness: %s: more than %d arguments\n", name, MAX_ARGS);
      return -1;
    }
    if (strstr(args[i], "dtwin.http_port") != NULL) port_set = true;
  }
  if (args[0] == NULL) return -1;
  argv[n++] = args[0];
  if (!port_set) {
    argv[n++] = "--set";
    argv[n++] = "dtwin.http_port=0";
  }
  for (size_t i = 1; args[i] != NULL; i++) argv[n++] = args[i];
  argv[n] = NULL;
  int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "harness: %s: %s\n", p->log, strerror(errno));
    return -1;
  }
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "harness: fork: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  if (pid == 0) {
    /* never outlive the test, even if it crashes */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(dtwin, (char *const *)argv);
    fprintf(stderr, "harness: exec %s: %s\n", dtwin, strerror(errno));
    _exit(127);
  }
  close(fd);
  p->pid = pid;
  return 0;
}

bool th_running(th_proc_t *p) {
  if (p->pid <= 0) return false;
  int status;
  if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
    fprintf(stderr, "harness: %s exited early (status 0x%x)\n", p->name, (unsigned)status);
    p->pid = 0;
    return false;
  }
  return true;
}

const char *th_url(th_proc_t *p, double timeout_s) {
  char line[1024];
  double end = th_now_s() + timeout_s;
  for (;;) {
    if (th_log_find(p, "metrics and health at http://", line, sizeof line)) {
      const char *u = strstr(line, "http://");
      snprintf(p->url, sizeof p->url, "%.*s", (int)strcspn(u, " \r\n"), u);
      return p->url;
    }
    if (!th_running(p) || th_now_s() > end) break;
    dtw_clock_sleep_ns(TH_SEC / 50);
  }
  fprintf(stderr, "harness: %s printed no endpoint within %.0f s\n", p->name, timeout_s);
  th_log_dump(p, 30);
  return NULL;
}

int th_stop(th_proc_t *p, int sig, double timeout_s) {
  if (p->pid <= 0) return 0;
  kill(p->pid, sig);
  kill(p->pid, SIGCONT);
  int status = 0;
  pid_t r = 0;
  double end = th_now_s() + timeout_s;
  while ((r = waitpid(p->pid, &status, WNOHANG)) == 0 && th_now_s() < end)
    dtw_clock_sleep_ns(TH_SEC / 100);
  bool killed = false;
  if (r == 0) {
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    killed = true;
  }
  p->pid = 0;
  if (!killed && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (killed)
    fprintf(stderr, "harness: %s did not exit within %.0f s of signal %d: killed\n", p->name,
            timeout_s, sig);
  else if (WIFSIGNALED(status))
    fprintf(stderr, "harness: %s ended by signal %d\n", p->name, WTERMSIG(status));
  else
    fprintf(stderr, "harness: %s exited with status %d\n", p->name, WEXITSTATUS(status));
  th_log_dump(p, 40);
  return -1;
}

/* ---- logs --------------------------------------------------------------------------------- */

/* The line into the caller's buffer, cut to fit (a long line is cut, not an error). */
static void copy_line(char *line, size_t cap, const char *buf) {
  if (line == NULL || cap == 0) return;
  size_t n = strnlen(buf, cap - 1);
  memcpy(line, buf, n);
  line[n] = '\0';
}

bool th_log_find(const th_proc_t *p, const char *needle, char *line, size_t cap) {
  FILE *f = fopen(p->log, "r");
  if (f == NULL) return false;
  char buf[4096];
  bool found = false;
  while (!found && fgets(buf, sizeof buf, f) != NULL) found = strstr(buf, needle) != NULL;
  fclose(f);
  if (found) copy_line(line, cap, buf);
  return found;
}

bool th_log_last(const th_proc_t *p, const char *needle, char *line, size_t cap) {
  FILE *f = fopen(p->log, "r");
  if (f == NULL) return false;
  char buf[4096];
  bool found = false;
  while (fgets(buf, sizeof buf, f) != NULL)
    if (strstr(buf, needle) != NULL) {
      found = true;
      copy_line(line, cap, buf);
    }
  fclose(f);
  return found;
}

bool th_wait_log(const th_proc_t *p, const char *needle, double timeout_s, char *line,
                 size_t cap) {
  double end = th_now_s() + timeout_s;
  for (;;) {
    if (th_log_find(p, needle, line, cap)) return true;
    if (th_now_s() > end) return false;
    dtw_clock_sleep_ns(TH_SEC / 100);
  }
}

int th_log_count(const th_proc_t *p, const char *needle) {
  FILE *f = fopen(p->log, "r");
  if (f == NULL) return 0;
  char buf[4096];
  int n = 0;
  while (fgets(buf, sizeof buf, f) != NULL) n += strstr(buf, needle) != NULL;
  fclose(f);
  return n;
}

void th_log_dump(const th_proc_t *p, int n) {
  FILE *f = fopen(p->log, "r");
  if (f == NULL) {
    fprintf(stderr, "harness: no log %s\n", p->log);
    return;
  }
  /* keep the offsets of the last n line starts */
  long starts[200];
  if (n > 200) n = 200;
  if (n < 1) n = 1;
  int count = 0;
  long off = 0;
  int c, prev = '\n';
  while ((c = fgetc(f)) != EOF) {
    if (prev == '\n') starts[count++ % n] = off;
    prev = c;
    off++;
  }
  fprintf(stderr, "---- last lines of %s (%s) ----\n", p->name, p->log);
  if (count > 0) {
    fseek(f, starts[count > n ? count % n : 0], SEEK_SET);
    char buf[4096];
    while (fgets(buf, sizeof buf, f) != NULL) fputs(buf, stderr);
  }
  fprintf(stderr, "---- end of %s ----\n", p->name);
  fclose(f);
}

/* ---- waiting -------------------------------------------------------------------------------- */

double th_now_s(void) { return (double)dtw_clock_mono_ns() * 1e-9; }

void th_nap(void) { dtw_clock_sleep_ns(NAP_NS); }

bool th_wait_for(th_cond_fn cond, void *user, double timeout_s) {
  double end = th_now_s() + timeout_s;
  while (th_now_s() < end) {
    if (cond(user)) return true;
    th_nap();
  }
  return cond(user);
}

/* ---- HTTP and metrics ------------------------------------------------------------------------- */

char *th_http_get(const char *url, const char *path, long *status) {
  char full[512], err[256];
  snprintf(full, sizeof full, "%s%s", url, path);
  long st = 0;
  char *body = NULL;
  size_t len = 0;
  if (dtw_hclient_get(full, 10.0, &st, &body, &len, err, sizeof err) < 0) return NULL;
  if (status != NULL) *status = st;
  return body;
}

/* The one place that knows the project's Prometheus text parser. */
double th_metric(const char *text, const char *series) {
  dtw_prom_sample_t want, got;
  char sel[1024], err[256];
  /* the selector is a sample line without its value */
  snprintf(sel, sizeof sel, "%s 0", series);
  if (text == NULL || dtw_prom_parse_line(sel, strlen(sel), &want, err, sizeof err) != 1)
    return NAN;
  for (const char *p = text; *p != '\0';) {
    size_t len = strcspn(p, "\n");
    if (dtw_prom_parse_line(p, len, &got, err, sizeof err) == 1 &&
        strcmp(got.name, want.name) == 0) {
      bool all = true;
      for (size_t i = 0; i < want.n_labels && all; i++) {
        const char *v = dtw_prom_label(&got, want.labels[i].name);
        all = v != NULL && strcmp(v, want.labels[i].value) == 0;
      }
      if (all) return got.value;
    }
    p += len;
    if (*p == '\n') p++;
  }
  return NAN;
}

double th_scrape(const char *url, const char *series) {
  char *text = th_http_get(url, "/metrics", NULL);
  double v = th_metric(text, series);
  free(text);
  return v;
}

/* ---- assertions ---------------------------------------------------------------------------------- */

void th__assert_near(double actual, double expected, double tol, const char *what,
                     const char *file, int line) {
  if (fabs(actual - expected) <= tol) return;
  print_error("%s: %.9g, expected %.9g +- %.3g\n", what, actual, expected, tol);
  _fail(file, line);
}

void th__assert_range(double actual, double lo, double hi, const char *what, const char *file,
                      int line) {
  if (actual >= lo && actual <= hi) return;
  print_error("%s: %.9g, expected in [%.9g, %.9g]\n", what, actual, lo, hi);
  _fail(file, line);
}
