// The virt board's devices, register by register, as xv6 (2019-2025) programs
// them and QEMU 7.2 answers: the CLINT, the PLIC, the 16550 UART, the virtio
// block device in whichever layout the board has (legacy version 1 or modern
// version 2), and the test finisher.
//
// Interrupts stay off here (irq.c takes them); devices.c looks at registers,
// at mip and at the PLIC's claim register. The disk is the test disk: byte j
// of sector s is (13 s + j) mod 256, 64 sectors. Sector 5 is overwritten with
// 0xa5 bytes, which the test checks in the image afterwards.

#include "lib/metal.h"
#include "lib/virtio.h"

#define MIP(irq) (1UL << (irq))
#define DISK_SECTORS 64

// UART registers (offsets from UART0).
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7
#define U(r) REG8(UART0 + (r))

static uint8 sector[SECTOR];

// The CLINT: msip, mtimecmp (whole and by halves), mtime and the time CSR.
static void clint(void) {
  REG32(CLINT_MSIP(0)) = 0xffffffff;
  uint32 one = REG32(CLINT_MSIP(0));
  int raised = (csrr(mip) & MIP(IRQ_MSI)) != 0;
  REG32(CLINT_MSIP(0)) = 0;
  check(one == 1 && raised, "CLINT msip: bit 0 kept, raises mip.MSIP");
  check(REG32(CLINT_MSIP(0)) == 0 && !(csrr(mip) & MIP(IRQ_MSI)), "CLINT msip = 0 lowers it");

  REG64(CLINT_MTIMECMP(0)) = 0x123456789aUL;
  check(REG64(CLINT_MTIMECMP(0)) == 0x123456789aUL, "CLINT mtimecmp: 64-bit write reads back");
  REG32(CLINT_MTIMECMP(0)) = 0xdeadbeef;
  REG32(CLINT_MTIMECMP(0) + 4) = 0x77;
  check(REG64(CLINT_MTIMECMP(0)) == 0x77deadbeefUL && REG32(CLINT_MTIMECMP(0) + 4) == 0x77,
        "CLINT mtimecmp: 32-bit halves");
  REG64(CLINT_MTIMECMP(0)) = ~0UL;
  check(!(csrr(mip) & MIP(IRQ_MTI)), "CLINT mtimecmp = max: MTIP clear");
  REG64(CLINT_MTIMECMP(0)) = 0;
  check(csrr(mip) & MIP(IRQ_MTI), "CLINT mtimecmp = 0: MTIP set");
  REG64(CLINT_MTIMECMP(0)) = ~0UL;

  uint64 a = REG64(CLINT_MTIME);
  uint64 t = csrr(time);
  uint64 b = REG64(CLINT_MTIME);
  check(a <= t && t <= b && b > a, "CLINT mtime advances; the time CSR reads it");
  uint32 lo = REG32(CLINT_MTIME), hi = REG32(CLINT_MTIME + 4);
  uint64 c = REG64(CLINT_MTIME);
  check(hi == (uint32)(c >> 32) || hi + 1 == (uint32)(c >> 32), "CLINT mtime: high half");
  check(((uint64)hi << 32 | lo) <= c, "CLINT mtime: 32-bit halves read");
}

// Make the UART raise its THR-empty interrupt, or stop it.
static void uart_thre(int on) {
  U(IER) = on ? 0x02 : 0;
  if (!on)
    (void)U(IIR);
}

