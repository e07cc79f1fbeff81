// The identity check of a modern (version 2) virtio disk driver, as xv6's
// virtio_disk_init makes it, for the tests of --virtio: read the transport's magic
// value and version; on a version other than 2 print the panic line xv6 prints and
// hang; else acknowledge the device (Status = 1) and power off with status 0.
// Nothing else in this file names the modern layout, so `--virtio auto` first
// guesses legacy here and must find its mistake at boot.

#include "lib/metal.h"

#define MAGIC_VALUE 0x000
#define VERSION 0x004
#define STATUS 0x070

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  printf("booting\n");
  if (REG32(VIRTIO0 + MAGIC_VALUE) != 0x74726976 || REG32(VIRTIO0 + VERSION) != 2) {
    printf("panic: could not find virtio disk\n");
    for (;;)
      ;
  }
  REG32(VIRTIO0 + STATUS) = 1;
  printf("virtio version %d accepted\n", REG32(VIRTIO0 + VERSION));
  return 0;
}
