// virtio-blk over virtio-mmio, legacy (Version 1) and modern (Version 2): the
// identification and feature registers, configuration space, the driver's setup
// sequence as xv6 does it, reads and writes through real rings in RAM, chained
// and indirect descriptors, interrupts and their suppression, and every way a
// request or a ring can be wrong.

import assert, { assertEquals } from "./deps.ts";
import { RecordingIrq, TestBus } from "./devices_harness.ts";
import {
  AVAIL_F_NO_INTERRUPT,
  BLK_F_CONFIG_WCE,
  BLK_F_MQ,
  BLK_F_RO,
  BLK_F_SCSI,
  BLK_S_IOERR,
  BLK_S_OK,
  BLK_S_UNSUPP,
  BLK_T_BARRIER,
  BLK_T_DISCARD,
  BLK_T_FLUSH,
  BLK_T_GET_ID,
  BLK_T_IN,
  BLK_T_OUT,
  BLK_T_SCSI_CMD,
  BLK_T_WRITE_ZEROES,
  DESC_F_INDIRECT,
  DESC_F_NEXT,
  DESC_F_WRITE,
  F_ANY_LAYOUT,
  F_NOTIFY_ON_EMPTY,
  RING_F_EVENT_IDX,
  RING_F_INDIRECT_DESC,
  STATUS_ACKNOWLEDGE,
  STATUS_DRIVER,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  STATUS_NEEDS_RESET,
  VirtioBlk,
} from "../machine/devices/virtio_blk.ts";
import { VIRTIO0, VIRTIO0_IRQ, VIRTIO0_SIZE } from "../machine/devices/virt.ts";
import { KERNBASE, PHYSTOP, Ram } from "../machine/ram.ts";

const R = {
  magic: 0x000,
  version: 0x004,
  deviceId: 0x008,
  vendor: 0x00c,
  devFeatures: 0x010,
  devFeaturesSel: 0x014,
  drvFeatures: 0x020,
  drvFeaturesSel: 0x024,
  pageSize: 0x028,
  queueSel: 0x030,
  queueNumMax: 0x034,
  queueNum: 0x038,
  queueAlign: 0x03c,
  queuePfn: 0x040,
  queueReady: 0x044,
  notify: 0x050,
  isr: 0x060,
  ack: 0x064,
  status: 0x070,
  descLo: 0x080,
  descHi: 0x084,
  driverLo: 0x090,
  driverHi: 0x094,
  deviceLo: 0x0a0,
  deviceHi: 0x0a4,
  shmLenLo: 0x0b0,
  generation: 0x0fc,
  config: 0x100,
};

const RAM = new Ram(); // one 128 MiB RAM shared by the tests, cleared where they work
const RING = KERNBASE + 0x10_0000; // three pages: descriptors, available ring, used ring
const HDR = KERNBASE + 0x20_0000;
const DATA = KERNBASE + 0x21_0000;
const STATUS = KERNBASE + 0x23_0000;
const DISK_SECTORS = 4096; // 2 MiB, as the QEMU measurements used

/** xv6's feature choice: everything offered except these. */
const XV6_CLEARS = [
  BLK_F_RO,
  BLK_F_SCSI,
  BLK_F_CONFIG_WCE,
  BLK_F_MQ,
  F_ANY_LAYOUT,
  RING_F_EVENT_IDX,
  RING_F_INDIRECT_DESC,
];

function xv6Features(offered: number): number {
  let f = offered;
  for (const b of XV6_CLEARS) f &= ~(1 << b);
  return f >>> 0;
}

/** A disk image whose sector s starts with the bytes "S", s (16-bit). */
function makeImage(sectors = DISK_SECTORS): Uint8Array {
  const img = new Uint8Array(sectors * 512);
  for (let s = 0; s < sectors; s++) {
    img[s * 512] = 0x53;
    img[s * 512 + 1] = s & 0xff;
    img[s * 512 + 2] = s >> 8;
    img[s * 512 + 511] = 0xee;
  }
  return img;
}

interface DriverOptions {
  legacy: boolean;
  num?: number;
  /** Feature words to accept, from the offered ones (default: xv6's choice). */
  accept?: (lo: number, hi: number) => [number, number];
  image?: Uint8Array;
  /** Legacy only: QueueAlign to program (xv6 leaves QEMU's 4096). */
  align?: number;
}

/** A small virtio driver working the way xv6's virtio_disk.c does. */
class Driver {
  readonly ram = RAM;
  readonly irq = new RecordingIrq();
  readonly dev: VirtioBlk;
  readonly b: TestBus;
  readonly num: number;
  readonly desc = RING;
  avail = RING + 0x1000;
  used = RING + 0x2000;
  aidx = 0;
  uidx = 0;