// The PLIC: priorities, pending, enables, thresholds, claim and complete.
static void plic(void) {
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 0xf;
  check(REG32(PLIC_PRIORITY(UART0_IRQ)) == 7, "PLIC priority: 3 bits (0xf reads 7)");
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 1;
  REG32(PLIC_PRIORITY(0)) = 5;
  check(REG32(PLIC_PRIORITY(0)) == 0, "PLIC priority of source 0 stays 0");
  REG32(PLIC_THRESHOLD(1)) = 7;
  check(REG32(PLIC_THRESHOLD(1)) == 7, "PLIC threshold reads back");
  REG32(PLIC_THRESHOLD(1)) = 0;
  REG32(PLIC_ENABLE(1)) = 0x402;
  check(REG32(PLIC_ENABLE(1)) == 0x402 && REG32(PLIC_ENABLE(0)) == 0,
        "PLIC enables: one word per context");
  REG32(PLIC_ENABLE(1)) = 0;

  uart_thre(1);
  check(REG32(PLIC_PENDING) & (1 << UART0_IRQ), "PLIC pending bit 10 follows the UART");
  REG32(PLIC_PENDING) = 0;
  check(REG32(PLIC_PENDING) & (1 << UART0_IRQ), "PLIC pending is read-only");
  REG32(PLIC_ENABLE(1)) = 1 << UART0_IRQ;
  int early = (csrr(mip) & MIP(IRQ_SEI)) != 0;
  REG32(PLIC_THRESHOLD(1)) = 0;
  int late = (csrr(mip) & MIP(IRQ_SEI)) != 0;
  check(!early && late, "PLIC: an enable write alone re-evaluates nothing; a threshold write does");
  REG32(PLIC_THRESHOLD(1)) = 1;
  check(!(csrr(mip) & MIP(IRQ_SEI)) && REG32(PLIC_CLAIM(1)) == 0,
        "PLIC threshold >= priority: no SEIP, claim gives 0");
  REG32(PLIC_THRESHOLD(1)) = 0;
  check(csrr(mip) & MIP(IRQ_SEI), "PLIC priority > threshold: SEIP");
  check(!(csrr(mip) & MIP(IRQ_MEI)), "PLIC: the M context is not interrupted");
  // (Printing while THR-empty interrupts are on makes the UART raise its line
  // again, so the values are taken first and checked after.)
  uint32 id = REG32(PLIC_CLAIM(1));
  int pend = (REG32(PLIC_PENDING) >> UART0_IRQ) & 1;
  int seip = (csrr(mip) & MIP(IRQ_SEI)) != 0;
  uart_thre(0);
  uart_thre(1);
  uint32 again = REG32(PLIC_CLAIM(1));
  REG32(PLIC_CLAIM(1)) = id;
  uint32 after = REG32(PLIC_CLAIM(1));
  REG32(PLIC_CLAIM(1)) = after;
  uart_thre(0);
  uint32 none = REG32(PLIC_CLAIM(1));
  check(id == UART0_IRQ && !pend && !seip, "PLIC claim gives 10, clears pending and SEIP");
  check(again == 0, "PLIC: a claimed source is not claimed again");
  check(after == UART0_IRQ, "PLIC: after complete it is claimed again");
  check(none == 0, "PLIC claim with nothing pending gives 0");

  // Two sources: the higher priority is claimed first, then the lower id.
  virtio_init();
  virtio_submit(0, sector, 0);
  while (!virtio_finished())
    ;
  REG32(PLIC_PRIORITY(VIRTIO0_IRQ)) = 1;
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 2;
  REG32(PLIC_ENABLE(1)) = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ);
  uart_thre(1);
  uint32 first = REG32(PLIC_CLAIM(1)), second = REG32(PLIC_CLAIM(1));
  REG32(PLIC_CLAIM(1)) = first;
  REG32(PLIC_CLAIM(1)) = second;
  check(first == UART0_IRQ && second == VIRTIO0_IRQ, "PLIC claims the higher priority first");
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 1;
  uart_thre(0);
  uart_thre(1);
  virtio_submit(0, sector, 0);
  while (!virtio_finished())
    ;
  first = REG32(PLIC_CLAIM(1));
  REG32(PLIC_CLAIM(1)) = first;
  second = REG32(PLIC_CLAIM(1));
  REG32(PLIC_CLAIM(1)) = second;
  check(first == VIRTIO0_IRQ && second == UART0_IRQ, "PLIC: equal priorities, the lower id first");
  uart_thre(0);
  VREG(VIRTIO_INTERRUPT_ACK) = VREG(VIRTIO_INTERRUPT_STATUS) & 3;
  for (uint32 left; (left = REG32(PLIC_CLAIM(1))) != 0;)
    REG32(PLIC_CLAIM(1)) = left;
  REG32(PLIC_ENABLE(1)) = 0;
  REG32(PLIC_THRESHOLD(1)) = 0;
}

