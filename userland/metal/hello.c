// The smallest full-system check: hart 0 says hello through the UART and powers
// the board off through the finisher; the other harts wait for ever in WFI.

#include "lib/metal.h"

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  printf("hello from hart %d in M-mode\n", hartid);
  return 0;
}