  constructor(readonly opts: DriverOptions) {
    RAM.fill(RING, 0x4000, 0);
    RAM.fill(HDR, 0x4_0000, 0);
    this.num = opts.num ?? 8;
    this.dev = new VirtioBlk(RAM, opts.image ?? makeImage(), this.irq, { legacy: opts.legacy });
    this.b = new TestBus(VIRTIO0, VIRTIO0_SIZE, this.dev);
  }

  reg(off: number): number {
    return this.b.r32(off);
  }

  set(off: number, v: number): void {
    this.b.w32(off, v);
  }

  /** Feature negotiation and queue setup: xv6 2019's legacy or 2021+'s modern sequence. */
  init(): this {
    const accept = this.opts.accept ?? ((lo, hi) => [xv6Features(lo), hi]);
    let status = 0;
    this.set(R.status, status);
    this.set(R.status, status |= STATUS_ACKNOWLEDGE);
    this.set(R.status, status |= STATUS_DRIVER);
    this.set(R.devFeaturesSel, 0);
    const lo = this.reg(R.devFeatures);
    this.set(R.devFeaturesSel, 1);
    const hi = this.reg(R.devFeatures);
    const [alo, ahi] = accept(lo, hi);
    this.set(R.drvFeaturesSel, 0);
    this.set(R.drvFeatures, alo);
    this.set(R.drvFeaturesSel, 1);
    this.set(R.drvFeatures, ahi);
    this.set(R.drvFeaturesSel, 0);
    this.set(R.status, status |= STATUS_FEATURES_OK);
    assert(this.reg(R.status) & STATUS_FEATURES_OK);
    this.set(R.queueSel, 0);
    assert(this.reg(R.queueNumMax) >= this.num);
    if (this.opts.legacy) {
      this.set(R.pageSize, 4096);
      this.set(R.queueNum, this.num);
      const align = this.opts.align ?? 4096;
      if (this.opts.align) this.set(R.queueAlign, align);
      this.set(R.queuePfn, RING >>> 12);
      this.avail = RING + 16 * this.num;
      this.used = Math.ceil((this.avail + 4 + 2 * this.num) / align) * align;
    } else {
      assertEquals(this.reg(R.queueReady), 0);
      this.set(R.queueNum, this.num);
      this.set(R.descLo, this.desc >>> 0);
      this.set(R.descHi, 0);
      this.set(R.driverLo, this.avail >>> 0);
      this.set(R.driverHi, 0);
      this.set(R.deviceLo, this.used >>> 0);
      this.set(R.deviceHi, 0);
      this.set(R.queueReady, 1);
    }
    this.set(R.status, status | STATUS_DRIVER_OK);
    return this;
  }

  /** Fill descriptor i of the table at `table` (default: the queue's). */
  setDesc(i: number, addr: number, len: number, flags: number, next = 0, table = this.desc): void {
    const d = table + 16 * i;
    this.ram.write64(d, addr);
    this.ram.write32(d + 8, len);
    this.ram.view.setUint16(d - KERNBASE + 12, flags, true);
    this.ram.view.setUint16(d - KERNBASE + 14, next, true);
  }

  /** A chain through descriptors 0, 1, 2, ... from [addr, len, writable] triples. */
  chain(bufs: Array<[number, number, boolean]>, first = 0): number {
    bufs.forEach(([addr, len, w], k) => {
      const last = k === bufs.length - 1;
      this.setDesc(
        first + k,
        addr,
        len,
        (w ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT),
        first + k + 1,
      );
    });
    return first;
  }

  /** Make a chain available and notify; returns how many used entries appeared. */
  post(head: number): number {
    const a = this.avail - KERNBASE;
    this.ram.view.setUint16(a + 4 + 2 * (this.aidx % this.num), head, true);
    this.aidx = (this.aidx + 1) & 0xffff;
    this.ram.view.setUint16(a + 2, this.aidx, true);
    this.set(R.notify, 0);
    return (this.usedIdx() - this.uidx) & 0xffff;
  }

  usedIdx(): number {
    return this.ram.view.getUint16(this.used - KERNBASE + 2, true);
  }

  /** The next used element (id, len), consuming it. */
  takeUsed(): { id: number; len: number } {
    const e = this.used + 4 + 8 * (this.uidx % this.num);
    this.uidx = (this.uidx + 1) & 0xffff;
    return { id: this.ram.read32(e), len: this.ram.read32(e + 4) };
  }

  /** Write a request header at HDR. */
  header(type: number, sector: number, at = HDR): void {
    this.ram.write32(at, type >>> 0);
    this.ram.write32(at + 4, 0);
    this.ram.write64(at + 8, sector);
  }

