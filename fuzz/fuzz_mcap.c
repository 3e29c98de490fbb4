/* fuzz_mcap.c - the MCAP reader on arbitrary bytes: open, iterate every
 * message, decode JointState CDR; errors are fine, crashes and leaks are not. */
#include <stddef.h>
#include <stdint.h>

#include "dtw/mcap.h"
#include "dtw/ros_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dtw_mcap_reader_t *r = NULL;
  char err[512];
  if (dtw_mcap_reader_open_mem(data, size, &r, err, sizeof err)) return 0;
  dtw_mcap_message_t m;
  static dtw_joint_state_msg_t js;
  int n = 0;
  while (n++ < 100000 && dtw_mcap_next(r, &m, err, sizeof err) == 1)
    (void)dtw_cdr_decode_joint_state(m.data, m.len, &js, err, sizeof err);
  (void)dtw_mcap_metadata(r, "dtwin", "version");
  dtw_mcap_reader_close(r);
  return 0;
}
