/* The bridge's service-call state machine (src/bridge/bridge__calls.h) with
 * fake bus and client ops: Unity -> ROS requests held until the server
 * matches and answered by sequence number, ROS -> Unity requests answered by
 * srv_id, retries, timeouts, a client going away mid-call, invalid payloads,
 * and the bounds of calls in flight (per client, total, fair share). Time is passed in, so no test waits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bridge/bridge__calls.h"
#include "dtw/bridge_server.h"
#include "dtw/err.h"

#define S (1000000000LL)

typedef struct delivered {
  void *client;
  char cmd[16];
  int64_t srv_id;
  char dest[64];
  char payload[64];
} delivered_t;

/* What the fakes saw, and how they answer. */
static struct {
  bool server_ready;  /* ros_send: 0 until true */
  int send_rc;        /* ros_send: < 0 to fail */
  int64_t next_seq;
  int reply_rc;       /* ros_reply's answer */
  int replies_tried;
  char replied[64];   /* the last payload replied on the bus */
  delivered_t out[16];
  int n_out;
  char errors[8][700];
  void *error_client[8];
  int n_errors;
  char warns[8][700];
  int n_warns;
  int refused[DTW_BRIDGE_REFUSAL_COUNT];
  int done[2];
  int64_t last_duration;
} g;

static int f_ros_send(void *user, dtw__call_t *k, char *err, size_t errlen) {
  (void)user;
  if (!g.server_ready) return 0;
  if (g.send_rc < 0) {
    snprintf(err, errlen, "not a valid request");
    return g.send_rc;
  }
  k->seq = ++g.next_seq;
  return 1;
}

static int f_ros_reply(void *user, dtw__call_t *k, char *err, size_t errlen) {
  (void)user;
  g.replies_tried++;
  if (g.reply_rc == 0) snprintf(g.replied, sizeof g.replied, "%.*s", (int)k->len, k->data);
  if (g.reply_rc < 0 && g.reply_rc != DTW_EBUSY) snprintf(err, errlen, "bad response");
  return g.reply_rc;
}

static void f_deliver(void *user, void *client, const char *cmd, int64_t srv_id,
                      const char *dest, const void *payload, size_t len) {
  (void)user;
  assert_true(g.n_out < 16);
  delivered_t *d = &g.out[g.n_out++];
  d->client = client;
  snprintf(d->cmd, sizeof d->cmd, "%s", cmd);
  d->srv_id = srv_id;
  snprintf(d->dest, sizeof d->dest, "%s", dest);
  snprintf(d->payload, sizeof d->payload, "%.*s", (int)len, (const char *)payload);
}

static void f_client_error(void *user, void *client, const char *text) {
  (void)user;
  assert_true(g.n_errors < 8);
  g.error_client[g.n_errors] = client;
  snprintf(g.errors[g.n_errors++], sizeof g.errors[0], "%s", text);
}

static void f_warn(void *user, const char *text) {
  (void)user;
  assert_true(g.n_warns < 8);
  snprintf(g.warns[g.n_warns++], sizeof g.warns[0], "%s", text);
}

static void f_refused(void *user, int reason) {
  (void)user;
  g.refused[reason]++;
}

static void f_done(void *user, dtw__call_kind_t kind, int64_t duration_ns) {
  (void)user;
  g.done[kind]++;
  g.last_duration = duration_ns;
}

static const dtw__call_ops_t k_ops = {f_ros_send, f_ros_reply, f_deliver, f_client_error,
                                      f_warn,     f_refused,   f_done};

/* Stand-ins for clients and services: only their addresses matter. */
static int client_a, client_b, client_c, svc_ros, svc_unity;
static const dtw_raw_request_id_t rid = {.guid = 7, .seq = 3, .writer = 9};

static int setup(void **state) {
  (void)state;
  memset(&g, 0, sizeof g);
  return 0;
}

static const uint8_t *P(const char *s) { return (const uint8_t *)s; }