  /** One xv6-style three-descriptor request; returns the status byte and used element. */
  rw(type: number, sector: number, len = 1024, data = DATA) {
    const devWrites = type === BLK_T_IN || type === BLK_T_GET_ID;
    this.header(type, sector);
    this.ram.write8(STATUS, 0xff);
    const head = this.chain([[HDR, 16, false], [data, len, devWrites], [STATUS, 1, true]]);
    assertEquals(this.post(head), 1);
    return { status: this.ram.read8(STATUS), ...this.takeUsed() };
  }

  /** Acknowledge interrupts as virtio_disk_intr() does. */
  ack(): void {
    this.set(R.ack, this.reg(R.isr) & 3);
  }
}

for (const legacy of [true, false]) {
  const L = legacy ? "legacy" : "modern";

  Deno.test(`virtio ${L}: identification registers`, () => {
    const d = new Driver({ legacy });
    assertEquals(d.reg(R.magic), 0x7472_6976);
    assertEquals(d.reg(R.version), legacy ? 1 : 2);
    assertEquals(d.reg(R.deviceId), 2);
    assertEquals(d.reg(R.vendor), 0x554d_4551);
    assertEquals(d.reg(R.queueNumMax), 1024);
    d.set(R.queueSel, 1);
    assertEquals(d.reg(R.queueNumMax), 0); // virtio-blk has one queue
    assertEquals(d.reg(R.status), 0);
    assertEquals(d.reg(R.isr), 0);
    assertEquals(d.reg(R.shmLenLo), 0xffff_ffff);
    assertEquals(d.reg(R.generation), 0);
    assertEquals(d.b.r8(R.magic), 0); // registers take 32-bit accesses only
    assertEquals(d.b.read64(R.magic), (BigInt(legacy ? 1 : 2) << 32n) | 0x7472_6976n); // two reads
  });

  Deno.test(`virtio ${L}: features offered are QEMU 7.2's`, () => {
    const d = new Driver({ legacy });
    d.set(R.devFeaturesSel, 0);
    assertEquals(d.reg(R.devFeatures), legacy ? 0x3100_6ed4 : 0x3000_6e54);
    d.set(R.devFeaturesSel, 1);
    assertEquals(d.reg(R.devFeatures), legacy ? 0 : 1); // VIRTIO_F_VERSION_1
  });

  Deno.test(`virtio ${L}: configuration space`, () => {
    const d = new Driver({ legacy, image: makeImage(8000) }); // xv6's fs.img: 2000 blocks
    assertEquals(d.b.read64(R.config), 8000n); // capacity
    assertEquals(d.reg(R.config + 0x08), 0); // size_max
    assertEquals(d.reg(R.config + 0x0c), 254); // seg_max
    assertEquals(d.b.read(R.config + 0x10, 2), 7); // cylinders = 8000 / (16*63)
    assertEquals([d.b.r8(R.config + 0x12), d.b.r8(R.config + 0x13)], [16, 63]);
    assertEquals(d.reg(R.config + 0x14), 512); // blk_size
    assertEquals(d.reg(R.config + 0x20), 0x0001_0001); // writeback 1, num_queues 1
    assertEquals(d.reg(R.config + 0x24), 0x3f_ffff);
    assertEquals(d.reg(R.config + 0x34), 1);
    assertEquals(d.b.r8(R.config + 0x38), 1); // write_zeroes_may_unmap, the last byte
    assertEquals(d.b.r8(R.config + 0x39), 0xff); // past the end: all ones
    assertEquals(d.reg(R.config + 0x38), 0xffff_ffff);
    assertEquals(d.b.read(R.config + 1, 4), 8000 >>> 8); // unaligned config read is fine
    d.b.w8(R.config + 0x20, 0); // writeback is writable
    assertEquals(d.b.r8(R.config + 0x20), 0);
    d.b.w32(R.config + 0x20, 0x0005_0007);
    assertEquals(d.reg(R.config + 0x20), 0x0001_0001);
    d.b.w32(R.config + 0x00, 1); // capacity is not
    assertEquals(d.b.read64(R.config), 8000n);
  });

  Deno.test(`virtio ${L}: write then read back sectors through the rings`, () => {
    const d = new Driver({ legacy }).init();
    for (let i = 0; i < 1024; i++) d.ram.write8(DATA + i, (i * 7 + 1) & 0xff);
    let r = d.rw(BLK_T_OUT, 10);
    assertEquals(r, { status: BLK_S_OK, id: 0, len: 1 }); // used len: the status byte
    assert(d.irq.level(VIRTIO0_IRQ));
    assertEquals(d.reg(R.isr), 1);
    d.ack();
    assert(!d.irq.level(VIRTIO0_IRQ));
    assertEquals(d.reg(R.isr), 0);
    assertEquals(d.dev.image[10 * 512 + 3], (3 * 7 + 1) & 0xff);
    assertEquals(d.dev.image[11 * 512 + 511], (1023 * 7 + 1) & 0xff);
    assert(d.dev.dirty);
    d.ram.fill(DATA, 1024, 0);
    r = d.rw(BLK_T_IN, 10);
    assertEquals(r, { status: BLK_S_OK, id: 0, len: 1025 }); // data + status
    for (let i = 0; i < 1024; i++) assertEquals(d.ram.read8(DATA + i), (i * 7 + 1) & 0xff);
    r = d.rw(BLK_T_IN, 4095, 512);
    assertEquals(r.status, BLK_S_OK);
    assertEquals([d.ram.read8(DATA), d.ram.read8(DATA + 1), d.ram.read8(DATA + 2)], [
      0x53,
      255,
      15,
    ]);
    assertEquals([d.dev.reads, d.dev.writes], [2, 1]);
  });

  Deno.test(`virtio ${L}: the used ring wraps around a small queue`, () => {
    const d = new Driver({ legacy, num: 4 }).init();
    for (let n = 0; n < 11; n++) {
      const r = d.rw(BLK_T_IN, n, 512);
      assertEquals(r.status, BLK_S_OK);
      assertEquals(d.ram.read8(DATA + 1), n);
      d.ack();
    }
    assertEquals(d.usedIdx(), 11);
  });

  Deno.test(`virtio ${L}: chained buffers: split header, scattered data, status inside data`, () => {
    const d = new Driver({ legacy, num: 8 }).init();
    d.header(BLK_T_IN, 100);
    d.ram.write8(STATUS, 0xff);
    // Header in two pieces, 1536 bytes of data in three uneven pieces, then status.
    d.chain([
      [HDR, 8, false],
      [HDR + 8, 8, false],
      [DATA, 100, true],
      [DATA + 0x1000, 900, true],
      [DATA + 0x2000, 536, true],
      [STATUS, 1, true],
    ]);
    assertEquals(d.post(0), 1);
    assertEquals(d.takeUsed(), { id: 0, len: 1537 });
    assertEquals(d.ram.read8(STATUS), BLK_S_OK);
    assertEquals(d.ram.read8(DATA + 1), 100); // sector 100 starts in piece 1
    assertEquals(d.ram.read8(DATA + 0x1000 + 512 - 100 + 1), 101); // sector 101 in piece 2
    assertEquals(d.ram.read8(DATA + 0x2000 + 1024 - 1000 + 1), 102); // sector 102 in piece 3
    // Data and status in one device-writable buffer of 513 bytes.
    d.header(BLK_T_IN, 7);
    d.ram.write8(DATA + 512, 0xff);
    d.chain([[HDR, 16, false], [DATA, 513, true]], 2);
    assertEquals(d.post(2), 1);
    assertEquals(d.takeUsed(), { id: 2, len: 513 });
    assertEquals([d.ram.read8(DATA + 1), d.ram.read8(DATA + 512)], [7, BLK_S_OK]);
    // An OUT whose data follows the header in the same buffer.
    d.header(BLK_T_OUT, 9, DATA + 0x3000);
    d.ram.fill(DATA + 0x3010, 512, 0x5a);
    d.chain([[DATA + 0x3000, 16 + 512, false], [STATUS, 1, true]], 4);
    assertEquals(d.post(4), 1);
    assertEquals(d.takeUsed(), { id: 4, len: 1 });
    assertEquals(d.dev.image[9 * 512 + 100], 0x5a);
  });

  Deno.test(`virtio ${L}: several chains served by one notify, one interrupt`, () => {
    const d = new Driver({ legacy, num: 16 }).init();
    const a = d.avail - KERNBASE;
    for (let k = 0; k < 3; k++) {
      d.header(BLK_T_IN, 20 + k, HDR + 16 * k);
      d.chain(
        [[HDR + 16 * k, 16, false], [DATA + 512 * k, 512, true], [STATUS + k, 1, true]],
        3 * k,
      );
      d.ram.view.setUint16(a + 4 + 2 * k, 3 * k, true);
    }
    d.ram.view.setUint16(a + 2, 3, true);
    d.aidx = 3;
    d.irq.clear();
    d.set(R.notify, 0);
    assertEquals(d.usedIdx(), 3);
    assertEquals([0, 1, 2].map(() => d.takeUsed().id), [0, 3, 6]);
    assertEquals([0, 1, 2].map((k) => d.ram.read8(DATA + 512 * k + 1)), [20, 21, 22]);
    assertEquals(d.irq.raises(VIRTIO0_IRQ), 1);
  });

  Deno.test(`virtio ${L}: sectors outside the disk or partial sectors give IOERR`, () => {
    const d = new Driver({ legacy }).init();
    const before = d.dev.image.slice();
    assertEquals(d.rw(BLK_T_IN, DISK_SECTORS, 512), { status: BLK_S_IOERR, id: 0, len: 513 });
    assertEquals(d.rw(BLK_T_IN, DISK_SECTORS - 1, 1024).status, BLK_S_IOERR);
    assertEquals(d.rw(BLK_T_OUT, DISK_SECTORS - 1, 1024).status, BLK_S_IOERR);
    assertEquals(d.rw(BLK_T_OUT, 2 ** 40, 512).status, BLK_S_IOERR);
    assertEquals(d.rw(BLK_T_IN, 0, 100), { status: BLK_S_IOERR, id: 0, len: 101 });
    assertEquals(d.rw(BLK_T_OUT, 0, 1000).status, BLK_S_IOERR);
    assertEquals(d.rw(BLK_T_IN, DISK_SECTORS - 1, 512).status, BLK_S_OK); // the last one is fine
    assertEquals(d.dev.image, before);
    assert(!d.dev.dirty);
    assertEquals(d.reg(R.status) & STATUS_NEEDS_RESET, 0);
  });

  Deno.test(`virtio ${L}: other request types: flush, get-id, barrier, unsupported`, () => {
    const d = new Driver({ legacy }).init();
    d.header(BLK_T_FLUSH, 0);
    d.chain([[HDR, 16, false], [STATUS, 1, true]]);
    d.post(0);
    assertEquals([d.ram.read8(STATUS), d.takeUsed().len], [BLK_S_OK, 1]);
    d.ram.fill(DATA, 32, 0x77);
    assertEquals(d.rw(BLK_T_GET_ID, 0, 20), { status: BLK_S_OK, id: 0, len: 21 });
    assertEquals([d.ram.read8(DATA), d.ram.read8(DATA + 1)], [0, 0x77]); // "" and its NUL
    d.ram.fill(DATA, 512, 0x33);
    assertEquals(d.rw(BLK_T_OUT | BLK_T_BARRIER, 5, 512).status, BLK_S_OK); // barrier ignored
    assertEquals(d.dev.image[5 * 512], 0x33);
    assertEquals(d.rw(6, 0, 512), { status: BLK_S_UNSUPP, id: 0, len: 1 });
    assertEquals(d.rw(BLK_T_OUT | 0x20, 0, 512).status, BLK_S_UNSUPP);
    assertEquals(d.rw(BLK_T_SCSI_CMD, 0, 512).status, BLK_S_IOERR); // too few buffers for SCSI
  });

  Deno.test(`virtio ${L}: write-zeroes zeroes, discard keeps data, bad ones are refused`, () => {
    const d = new Driver({ legacy }).init();
    const dwz = (type: number, sector: number, count: number, flags = 0) => {
      d.header(type, 0);
      d.ram.write64(DATA, sector);
      d.ram.write32(DATA + 8, count);
      d.ram.write32(DATA + 12, flags);
      return d.rw(type, 0, 16);
    };
    // rw() makes the data buffer device-readable for these types: the segment goes out.
    assertEquals(dwz(BLK_T_WRITE_ZEROES, 30, 2).status, BLK_S_OK);
    assertEquals([d.dev.image[30 * 512], d.dev.image[31 * 512 + 511], d.dev.image[32 * 512]], [
      0,
      0,
      0x53,
    ]);
    assertEquals(dwz(BLK_T_DISCARD, 40, 1).status, BLK_S_OK);
    assertEquals(d.dev.image[40 * 512], 0x53);
    assertEquals(dwz(BLK_T_DISCARD, 40, 1, 1).status, BLK_S_UNSUPP); // unmap flag on discard
    assertEquals(dwz(BLK_T_WRITE_ZEROES, 40, 1, 2).status, BLK_S_UNSUPP); // unknown flag
    assertEquals(dwz(BLK_T_WRITE_ZEROES, DISK_SECTORS, 1).status, BLK_S_IOERR);
    assertEquals(dwz(BLK_T_WRITE_ZEROES, 0, 0x40_0000).status, BLK_S_IOERR);
    assertEquals(dwz(BLK_T_DISCARD & ~BLK_T_OUT, 40, 1).status, BLK_S_UNSUPP);
    assertEquals(d.dev.image[40 * 512], 0x53);
  });

  Deno.test(`virtio ${L}: buffers outside RAM: IOERR if the status byte can be written`, () => {
    const d = new Driver({ legacy }).init();
    for (const bad of [PHYSTOP, PHYSTOP - 100, 0x1000_0000, KERNBASE - 512, 2 ** 63]) {
      d.header(BLK_T_IN, 1);
      d.ram.write8(STATUS, 0xff);
      d.chain([[HDR, 16, false], [bad, 512, true], [STATUS, 1, true]]);
      assertEquals(d.post(0), 1);
      assertEquals(d.takeUsed(), { id: 0, len: 513 });
      assertEquals(d.ram.read8(STATUS), BLK_S_IOERR);
    }
    d.ram.fill(DATA, 512, 0x11);
    d.chain([[PHYSTOP - 8, 16, false], [DATA, 512, false], [STATUS, 1, true]]); // header outside
    d.post(0);
    assertEquals([d.takeUsed().len, d.ram.read8(STATUS)], [1, BLK_S_IOERR]);
    assertEquals(d.rw(BLK_T_IN, 3, 512).status, BLK_S_OK); // the device still works
    assertEquals(d.reg(R.status) & STATUS_NEEDS_RESET, 0);
  });

  Deno.test(`virtio ${L}: indirect descriptors`, () => {
    const d = new Driver({ legacy, accept: (lo, hi) => [lo & ~(1 << BLK_F_SCSI), hi] }).init();
    const table = KERNBASE + 0x30_0000;
    d.header(BLK_T_IN, 77);
    d.ram.write8(STATUS, 0xff);
    d.chain([[HDR, 16, false], [DATA, 512, true], [STATUS, 1, true]]); // direct ones, overwritten
    d.setDesc(0, HDR, 16, DESC_F_NEXT, 1, table);
    d.setDesc(1, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 2, table);
    d.setDesc(2, STATUS, 1, DESC_F_WRITE, 0, table);
    d.setDesc(5, table, 48, DESC_F_INDIRECT);
    assertEquals(d.post(5), 1);
    assertEquals(d.takeUsed(), { id: 5, len: 513 });
    assertEquals([d.ram.read8(STATUS), d.ram.read8(DATA + 1)], [BLK_S_OK, 77]);
    // An indirect table holding an indirect descriptor is corrupt.
    d.setDesc(1, table, 48, DESC_F_INDIRECT | DESC_F_NEXT, 2, table);
    assertEquals(d.post(5), 0);
    assert(d.reg(R.status) & STATUS_NEEDS_RESET);
  });

  Deno.test(`virtio ${L}: an indirect table of bad size is corrupt`, () => {
    for (const len of [0, 40, 16 * 2000]) {
      const d = new Driver({ legacy }).init();
      d.setDesc(0, len === 16 * 2000 ? PHYSTOP - 16 : KERNBASE + 0x30_0000, len, DESC_F_INDIRECT);
      assertEquals(d.post(0), 0);
      assert(d.reg(R.status) & STATUS_NEEDS_RESET, `len ${len}`);
    }
  });

  const corruptions: Array<[string, (d: Driver) => number]> = [
    ["head index past the table", (d) => {
      d.rw(BLK_T_IN, 0, 512); // one good request first
      d.ack();
      return 8;
    }],
    ["a next index past the table", (d) => {
      d.header(BLK_T_IN, 0);
      d.setDesc(0, HDR, 16, DESC_F_NEXT, 8);
      return 0;
    }],
    ["a descriptor loop", (d) => {
      d.header(BLK_T_IN, 0);
      d.setDesc(0, HDR, 16, DESC_F_NEXT, 1);
      d.setDesc(1, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 0);
      return 0;
    }],
    [
      "a zero-length buffer",
      (d) => d.chain([[HDR, 16, false], [DATA, 0, true], [STATUS, 1, true]]),
    ],
    [
      "a readable buffer after a writable one",
      (d) => d.chain([[HDR, 16, false], [DATA, 512, true], [DATA, 512, false], [STATUS, 1, true]]),
    ],
    ["no writable buffer", (d) => d.chain([[HDR, 16, false], [DATA, 512, false]])],
    ["no readable buffer", (d) => d.chain([[DATA, 512, true], [STATUS, 1, true]])],
    ["a short header", (d) => d.chain([[HDR, 8, false], [STATUS, 1, true]])],
    ["a status byte outside RAM", (d) => d.chain([[HDR, 16, false], [PHYSTOP, 1, true]])],
  ];

  for (const [what, make] of corruptions) {
    Deno.test(`virtio ${L}: ${what} makes the device need a reset`, () => {
      const d = new Driver({ legacy }).init();
      d.header(BLK_T_IN, 0);
      const head = make(d);
      d.irq.clear();
      assertEquals(d.post(head), 0);
      assertEquals(d.reg(R.status), STATUS_NEEDS_RESET | 0xf);
      assertEquals(d.reg(R.isr), 3); // configuration-change interrupt, as QEMU gives it
      assertEquals(d.reg(R.generation), legacy ? 0 : 1);
      assert(d.irq.level(VIRTIO0_IRQ));
      // It stays stopped: another good request is not served...
      d.ack();
      d.header(BLK_T_IN, 1);
      d.chain([[HDR, 16, false], [DATA, 512, true], [STATUS, 1, true]]);
      assertEquals(d.post(0), 0);
      // ...until the driver resets it and sets it up again.
      d.set(R.status, 0);
      assertEquals([d.reg(R.status), d.reg(R.isr)], [0, 0]);
      assert(!d.irq.level(VIRTIO0_IRQ));
      d.aidx = d.uidx = 0;
      RAM.fill(RING, 0x3000, 0);
      d.init();
      assertEquals(d.rw(BLK_T_IN, 2, 512).status, BLK_S_OK);
    });
  }

  Deno.test(`virtio ${L}: before DRIVER_OK a broken ring gives no interrupt`, () => {
    const d = new Driver({ legacy }).init();
    d.set(R.status, 0xb); // take DRIVER_OK away again
    assertEquals(d.post(8), 0);
    assertEquals([d.reg(R.status), d.reg(R.isr)], [STATUS_NEEDS_RESET | 0xb, 0]);
    assert(!d.irq.level(VIRTIO0_IRQ));
  });

  Deno.test(`virtio ${L}: the available index running more than a queue ahead is corrupt`, () => {
    const d = new Driver({ legacy }).init();
    d.ram.view.setUint16(d.avail - KERNBASE + 2, 9, true); // 9 new entries in a queue of 8
    d.set(R.notify, 0);
    assertEquals(d.usedIdx(), 0);
    assert(d.reg(R.status) & STATUS_NEEDS_RESET);
  });

  Deno.test(`virtio ${L}: notify before setup, or for another queue, does nothing`, () => {
    const d = new Driver({ legacy });
    d.set(R.notify, 0);
    assertEquals(d.reg(R.status), 0);
    d.init();
    d.header(BLK_T_IN, 0);
    d.chain([[HDR, 16, false], [DATA, 512, true], [STATUS, 1, true]]);
    d.ram.view.setUint16(d.avail - KERNBASE + 4, 0, true);
    d.ram.view.setUint16(d.avail - KERNBASE + 2, 1, true);
    d.set(R.notify, 1);
    assertEquals(d.usedIdx(), 0);
    d.set(R.notify, 0);
    assertEquals(d.usedIdx(), 1);
  });

  Deno.test(`virtio ${L}: DMA into RAM tells the hart about pages holding decoded code`, () => {
    const d = new Driver({ legacy }).init();
    const page = (DATA - KERNBASE) >>> 12;
    const seen: number[] = [];
    RAM.codePage[page] = 1;
    RAM.onCodeWrite = (off) => seen.push(off >>> 12);
    try {
      d.rw(BLK_T_IN, 0, 512);
    } finally {
      RAM.codePage[page] = 0;
      RAM.onCodeWrite = () => {};
    }
    assertEquals(seen, [page]);
  });

  Deno.test(`virtio ${L}: interrupts honour NO_INTERRUPT, unless NOTIFY_ON_EMPTY (legacy)`, () => {
    const d = new Driver({ legacy }).init();
    d.ram.view.setUint16(d.avail - KERNBASE, AVAIL_F_NO_INTERRUPT, true);
    d.irq.clear();
    assertEquals(d.rw(BLK_T_IN, 0, 512).status, BLK_S_OK);
    // xv6 accepts NOTIFY_ON_EMPTY where it is offered (legacy): the device interrupts anyway.
    assertEquals(d.reg(R.isr), legacy ? 1 : 0);
    assertEquals(d.irq.level(VIRTIO0_IRQ), legacy);
  });

  Deno.test(`virtio ${L}: EVENT_IDX: used_event chooses interrupts, avail_event is kept`, () => {
    const d = new Driver({
      legacy,
      accept: (lo, hi) => [(lo & ~(1 << F_NOTIFY_ON_EMPTY)) >>> 0, hi],
    }).init();
    assert(d.dev.negotiated()[0] & (1 << RING_F_EVENT_IDX));
    const usedEvent = d.avail - KERNBASE + 4 + 2 * d.num;
    const availEvent = d.used + 4 + 8 * d.num;
    d.ram.view.setUint16(usedEvent, 2, true); // interrupt when used idx passes 2
    const isrAfter = () => {
      const v = d.reg(R.isr);
      d.ack();
      return v;
    };
    d.rw(BLK_T_IN, 0, 512);
    assertEquals(isrAfter(), 1); // the first notification always goes out
    d.rw(BLK_T_IN, 0, 512);
    assertEquals(isrAfter(), 0); // used idx 2 has not passed used_event 2
    d.rw(BLK_T_IN, 0, 512);
    assertEquals(isrAfter(), 1); // now it has
    d.rw(BLK_T_IN, 0, 512);
    assertEquals(isrAfter(), 0);
    assertEquals(d.ram.read8(availEvent) | (d.ram.read8(availEvent + 1) << 8), 4);
  });

  Deno.test(`virtio ${L}: status 0 resets queue, features and interrupts`, () => {
    const d = new Driver({ legacy }).init();
    d.rw(BLK_T_IN, 0, 512);
    assert(d.irq.level(VIRTIO0_IRQ));
    d.set(R.status, 0);
    assertEquals([d.reg(R.status), d.reg(R.isr)], [0, 0]);
    assert(!d.irq.level(VIRTIO0_IRQ));
    assertEquals(d.dev.negotiated(), [0, 0]);
    if (legacy) assertEquals(d.reg(R.queuePfn), 0);
    else assertEquals(d.reg(R.queueReady), 0);
    d.set(R.notify, 0);
    assertEquals(d.usedIdx(), 1); // not served: no queue
  });
}

