// The kernel the tests of `xv6lazy qemu` boot (tests/qemu_boot.test.ts) in place of
// xv6: small, but it uses the console and the disk as a kernel does.
//
// Hart 0 finds the virtio block device at 0x10001000 (legacy or modern register
// layout, whichever the board offers, as -global virtio-mmio.force-legacy decides),
// reads sector 0, prints the label at its start, adds one to the boot count kept in
// byte COUNT_AT and writes the sector back. Then it echoes the console's input until
// it reads a '.', and powers the board off with status 3. The device is driven by
// polling (no interrupts). The other harts wait in WFI for ever.

#include "lib/metal.h"

#define COUNT_AT 64
#define DONE_STATUS 3

// virtio-mmio registers (byte offsets) and values.
#define V_MAGIC 0x000
#define V_VERSION 0x004
#define V_DEVICE_ID 0x008
#define V_DEVICE_FEATURES 0x010
#define V_DRIVER_FEATURES 0x020
#define V_GUEST_PAGE_SIZE 0x028
#define V_QUEUE_SEL 0x030
#define V_QUEUE_NUM_MAX 0x034
#define V_QUEUE_NUM 0x038
#define V_QUEUE_PFN 0x040
#define V_QUEUE_READY 0x044
#define V_QUEUE_NOTIFY 0x050
#define V_STATUS 0x070
#define V_QUEUE_DESC 0x080
#define V_QUEUE_DRIVER 0x090
#define V_QUEUE_DEVICE 0x0a0
#define ST_ACKNOWLEDGE 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define DESC_NEXT 1
#define DESC_WRITE 2
#define BLK_IN 0
#define BLK_OUT 1
#define QNUM 4

#define VREG(off) REG32(VIRTIO0 + (off))

struct desc {
  uint64 addr;
  uint32 len;
  unsigned short flags;
  unsigned short next;
};

struct blk_req {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};

// The queue: descriptors and available ring in the first page, used ring in the
// second (the legacy layout with 4096-byte alignment; modern takes the same addresses).
static uint8 queue[2 * 4096] __attribute__((aligned(4096)));
static struct desc *const descs = (struct desc *)queue;
static volatile unsigned short *const avail = (unsigned short *)(queue + QNUM * 16);
static volatile unsigned short *const used = (unsigned short *)(queue + 4096);

static struct blk_req req;
static uint8 sector[512];
static volatile uint8 req_status;

// Set up the device and its queue 0; returns the register layout's version, or 0.
static int disk_init(void) {
  if (VREG(V_MAGIC) != 0x74726976 || VREG(V_DEVICE_ID) != 2)
    return 0;
  int version = VREG(V_VERSION);
  VREG(V_STATUS) = 0;
  VREG(V_STATUS) = ST_ACKNOWLEDGE | ST_DRIVER;
  VREG(V_DRIVER_FEATURES) = 0;
  VREG(V_STATUS) = ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK;
  VREG(V_QUEUE_SEL) = 0;
  if (VREG(V_QUEUE_NUM_MAX) < QNUM)
    return 0;
  VREG(V_QUEUE_NUM) = QNUM;
  if (version == 1) {
    VREG(V_GUEST_PAGE_SIZE) = 4096;
    VREG(V_QUEUE_PFN) = (uint64)queue >> 12;
  } else {
    VREG(V_QUEUE_DESC) = (uint64)descs;
    VREG(V_QUEUE_DESC + 4) = (uint64)descs >> 32;
    VREG(V_QUEUE_DRIVER) = (uint64)avail;
    VREG(V_QUEUE_DRIVER + 4) = (uint64)avail >> 32;
    VREG(V_QUEUE_DEVICE) = (uint64)used;
    VREG(V_QUEUE_DEVICE + 4) = (uint64)used >> 32;
    VREG(V_QUEUE_READY) = 1;
  }
  VREG(V_STATUS) = ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
  return version;
}

// Read (write = 0) or write sector 0 through the buffer `sector`; 0 on success.
static int disk_rw0(int write) {
  req.type = write ? BLK_OUT : BLK_IN;
  req.sector = 0;
  req_status = 0xff;
  descs[0] = (struct desc){(uint64)&req, sizeof req, DESC_NEXT, 1};
  descs[1] = (struct desc){(uint64)sector, 512, DESC_NEXT | (write ? 0 : DESC_WRITE), 2};
  descs[2] = (struct desc){(uint64)&req_status, 1, DESC_WRITE, 0};
  unsigned short seen = used[1];
  avail[2 + avail[1] % QNUM] = 0; // the chain starts at descriptor 0
  __sync_synchronize();
  avail[1] = avail[1] + 1;
  __sync_synchronize();
  VREG(V_QUEUE_NOTIFY) = 0;
  while (used[1] == seen)
    ;
  return req_status;
}

// Wait for a byte from the console (polling the UART's line status).
static int echo_getc(void) {
  while ((REG8(UART0 + 5) & 1) == 0)
    ;
  return REG8(UART0);
}

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  int version = disk_init();
  printf("echodisk: virtio-mmio version %d\n", version);
  if (version == 0 || disk_rw0(0) != 0) {
    printf("echodisk: no disk\n");
    return 1;
  }
  char label[32];
  for (int i = 0; i < 31; i++)
    label[i] = sector[i];
  label[31] = 0;
  int count = sector[COUNT_AT];
  printf("echodisk: label \"%s\", boot count %d\n", label, count);
  sector[COUNT_AT] = count + 1;
  if (disk_rw0(1) != 0) {
    printf("echodisk: write failed\n");
    return 1;
  }
  printf("echodisk: echoing until '.'\n");
  for (;;) {
    int c = echo_getc();
    if (c == '.')
      break;
    putc(c);
  }
  printf("\nechodisk: done\n");
  return DONE_STATUS;
}