static void test_ros_request_matched_by_seq(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 8, 10 * S, NULL, &k_ops, NULL), 0);
  /* no server yet: the request is held */
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/twin/reset", "twin/reset",
                                          P("reqA"), 4, 101, 0),
                   0);
  assert_int_equal(t.v[0].state, DTW__CALL_WAIT_SERVER);
  assert_true(dtw__calls_retry_pending(&t));
  assert_true(dtw__calls_tick(&t, 1 * S)); /* still no server: retry again */
  g.server_ready = true;
  assert_false(dtw__calls_tick(&t, 2 * S)); /* sent now: nothing to retry */
  assert_int_equal(t.v[0].state, DTW__CALL_SENT);
  assert_null(t.v[0].data); /* the request is on the bus, not held */
  /* a second client's call goes straight out */
  assert_int_equal(dtw__calls_ros_request(&t, &client_b, &svc_ros, "/twin/reset", "/twin/reset",
                                          P("reqB"), 4, 101, 3 * S),
                   0);
  assert_int_equal(dtw__calls_active(&t), 2);
  /* replies are matched by sequence number, whatever their order */
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 99, P("?"), 1, 4 * S), 0);
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_unity, 2, P("?"), 1, 4 * S), 0);
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 2, P("repB"), 4, 4 * S), 1);
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 1, P("repA"), 4, 5 * S), 1);
  assert_int_equal(g.n_out, 2);
  assert_ptr_equal(g.out[0].client, &client_b);
  assert_string_equal(g.out[0].cmd, "__response");
  assert_int_equal(g.out[0].srv_id, 101);
  assert_string_equal(g.out[0].payload, "repB");
  assert_ptr_equal(g.out[1].client, &client_a);
  assert_string_equal(g.out[1].dest, "twin/reset"); /* the client's own spelling */
  assert_string_equal(g.out[1].payload, "repA");
  assert_int_equal(g.done[DTW__CALL_ROS_SERVICE], 2);
  assert_int_equal(g.last_duration, 5 * S);
  /* a late duplicate finds nothing */
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 1, P("repA"), 4, 6 * S), 0);
  assert_int_equal(dtw__calls_active(&t), 0);
  assert_false(dtw__calls_uses(&t, &svc_ros));
  assert_int_equal(g.n_errors, 0);
  dtw__calls_fini(&t);
}

static void test_unity_request_matched_by_srv_id(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 8, 10 * S, NULL, &k_ops, NULL), 0);
  assert_int_equal(dtw__calls_unity_request(&t, &client_a, &svc_unity, "/unity/trigger",
                                            "unity/trigger", &rid, P("q1"), 2, 0),
                   0);
  assert_int_equal(dtw__calls_unity_request(&t, &client_a, &svc_unity, "/unity/trigger",
                                            "unity/trigger", &rid, P("q2"), 2, 0),
                   0);
  assert_int_equal(g.n_out, 2);
  assert_string_equal(g.out[0].cmd, "__request");
  assert_int_equal(g.out[0].srv_id, DTW_BRIDGE_FIRST_SRV_ID);
  assert_int_equal(g.out[1].srv_id, DTW_BRIDGE_FIRST_SRV_ID + 1);
  assert_string_equal(g.out[1].payload, "q2");
  assert_true(dtw__calls_uses(&t, &svc_unity));
  /* another client, or an id nobody asked for, matches nothing */
  assert_int_equal(dtw__calls_unity_response(&t, &client_b, 1001, P("r"), 1, S), 0);
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1005, P("r"), 1, S), 0);
  /* the DDS client's reader is not matched yet: the response is held and retried */
  g.reply_rc = DTW_EBUSY;
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1002, P("r2"), 2, S), 1);
  assert_int_equal(t.v[1].state, DTW__CALL_UREQ_REPLY);
  assert_true(dtw__calls_retry_pending(&t));
  assert_true(dtw__calls_tick(&t, 2 * S));
  g.reply_rc = 0;
  assert_false(dtw__calls_tick(&t, 3 * S));
  assert_string_equal(g.replied, "r2");
  assert_int_equal(g.done[DTW__CALL_UNITY_SERVICE], 1);
  assert_int_equal(g.last_duration, 3 * S);
  /* the first one, answered straight away */
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1001, P("r1"), 2, 4 * S), 1);
  assert_string_equal(g.replied, "r1");
  assert_int_equal(dtw__calls_active(&t), 0);
  /* answering twice: the second finds nothing */
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1001, P("r1"), 2, 4 * S), 0);
  dtw__calls_fini(&t);
}

static void test_timeouts(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 8, 2 * S, NULL, &k_ops, NULL), 0);
  /* no server ever */
  dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("x"), 1, 5, 0);
  /* a server that never replies */
  g.server_ready = true;
  dtw__calls_ros_request(&t, &client_b, &svc_ros, "/s", "/s", P("y"), 1, 6, S);
  g.server_ready = false;
  /* a Unity client that never answers */
  dtw__calls_unity_request(&t, &client_a, &svc_unity, "/u", "/u", &rid, P("z"), 1, 0);
  dtw__calls_tick(&t, 2 * S - 1);
  assert_int_equal(dtw__calls_active(&t), 3); /* not yet */
  dtw__calls_tick(&t, 2 * S);
  assert_int_equal(dtw__calls_active(&t), 1);
  assert_int_equal(g.n_errors, 1);
  assert_ptr_equal(g.error_client[0], &client_a);
  assert_string_equal(g.errors[0], "service /s: no server within 2.0 s (srv_id 5)");
  assert_int_equal(g.n_warns, 1);
  assert_string_equal(g.warns[0], "/u: Unity did not answer srv_id 1001");
  dtw__calls_tick(&t, 3 * S);
  assert_int_equal(dtw__calls_active(&t), 0);
  assert_int_equal(g.n_errors, 2);
  assert_ptr_equal(g.error_client[1], &client_b);
  assert_string_equal(g.errors[1], "service /s: no reply within 2.0 s (srv_id 6)");
  /* a reply after the timeout is dropped */
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 1, P("late"), 4, 4 * S), 0);
  assert_int_equal(g.n_out, 1); /* only the __request to Unity */
  assert_int_equal(g.done[0] + g.done[1], 0);
  dtw__calls_fini(&t);
}

