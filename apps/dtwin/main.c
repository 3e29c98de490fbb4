/* dtwin - placeholder until the CLI lands. */
#include <stdio.h>

#include "dtw/version.h"

int main(void) {
  printf("dtwin %s\n", DTW_VERSION);
  return 0;
}
