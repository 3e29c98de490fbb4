/* mcap_common.c - CRC and record names shared by writer and reader. */
#include <libdeflate.h>

#include "dtw/mcap.h"

uint32_t dtw_mcap_crc32(uint32_t crc, const void *data, size_t len) {
  /* the spec's CRC-32 (ISO-HDLC); libdeflate's uses PCLMUL where the CPU has
   * it, several times zlib 1.2's speed: CRCs were the writer's largest cost */
  return libdeflate_crc32(crc, data, len);
}

const char *dtw_mcap_op_name(int op) {
  static const char *const names[] = {
      "invalid(0x00)", "Header", "Footer", "Schema", "Channel", "Message", "Chunk",
      "MessageIndex", "ChunkIndex", "Attachment", "AttachmentIndex", "Statistics",
      "Metadata", "MetadataIndex", "SummaryOffset", "DataEnd"};
  if (op >= 0 && op < (int)(sizeof names / sizeof names[0])) return names[op];
  return "unknown";
}