static void test_client_gone(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 8, 10 * S, NULL, &k_ops, NULL), 0);
  dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("x"), 1, 1, 0); /* waiting */
  g.server_ready = true;
  dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("y"), 1, 2, 0); /* sent */
  dtw__calls_ros_request(&t, &client_b, &svc_ros, "/s", "/s", P("w"), 1, 3, 0); /* b's */
  dtw__calls_unity_request(&t, &client_a, &svc_unity, "/u", "/u", &rid, P("q"), 1, 0);
  dtw__calls_unity_request(&t, &client_a, &svc_unity, "/u", "/u", &rid, P("q"), 1, 0);
  g.reply_rc = DTW_EBUSY;
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1002, P("done"), 4, 0), 1);
  assert_int_equal(dtw__calls_active(&t), 5);
  dtw__calls_client_gone(&t, &client_a);
  /* a's calls end, except its complete response to ROS; b's call is untouched */
  assert_int_equal(dtw__calls_active(&t), 2);
  assert_true(dtw__calls_uses(&t, &svc_unity));
  g.reply_rc = 0;
  dtw__calls_tick(&t, S);
  assert_string_equal(g.replied, "done");
  assert_int_equal(g.done[DTW__CALL_UNITY_SERVICE], 1);
  assert_false(dtw__calls_uses(&t, &svc_unity));
  /* the reply to a's sent request finds nothing; b's still arrives */
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 1, P("r"), 1, S), 0);
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 2, P("r"), 1, S), 1);
  assert_ptr_equal(g.out[g.n_out - 1].client, &client_b);
  assert_int_equal(g.n_errors, 0); /* nobody is told about a client that left */
  dtw__calls_fini(&t);
}

static void test_invalid_payloads(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 8, 10 * S, NULL, &k_ops, NULL), 0);
  g.server_ready = true;
  g.send_rc = DTW_EPARSE;
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("bad"), 3, 7, 0),
                   0);
  assert_int_equal(dtw__calls_active(&t), 0);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_INVALID_MESSAGE], 1);
  assert_string_equal(g.errors[0], "service call /s (srv_id 7) failed: not a valid request");
  /* a response that is not valid CDR of the type */
  dtw__calls_unity_request(&t, &client_a, &svc_unity, "/u", "/u", &rid, P("q"), 1, 0);
  g.reply_rc = DTW_EPARSE;
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1001, P("bad"), 3, 0), 1);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_INVALID_MESSAGE], 2);
  assert_string_equal(g.errors[1], "response to srv_id 1001: bad response");
  /* the bus refusing for another reason is logged, not blamed on the client */
  dtw__calls_unity_request(&t, &client_a, &svc_unity, "/u", "/u", &rid, P("q"), 1, 0);
  g.reply_rc = DTW_ENOENT;
  assert_int_equal(dtw__calls_unity_response(&t, &client_a, 1002, P("ok"), 2, 0), 1);
  assert_int_equal(g.n_errors, 2);
  assert_int_equal(g.n_warns, 1);
  assert_string_equal(g.warns[0], "/u: reply not sent: bad response");
  assert_int_equal(dtw__calls_active(&t), 0);
  dtw__calls_fini(&t);
}

/* The table's cap, shared fairly: a client alone may fill it, but a client
 * holding less than its share takes calls back from the one holding most. */