// The checks of the UART part, kept until the console is back (loopback steals output).
static struct {
  int ok;
  const char *what;
} notes[32];
static int nnotes;

// Remember a check for later.
static void note(int ok, const char *what) {
  notes[nnotes].ok = ok;
  notes[nnotes].what = what;
  nnotes++;
}

// The UART's registers, xv6's uartinit() order first, then loopback.
static void uart(void) {
  note((U(LSR) & 0x60) == 0x60, "UART LSR: THR empty, transmitter empty");
  note((U(MSR) & 0xf0) == 0xb0, "UART MSR: carrier, data set ready, clear to send");
  U(IER) = 0x00;
  U(LCR) = 0x80;
  U(DLL) = 0x03;
  U(DLM) = 0x00;
  note(U(DLL) == 0x03 && U(DLM) == 0x00 && U(LCR) == 0x80, "UART DLAB: divisor latch reads back");
  U(LCR) = 0x03;
  note(U(LCR) == 0x03 && U(IER) == 0x00, "UART LCR 8N1; IER back at offset 1");
  U(IER) = 0xff;
  note(U(IER) == 0x0f, "UART IER: 4 bits");
  U(IER) = 0;
  U(FCR) = 0x07;
  note(U(IIR) == 0xc1, "UART FCR enables the FIFOs: IIR 0xc1, no interrupt");
  U(IER) = 0x02;
  uint8 thre = U(IIR), after = U(IIR);
  note(thre == 0xc2 && after == 0xc1, "UART IIR 0xc2 THR empty, cleared by reading IIR");
  U(IER) = 0;
  U(FCR) = 0x00;
  note(U(IIR) == 0x01, "UART FIFOs off: IIR 0x01");
  U(SCR) = 0x5a;
  note(U(SCR) == 0x5a, "UART SCR: scratch");

  U(MCR) = 0x1f;
  uint8 mcr = U(MCR), msr = U(MSR);
  U(MCR) = 0x10;
  uint8 msr0 = U(MSR);
  note(mcr == 0x1f && (msr & 0xf0) == 0xf0 && (msr0 & 0xf0) == 0,
       "UART loopback: MSR mirrors MCR's outputs");
  U(THR) = 'a';
  uint8 dr = U(LSR) & 1, c = U(RBR), dr2 = U(LSR) & 1;
  note(dr && c == 'a' && !dr2, "UART loopback: THR comes back at RBR, LSR.DR set then clear");
  U(FCR) = 0x07;
  U(THR) = 'x';
  U(THR) = 'y';
  U(THR) = 'z';
  uint8 c1 = U(RBR), c2 = U(RBR), c3 = U(RBR);
  note(c1 == 'x' && c2 == 'y' && c3 == 'z' && !(U(LSR) & 1), "UART loopback: FIFO keeps order");
  U(IER) = 0x01;
  U(THR) = 'q';
  for (int i = 0; i < 1000 && !(U(LSR) & 1); i++)
    ;
  uint8 rdi = U(IIR);
  (void)U(RBR);
  // 0xc4: received data. QEMU says 0xcc (character timeout) instead when its host
  // thread stalls for four character times before the read: the same data, later.
  note((rdi & 0xf7) == 0xc4, "UART IIR 0xc4 or 0xcc: received data (trigger level 1)");
  U(IER) = 0;
  U(MCR) = 0x08;
  for (int i = 0; i < nnotes; i++)
    check(notes[i].ok, notes[i].what);
}

// Read or write a sector, checking the status and the used length.
static int rw(uint64 s, int write) {
  return virtio_rw(s, sector, write);
}

