/* The rmw_cyclonedds request header on the wire: encapsulation 00 01 00 00,
 * then {uint64 guid; int64 seq} in native (here little-endian) order, then
 * the message at payload byte 20. Checked on the serializer the writers use,
 * and on bytes laid out the way rmw_cyclonedds sends them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus/bus__internal.h"
#include "dtw/err.h"

static void put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void test_request_layout(void **state) {
  (void)state;
  std_srvs_srv_dds__Trigger_Request_ req = {0};
  req.dtw_header_guid_ = UINT64_C(0x1122334455667788);
  req.dtw_header_seq_ = 5;
  uint8_t *buf = NULL;
  size_t len = 0;
  assert_int_equal(dtw__serialize(&std_srvs_srv_dds__Trigger_Request__desc, &req, &buf, &len), 0);
  const uint8_t expect[] = {0x00, 0x01, 0x00, 0x00,                          /* CDR_LE */
                            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  /* guid */
                            0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* seq */
                            0x00}; /* structure_needs_at_least_one_member at byte 20 */
  assert_int_equal(len, sizeof expect);
  assert_memory_equal(buf, expect, sizeof expect);
  free(buf);
}

static void test_response_layout(void **state) {
  (void)state;
  std_srvs_srv_dds__Trigger_Response_ rep = {0};
  rep.dtw_header_guid_ = 7;
  rep.dtw_header_seq_ = -2;
  rep.success_ = true;
  rep.message_ = "ok";
  uint8_t *buf = NULL;
  size_t len = 0;
  assert_int_equal(dtw__serialize(&std_srvs_srv_dds__Trigger_Response__desc, &rep, &buf, &len),
                   0);
  assert_int_equal(len, 31);
  assert_int_equal(buf[4], 7);
  for (int i = 13; i < 20; i++) assert_int_equal(buf[i], 0xff); /* seq -2 (LE) */
  assert_int_equal(buf[11], 0);
  assert_int_equal(buf[12], 0xfe);
  assert_int_equal(buf[20], 1); /* success */
  /* string length aligned to 4 relative to the byte after the encapsulation header */
  assert_int_equal(buf[24], 3);
  assert_memory_equal(buf + 28, "ok", 3);
  free(buf);
}

static void test_parse_rmw_bytes(void **state) {
  (void)state;
  /* a reply as rmw_cyclonedds writes it: header then {bool success; string message} */
  uint8_t wire[40] = {0x00, 0x01, 0x00, 0x00};
  put_le64(wire + 4, UINT64_C(0xdeadbeef01020304));
  put_le64(wire + 12, 99);
  wire[20] = 1;
  wire[24] = 6; /* "hello\0" */
  memcpy(wire + 28, "hello", 6);
  uint8_t scratch[64];
  std_srvs_srv_dds__Trigger_Response_ rep;
  memset(&rep, 0, sizeof rep);
  assert_int_equal(dtw__deserialize(&std_srvs_srv_dds__Trigger_Response__desc, wire, 34, &rep,
                                    scratch, sizeof scratch),
                   0);
  assert_true(rep.dtw_header_guid_ == UINT64_C(0xdeadbeef01020304));
  assert_int_equal(rep.dtw_header_seq_, 99);
  assert_true(rep.success_);
  assert_string_equal(rep.message_, "hello");
  /* malformed: string length past the end is refused, not read */
  wire[24] = 200;
  assert_int_equal(dtw__deserialize(&std_srvs_srv_dds__Trigger_Response__desc, wire, 34, &rep,
                                    scratch, sizeof scratch),
                   DTW_EPARSE);
  /* unknown encapsulation (XCDR2) is refused */
  wire[24] = 6;
  wire[1] = 0x07;
  assert_int_equal(dtw__deserialize(&std_srvs_srv_dds__Trigger_Response__desc, wire, 34, &rep,
                                    scratch, sizeof scratch),
                   DTW_EPARSE);
  dds_sample_free(&rep, &std_srvs_srv_dds__Trigger_Response__desc, DDS_FREE_CONTENTS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_layout),
      cmocka_unit_test(test_response_layout),
      cmocka_unit_test(test_parse_rmw_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