static void test_limit_in_flight(void **state) {
  (void)state;
  dtw__calls_t t;
  assert_int_equal(dtw__calls_init(&t, 4, 10 * S, NULL, &k_ops, NULL), 0);
  g.server_ready = true;
  for (int i = 0; i < 4; i++)
    assert_int_equal(
        dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("x"), 1, 200 + i, i), 0);
  assert_int_equal(dtw__calls_active(&t), 4);
  /* a holds every call: its next one is refused, told and counted */
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("x"), 1, 300, 5),
                   DTW_EFULL);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_LIMIT], 1);
  assert_non_null(strstr(g.errors[0], "srv_id 300) refused"));
  /* b holds none: it takes a's oldest call (srv_id 200), a is told */
  assert_int_equal(dtw__calls_unity_request(&t, &client_b, &svc_unity, "/u", "/u", &rid, P("q"), 1,
                                            6),
                   0);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_PREEMPTED], 1);
  assert_ptr_equal(g.error_client[1], &client_a);
  assert_non_null(strstr(g.errors[1], "srv_id 200) ended"));
  assert_int_equal(g.n_out, 1);
  /* up to its share (4 / 2 clients = 2), not beyond */
  assert_int_equal(dtw__calls_ros_request(&t, &client_b, &svc_ros, "/s", "/s", P("x"), 1, 400, 7),
                   0);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_PREEMPTED], 2);
  assert_int_equal(dtw__calls_ros_request(&t, &client_b, &svc_ros, "/s", "/s", P("x"), 1, 401, 8),
                   DTW_EFULL);
  assert_int_equal(dtw__calls_of(&t, &client_a), 2);
  assert_int_equal(dtw__calls_of(&t, &client_b), 2);
  assert_int_equal(dtw__calls_active(&t), 4);
  /* one answered: room for one more */
  assert_int_equal(dtw__calls_ros_reply(&t, &svc_ros, 4, P("r"), 1, S), 1);
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("x"), 1, 301, S),
                   0);
  assert_int_equal(dtw__calls_active(&t), 4);
  dtw__calls_fini(&t);
  dtw__calls_fini(&t); /* safe again */
}

/* Held payload bytes: bounded per client and in total; the total is shared
 * fairly (issue 15: 256 x 1 MiB to a service nobody serves held 240 MiB and
 * starved another client's /twin/reset). */
static void test_bytes_bounds(void **state) {
  (void)state;
  dtw__calls_t t;
  dtw__call_limits_t lim = {.per_client = 8, .per_client_bytes = 10, .total_bytes = 16};
  assert_int_equal(dtw__calls_init(&t, 16, 10 * S, &lim, &k_ops, NULL), 0);
  g.server_ready = false; /* nobody serves it: requests are held */
  assert_int_equal(
      dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("aaaaaa"), 6, 1, 0), 0);
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("aaaa"), 4, 2, 1),
                   0);
  assert_int_equal(dtw__calls_bytes(&t), 10);
  assert_int_equal(dtw__calls_ros_request(&t, &client_a, &svc_ros, "/s", "/s", P("a"), 1, 3, 2),
                   DTW_EFULL);
  assert_non_null(strstr(g.errors[0], "max_call_bytes_per_client"));
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_LIMIT], 1);
  assert_int_equal(
      dtw__calls_ros_request(&t, &client_b, &svc_ros, "/s", "/s", P("bbbbbb"), 6, 1, 3), 0);
  assert_int_equal(dtw__calls_bytes(&t), 16);
  /* c: 4 bytes are within its share (16 / 3): a's oldest (6 bytes) ends */
  assert_int_equal(dtw__calls_ros_request(&t, &client_c, &svc_ros, "/s", "/s", P("cccc"), 4, 1, 4),
                   0);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_PREEMPTED], 1);
  assert_ptr_equal(g.error_client[1], &client_a);
  assert_int_equal(dtw__calls_bytes(&t), 14);
  assert_int_equal(dtw__calls_active(&t), 3);
  /* a response from Unity counts too */
  assert_int_equal(dtw__calls_unity_request(&t, &client_c, &svc_unity, "/u", "/u", &rid, P("q"), 1,
                                            5),
                   0);
  g.reply_rc = DTW_EBUSY; /* held until the DDS client matches */
  assert_int_equal(dtw__calls_unity_response(&t, &client_c, 1001, P("rrrrrrr"), 7, 6), 1);
  assert_int_equal(g.refused[DTW_BRIDGE_REFUSAL_CALL_LIMIT], 2); /* 4 + 7 > 10 */
  assert_int_equal(dtw__calls_active(&t), 3);
  /* the server appears: everything held is sent, nothing is held any more */
  g.server_ready = true;
  dtw__calls_tick(&t, 7);
  assert_int_equal(dtw__calls_bytes(&t), 0);
  assert_int_equal(g.next_seq, 3);
  dtw__calls_fini(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_ros_request_matched_by_seq, setup),
      cmocka_unit_test_setup(test_unity_request_matched_by_srv_id, setup),
      cmocka_unit_test_setup(test_timeouts, setup),
      cmocka_unit_test_setup(test_client_gone, setup),
      cmocka_unit_test_setup(test_invalid_payloads, setup),
      cmocka_unit_test_setup(test_limit_in_flight, setup),
      cmocka_unit_test_setup(test_bytes_bounds, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