Deno.test("virtio legacy: QueuePFN, GuestPageSize and QueueAlign place the rings", () => {
  const d = new Driver({ legacy: true, align: 64, num: 4 }).init();
  assertEquals(d.reg(R.queuePfn), RING >>> 12);
  assertEquals(d.used, RING + 64 + 64); // table 64 bytes, avail ring 12 -> next 64 boundary
  assertEquals(d.rw(BLK_T_IN, 9, 512).status, BLK_S_OK);
  assertEquals(d.ram.read8(DATA + 1), 9);
  d.set(R.pageSize, 0x2000); // PFN is now counted in 8 KiB pages
  assertEquals(d.reg(R.queuePfn), RING / 0x2000);
  d.set(R.queuePfn, 0); // PFN 0 resets the device
  assertEquals(d.reg(R.status), 0);
});

Deno.test("virtio legacy: features written after FEATURES_OK are ignored; only offered bits stick", () => {
  const d = new Driver({ legacy: true });
  d.set(R.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  d.set(R.drvFeatures, 0xffff_ffff);
  assertEquals(d.dev.negotiated(), [0x3100_6ed4, 0]);
  d.set(R.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  d.set(R.drvFeatures, 0);
  assertEquals(d.dev.negotiated(), [0x3100_6ed4, 0]);
  d.set(R.drvFeaturesSel, 1); // legacy has no high word
  assertEquals(d.reg(R.devFeatures), 0x3100_6ed4);
  d.set(R.queueReady, 1); // modern-only registers do nothing here
  assertEquals(d.reg(R.queueReady), 0);
  d.set(R.descLo, 0x1234);
  assertEquals(d.reg(R.descLo), 0);
});

Deno.test("virtio modern: features are fixed at FEATURES_OK from the staged words", () => {
  const d = new Driver({ legacy: false });
  d.set(R.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  d.set(R.drvFeaturesSel, 0);
  d.set(R.drvFeatures, 0xffff_ffff);
  d.set(R.drvFeaturesSel, 1);
  d.set(R.drvFeatures, 0xffff_ffff);
  assertEquals(d.dev.negotiated(), [0, 0]); // not yet
  assertEquals(d.reg(R.drvFeatures), 0); // write-only
  d.set(R.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  assertEquals(d.dev.negotiated(), [0x3000_6e54, 1]);
  assertEquals(d.reg(R.status), 0xb);
  d.set(R.pageSize, 4096); // legacy-only registers do nothing here
  d.set(R.queuePfn, RING >>> 12);
  assertEquals(d.reg(R.queuePfn), 0);
  d.set(R.queuePfn, 0);
  assertEquals(d.reg(R.status), 0xb); // and QueuePFN 0 is no reset either
});

Deno.test("virtio modern: QueueReady 0 stops the queue; addresses take effect at QueueReady 1", () => {
  const d = new Driver({ legacy: false }).init();
  d.set(R.queueReady, 0);
  assertEquals(d.reg(R.queueReady), 0);
  d.header(BLK_T_IN, 0);
  d.chain([[HDR, 16, false], [DATA, 512, true], [STATUS, 1, true]]);
  assertEquals(d.post(0), 0);
  d.set(R.descLo, 0x1234_5000); // staged only: does not move the running queue
  d.set(R.descLo, d.desc >>> 0);
  d.set(R.queueReady, 1);
  d.set(R.notify, 0);
  assertEquals(d.usedIdx(), 1);
  assertEquals(d.reg(R.queueNum), 0); // write-only
});

Deno.test("virtio: an image of any whole number of sectors; counters and dirty flag", () => {
  const d = new Driver({ legacy: false, image: makeImage(3) }).init();
  assertEquals(d.b.read64(R.config), 3n);
  assertEquals(d.b.read(R.config + 0x10, 2), 2); // cylinders never below 2
  assertEquals(d.rw(BLK_T_IN, 2, 512).status, BLK_S_OK);
  assertEquals(d.rw(BLK_T_IN, 3, 512).status, BLK_S_IOERR);
  assertEquals([d.dev.reads, d.dev.writes, d.dev.dirty], [1, 0, false]);
  assertEquals(d.rw(BLK_T_OUT, 0, 1024).status, BLK_S_OK);
  assertEquals([d.dev.reads, d.dev.writes, d.dev.dirty], [1, 1, true]);
  assert(d.dev.accessOk(0x1fc, 4) && !d.dev.accessOk(0x200, 4) && d.dev.accessOk(0, 8));
});
