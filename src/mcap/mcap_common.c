/* mcap_common.c - CRC and record names shared by writer and reader. */
#include <zlib.h>

#include "dtw/mcap.h"

uint32_t dtw_mcap_crc32(uint32_t crc, const void *data, size_t len) {
  /* zlib's crc32 is the spec's CRC-32 and fast (braided); it takes uInt lengths */
  const unsigned char *p = data;
  while (len) {
    uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
    crc = (uint32_t)crc32(crc, p, n);
    p += n;
    len -= n;
  }
  return crc;
}

const char *dtw_mcap_op_name(int op) {
  static const char *const names[] = {
      "invalid(0x00)", "Header", "Footer", "Schema", "Channel", "Message", "Chunk",
      "MessageIndex", "ChunkIndex", "Attachment", "AttachmentIndex", "Statistics",
      "Metadata", "MetadataIndex", "SummaryOffset", "DataEnd"};
  if (op >= 0 && op < (int)(sizeof names / sizeof names[0])) return names[op];
  return "unknown";
}
