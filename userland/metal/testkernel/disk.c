// The disk: lib/virtio.c's driver (legacy or modern layout, chosen by the
// device's Version register), one request at a time, finished by the disk's
// interrupt rather than by polling.

#include "defs.h"
#include "lib/virtio.h"

int disk_version;
uint64 disk_sectors;
static volatile int done;
static volatile int busy;

// Find the disk and set it up.
void diskinit(void) {
  disk_version = virtio_probe();
  if (disk_version < 0) {
    printf("panic: no virtio disk\n");
    exit(2);
  }
  virtio_init();
  disk_sectors = REG64(VIRTIO0 + VIRTIO_CONFIG);
}

// Read or write a sector; sleeps in WFI until the interrupt says it is done.
int disk_rw(uint64 sector, void *buf, int write) {
  while (__sync_lock_test_and_set(&busy, 1))
    ;
  done = 0;
  virtio_submit(sector, buf, write);
  while (!done)
    asm volatile("wfi");
  int status = virtio_status();
  __sync_lock_release(&busy);
  return status;
}

// The disk's interrupt: acknowledge it and note a finished request.
void diskintr(void) {
  VREG(VIRTIO_INTERRUPT_ACK) = VREG(VIRTIO_INTERRUPT_STATUS) & 3;
  if (virtio_finished())
    done = 1;
}
