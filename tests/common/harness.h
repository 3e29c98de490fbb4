/* tests/common/harness.h - what the C tests share: dtwin processes and their
 * logs, waiting for a condition, metrics read over HTTP, the test's DDS
 * domain, and assertions that say what they compared.
 *
 * Conventions, the same as tests/integration/lib.sh for the shell tests:
 *  - env DTWIN is the binary, ROS_DOMAIN_ID the test's DDS domain (ctest gives
 *    each integration test its own, tests/CMakeLists.txt), CYCLONEDDS_URI keeps
 *    DDS on loopback. A missing variable is a failure (run through ctest);
 *  - a dtwin node is started with dtwin.http_port=0 (the kernel picks a free
 *    port) and its URL is read from the line "metrics and health at http://..."
 *    it prints; no test binds a fixed port;
 *  - a test waits for a condition with a timeout, never for a fixed time;
 *    timeouts are generous: they only bound how long a failing test runs, and
 *    no assertion compares a wall-clock interval with a bound a loaded machine
 *    can exceed (time is read from the node's own clock - stamps, its metrics -
 *    or injected);
 *  - logs go to one temporary directory per test program, removed when every
 *    test passed, kept and named on stderr on a failure or with DTW_KEEP_LOGS;
 *  - a test that cannot run here exits TH_SKIP (77, ctest's SKIP_RETURN_CODE).
 * Everything here allocates freely and is meant for the test's main thread
 * (th_wait_for's condition runs there too). */
#ifndef DTW_TESTS_HARNESS_H
#define DTW_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TH_SKIP 77
#define TH_SEC INT64_C(1000000000)

/* ---- environment ---------------------------------------------------------------------- */

/* getenv(name); a missing variable ends the program with a failure saying so. */
const char *th_env(const char *name);
/* Print "SKIP: <why>" and exit TH_SKIP. */
_Noreturn void th_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The DDS domain of this test: ROS_DOMAIN_ID (required). */
int th_domain(void);
/* A second domain for a test that needs two, derived from th_domain() and
 * used by no other test: ctest gives 100 + i, this is 1 + i (i < 99). */
int th_domain_extra(void);
/* This program's temporary directory (created on first use). */
const char *th_dir(void);
/* End of main: `return th_finish(cmocka_run_group_tests(...));` removes the
 * directory when failed == 0 and DTW_KEEP_LOGS is unset, else names it on
 * stderr. Returns failed. */
int th_finish(int failed);

/* ---- dtwin processes ---------------------------------------------------------------------- */

typedef struct th_proc {
  char name[32];
  pid_t pid;       /* 0: not running (never started, or reaped) */
  char log[512];   /* its stdout and stderr */
  char url[128];   /* "http://127.0.0.1:<port>" once th_url found it */
} th_proc_t;

/* Start `$DTWIN <args>` (args NULL-terminated, args[0] the subcommand) as
 * `name`, output to <th_dir()>/<name>.log. "--set dtwin.http_port=0" is added
 * after the subcommand unless an argument sets dtwin.http_port. The child is
 * killed if the test dies (PR_SET_PDEATHSIG). Returns 0, or -1 (reason on stderr). */
int th_spawn(th_proc_t *p, const char *name, const char *const *args);
/* The node's HTTP endpoint from its log, waiting up to timeout_s; NULL (and
 * the log's tail on stderr) if it never printed one or exited. */
const char *th_url(th_proc_t *p, double timeout_s);
/* Is it still running? (reaps it if it exited) */
bool th_running(th_proc_t *p);
/* Send sig (and SIGCONT, in case it is stopped), wait up to timeout_s, then
 * SIGKILL. Returns 0 if it exited with status 0, else -1 with the status and
 * the log's tail on stderr. A process not running: 0. */
int th_stop(th_proc_t *p, int sig, double timeout_s);

/* ---- logs ---------------------------------------------------------------------------------- */

/* The first line of p's log containing needle, into line (may be NULL). */
bool th_log_find(const th_proc_t *p, const char *needle, char *line, size_t cap);
/* The last line of p's log containing needle, into line (may be NULL). */
bool th_log_last(const th_proc_t *p, const char *needle, char *line, size_t cap);
/* th_log_find, waiting up to timeout_s for the line to appear. */
bool th_wait_log(const th_proc_t *p, const char *needle, double timeout_s, char *line,
                 size_t cap);
/* Number of lines containing needle. */
int th_log_count(const th_proc_t *p, const char *needle);
/* The last n lines of the log on stderr, headed by the process's name. */
void th_log_dump(const th_proc_t *p, int n);

/* ---- waiting --------------------------------------------------------------------------------- */

typedef bool (*th_cond_fn)(void *user);
/* Evaluate cond every ~2 ms until it holds (true) or timeout_s passes (false;
 * cond is evaluated once more at the end). */
bool th_wait_for(th_cond_fn cond, void *user, double timeout_s);
/* Monotonic seconds (dtw_clock_mono_ns), for loops with their own deadline. */
double th_now_s(void);
/* Sleep ~2 ms: the step of a polling loop. */
void th_nap(void);

/* ---- HTTP and metrics -------------------------------------------------------------------------- */

/* GET <url><path> with a 10 s timeout: the body (malloc'd, NUL-terminated,
 * caller frees) and its HTTP status in *status (may be NULL); NULL when the
 * exchange failed. */
char *th_http_get(const char *url, const char *path, long *status);
/* The value of a series in Prometheus text: series is `name` or
 * `name{label="value",...}`; the first sample of that name carrying at least
 * those labels. NAN when absent. Parsed with the project's parser. */
double th_metric(const char *text, const char *series);
/* th_metric of a fresh GET <url>/metrics; NAN when the scrape failed. */
double th_scrape(const char *url, const char *series);

/* ---- assertions (cmocka) ----------------------------------------------------------------------- */

/* Fail the test with "<what>: <actual>, expected <expected> +- <tol>" unless
 * |actual - expected| <= tol (NaN fails). */
#define th_assert_near(actual, expected, tol, what) \
  th__assert_near((actual), (expected), (tol), (what), __FILE__, __LINE__)
/* th_assert_near with the expression as its text: assert_near(q[3], 0.5, 1e-9). */
#define assert_near(actual, expected, tol) th_assert_near((actual), (expected), (tol), #actual)
/* Fail unless lo <= actual <= hi, with "<what>: <actual>, expected in [lo, hi]". */
#define th_assert_range(actual, lo, hi, what) \
  th__assert_range((actual), (lo), (hi), (what), __FILE__, __LINE__)

void th__assert_near(double actual, double expected, double tol, const char *what,
                     const char *file, int line);
void th__assert_range(double actual, double lo, double hi, const char *what, const char *file,
                      int line);

#endif /* DTW_TESTS_HARNESS_H */
