// A small virtio block driver (see virtio.h): one virtqueue of 8 descriptors in
// two pages, each request a chain of three descriptors (header, data, status).
// The legacy layout gives the device the queue's page number (QueuePFN) with
// the used ring on the second page (QueueAlign 4096); the modern layout gives it
// the three parts' addresses and sets QueueReady. Addresses are physical, so a
// program with paging on must map this memory at its own address.

#include "virtio.h"

#define VRING_NEXT 1
#define VRING_WRITE 2

struct vdesc {
  uint64 addr;
  uint32 len;
  uint16 flags;
  uint16 next;
};

struct vavail {
  uint16 flags;
  uint16 idx;
  uint16 ring[VQ_SIZE];
};

struct vused_elem {
  uint32 id;
  uint32 len;
};

struct vused {
  uint16 flags;
  uint16 idx;
  struct vused_elem ring[VQ_SIZE];
};

// A block request header: type 0 reads, 1 writes.
struct blk_req {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};

// The queue: descriptors and the available ring on the first page, the used ring on the second.
static uint8 vqmem[2 * 4096] __attribute__((aligned(4096)));
#define DESC ((volatile struct vdesc *)vqmem)
#define AVAIL ((volatile struct vavail *)(vqmem + VQ_SIZE * sizeof(struct vdesc)))
#define USED ((volatile struct vused *)(vqmem + 4096))

static struct blk_req req;
static volatile uint8 req_status;
static uint16 used_seen;

// Check that a virtio block device is there: its layout version (1 or 2), or -1.
int virtio_probe(void) {
  if (VREG(VIRTIO_MAGIC) != VIRTIO_MAGIC_VALUE || VREG(VIRTIO_DEVICE_ID) != VIRTIO_BLK_DEVICE)
    return -1;
  int v = VREG(VIRTIO_VERSION);
  return v == 1 || v == 2 ? v : -1;
}

// Reset the device, say a driver is here, and agree on features: none of the
// optional ones, and VIRTIO_F_VERSION_1 (feature 32) with the modern layout.
void virtio_negotiate(int version) {
  VREG(VIRTIO_STATUS) = 0;
  VREG(VIRTIO_STATUS) = VSTATUS_ACKNOWLEDGE;
  VREG(VIRTIO_STATUS) = VSTATUS_ACKNOWLEDGE | VSTATUS_DRIVER;
  VREG(VIRTIO_DRIVER_FEATURES_SEL) = 0;
  VREG(VIRTIO_DRIVER_FEATURES) = 0;
  if (version == 2) {
    VREG(VIRTIO_DRIVER_FEATURES_SEL) = 1;
    VREG(VIRTIO_DRIVER_FEATURES) = 1;
    VREG(VIRTIO_STATUS) = VSTATUS_ACKNOWLEDGE | VSTATUS_DRIVER | VSTATUS_FEATURES_OK;
  }
}

// Give queue 0 to the device.
void virtio_queue_setup(int version) {
  memset(vqmem, 0, sizeof(vqmem));
  used_seen = 0;
  VREG(VIRTIO_QUEUE_SEL) = 0;
  VREG(VIRTIO_QUEUE_NUM) = VQ_SIZE;
  uint64 desc = (uint64)DESC, avail = (uint64)AVAIL, used = (uint64)USED;
  if (version == 1) {
    VREG(VIRTIO_GUEST_PAGE_SIZE) = 4096;
    VREG(VIRTIO_QUEUE_ALIGN) = 4096;
    VREG(VIRTIO_QUEUE_PFN) = desc >> 12;
  } else {
    VREG(VIRTIO_QUEUE_DESC_LOW) = desc;
    VREG(VIRTIO_QUEUE_DESC_HIGH) = desc >> 32;
    VREG(VIRTIO_QUEUE_DRIVER_LOW) = avail;
    VREG(VIRTIO_QUEUE_DRIVER_HIGH) = avail >> 32;
    VREG(VIRTIO_QUEUE_DEVICE_LOW) = used;
    VREG(VIRTIO_QUEUE_DEVICE_HIGH) = used >> 32;
    VREG(VIRTIO_QUEUE_READY) = 1;
  }
}

// Tell the device the driver is ready.
void virtio_driver_ok(void) {
  VREG(VIRTIO_STATUS) = VREG(VIRTIO_STATUS) | VSTATUS_DRIVER_OK;
}

// Every step, for programs that just want a disk.
void virtio_init(void) {
  int v = virtio_probe();
  virtio_negotiate(v);
  virtio_queue_setup(v);
  virtio_driver_ok();
}

// Start reading (write = 0) or writing one sector through buf.
void virtio_submit(uint64 sector, void *buf, int write) {
  req.type = write ? 1 : 0;
  req.reserved = 0;
  req.sector = sector;
  req_status = 0xff;
  DESC[0].addr = (uint64)&req;
  DESC[0].len = sizeof(req);
  DESC[0].flags = VRING_NEXT;
  DESC[0].next = 1;
  DESC[1].addr = (uint64)buf;
  DESC[1].len = SECTOR;
  DESC[1].flags = VRING_NEXT | (write ? 0 : VRING_WRITE);
  DESC[1].next = 2;
  DESC[2].addr = (uint64)&req_status;
  DESC[2].len = 1;
  DESC[2].flags = VRING_WRITE;
  DESC[2].next = 0;
  AVAIL->ring[AVAIL->idx % VQ_SIZE] = 0;
  __sync_synchronize();
  AVAIL->idx = AVAIL->idx + 1;
  __sync_synchronize();
  VREG(VIRTIO_QUEUE_NOTIFY) = 0;
}

// Has the device finished the request? (Consumes the used-ring entry.)
int virtio_finished(void) {
  __sync_synchronize();
  if (USED->idx == used_seen)
    return 0;
  used_seen++;
  return 1;
}

// The length the device reported for the last finished request (bytes it wrote).
uint32 virtio_used_len(void) {
  return USED->ring[(used_seen - 1) % VQ_SIZE].len;
}

// The status byte of the last finished request (0 = done without error).
int virtio_status(void) {
  return req_status;
}

// Read or write a sector, polling; acknowledge the interrupt; return the status byte.
int virtio_rw(uint64 sector, void *buf, int write) {
  virtio_submit(sector, buf, write);
  while (!virtio_finished())
    ;
  VREG(VIRTIO_INTERRUPT_ACK) = VREG(VIRTIO_INTERRUPT_STATUS) & 3;
  return req_status;
}