// The virtio-mmio block device in both layouts.
static void virtio(void) {
  check(VREG(VIRTIO_MAGIC) == VIRTIO_MAGIC_VALUE, "virtio magic 0x74726976");
  int version = VREG(VIRTIO_VERSION);
  if (version == 1)
    check(1, "virtio version 1 (legacy layout)");
  else
    check(version == 2, "virtio version 2 (modern layout)");
  check(VREG(VIRTIO_DEVICE_ID) == 2 && VREG(VIRTIO_VENDOR_ID) == 0x554d4551,
        "virtio device 2 (block), vendor QEMU");
  check(REG64(VIRTIO0 + VIRTIO_CONFIG) == DISK_SECTORS, "virtio config: capacity 64 sectors");

  VREG(VIRTIO_STATUS) = 0;
  check(VREG(VIRTIO_STATUS) == 0, "virtio status 0 after reset");
  VREG(VIRTIO_STATUS) = VSTATUS_ACKNOWLEDGE | VSTATUS_DRIVER;
  check(VREG(VIRTIO_STATUS) == 3, "virtio status: ACKNOWLEDGE | DRIVER");
  VREG(VIRTIO_DEVICE_FEATURES_SEL) = 0;
  uint32 f0 = VREG(VIRTIO_DEVICE_FEATURES);
  VREG(VIRTIO_DEVICE_FEATURES_SEL) = 1;
  uint32 f1 = VREG(VIRTIO_DEVICE_FEATURES);
  check((f0 & (1 << 9)) && (f0 & (1 << 28)), "virtio features: FLUSH, INDIRECT_DESC offered");
  if (version == 1)
    check(f1 == 0, "virtio legacy: no feature word 1");
  else
    check(f1 & 1, "virtio modern: VERSION_1 (feature 32) offered");
  virtio_negotiate(version);
  if (version == 2)
    check(VREG(VIRTIO_STATUS) & VSTATUS_FEATURES_OK, "virtio modern: FEATURES_OK accepted");
  VREG(VIRTIO_QUEUE_SEL) = 0;
  check(VREG(VIRTIO_QUEUE_NUM_MAX) == 1024, "virtio QueueNumMax 1024");
  virtio_queue_setup(version);
  if (version == 1)
    check(VREG(VIRTIO_QUEUE_PFN) != 0, "virtio legacy: QueuePFN reads back");
  else
    check(VREG(VIRTIO_QUEUE_READY) == 1, "virtio modern: QueueReady reads 1");
  virtio_driver_ok();
  check(VREG(VIRTIO_STATUS) & VSTATUS_DRIVER_OK, "virtio status: DRIVER_OK");

  int st = rw(3, 0);
  int right = st == 0 && virtio_used_len() == SECTOR + 1;
  for (int j = 0; j < SECTOR; j++)
    right = right && sector[j] == (uint8)(3 * 13 + j);
  check(right, "virtio read sector 3: data, status 0, used length 513");
  check(VREG(VIRTIO_INTERRUPT_STATUS) == 0, "virtio interrupt status acknowledged");
  virtio_submit(4, sector, 0);
  while (!virtio_finished())
    ;
  check(VREG(VIRTIO_INTERRUPT_STATUS) == 1, "virtio interrupt status: bit 0 after a request");
  VREG(VIRTIO_INTERRUPT_ACK) = 1;
  check(VREG(VIRTIO_INTERRUPT_STATUS) == 0, "virtio interrupt ack clears it");

  memset(sector, 0xa5, SECTOR);
  st = rw(5, 1);
  check(st == 0 && virtio_used_len() == 1, "virtio write sector 5: status 0, used length 1");
  memset(sector, 0, SECTOR);
  right = rw(5, 0) == 0;
  for (int j = 0; j < SECTOR; j++)
    right = right && sector[j] == 0xa5;
  check(right, "virtio sector 5 reads back what was written");
  check(rw(DISK_SECTORS, 0) == 1, "virtio read past the end: status IOERR");

  VREG(VIRTIO_STATUS) = 0;
  if (version == 1)
    check(VREG(VIRTIO_QUEUE_PFN) == 0, "virtio reset clears QueuePFN");
  else
    check(VREG(VIRTIO_QUEUE_READY) == 0, "virtio reset clears QueueReady");
}

// The test finisher reads 0 (it only acts on writes; exit() is its check).
static void finisher(void) {
  check(REG32(FINISHER) == 0, "finisher reads 0");
}

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  clint();
  plic();
  uart();
  virtio();
  finisher();
  printf("devices: all checks passed\n");
  return 0;
}
