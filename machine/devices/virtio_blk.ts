// The disk: a virtio block device on QEMU virt's first virtio-mmio transport
// (VIRTIO0, PLIC interrupt 1), over an in-memory disk image of 512-byte sectors.
//
// Virtio in brief. The driver (xv6's virtio_disk.c) and the device share three
// arrays in guest RAM, together called a virtqueue of `num` entries:
//   descriptor table  num x 16 bytes: { u64 addr; u32 len; u16 flags; u16 next }
//                     flags: 1 NEXT (the chain goes on at `next`), 2 WRITE (the
//                     device writes this buffer), 4 INDIRECT (addr holds a table)
//   available ring    u16 flags; u16 idx; u16 ring[num]; u16 used_event
//                     the driver puts the head of each new chain in ring[idx % num]
//                     and then increments idx
//   used ring         u16 flags; u16 idx; { u32 id; u32 len } ring[num]; u16 avail_event
//                     the device puts each finished chain's head and the number of
//                     bytes it wrote there, increments idx and interrupts
// A block request is one chain: a 16-byte header the device reads
// { u32 type; u32 reserved; u64 sector }, the data (device-writable for a read,
// type 0 IN; device-readable for a write, type 1 OUT), and one status byte the
// device writes last (0 OK, 1 IOERR, 2 UNSUPP). The driver tells the device about
// new chains by writing the queue number to QueueNotify; this device then serves
// every new chain at once, before the store that notified it completes.
//
// Two register layouts exist. The legacy one (Version 1, QEMU's default, xv6 until
// 2020) places the whole queue from one page number: QueuePFN * GuestPageSize is
// the descriptor table, the available ring follows it, the used ring starts at the
// next QueueAlign boundary. The modern one (Version 2, QEMU with
// -global virtio-mmio.force-legacy=false, xv6 from 2021) takes the three addresses
// separately (QueueDesc, QueueDriver, QueueDevice, each as Low/High halves) and
// QueueReady. The constructor's `legacy` flag chooses, as force-legacy does.
//
// Registers and values follow QEMU 7.2 as measured from a guest: QueueNumMax 1024,
// a default queue size of 256, the same feature bits and configuration bytes, the
// same used lengths (every byte the chain lets the device write, for any status),
// IOERR for a sector range outside the disk or a length that is not whole sectors.
// A driver that breaks the rules (an index out of range, a descriptor loop, a
// zero-length buffer, rings outside RAM, a chain without header or status) gets
// what QEMU gives a modern driver: the device stops, sets DEVICE_NEEDS_RESET (0x40)
// in Status and, once DRIVER_OK is set, gives a configuration-change interrupt
// (InterruptStatus 3, ConfigGeneration + 1); writing 0 to Status resets it.
// (QEMU stops a legacy device silently; here it says so in both layouts.) Unlike QEMU, which reads and writes nothing for a
// buffer outside RAM, such a request completes with IOERR, so that a kernel bug
// shows up as an error rather than as silently lost data.

import type { IrqSink, MmioDevice } from "../bus.ts";
import { KERNBASE, type Ram } from "../ram.ts";
import { VIRTIO0_IRQ, VIRTIO0_REGION } from "./virt.ts";

// Transport registers.
const MAGIC_VALUE = 0x000;
const VERSION = 0x004;
const DEVICE_ID = 0x008;
const VENDOR_ID = 0x00c;
const DEVICE_FEATURES = 0x010;
const DEVICE_FEATURES_SEL = 0x014;
const DRIVER_FEATURES = 0x020;
const DRIVER_FEATURES_SEL = 0x024;
const GUEST_PAGE_SIZE = 0x028; // legacy
const QUEUE_SEL = 0x030;
const QUEUE_NUM_MAX = 0x034;
const QUEUE_NUM = 0x038;
const QUEUE_ALIGN = 0x03c; // legacy
const QUEUE_PFN = 0x040; // legacy
const QUEUE_READY = 0x044; // modern
const QUEUE_NOTIFY = 0x050;
const INTERRUPT_STATUS = 0x060;
const INTERRUPT_ACK = 0x064;
const STATUS = 0x070;
const QUEUE_DESC_LOW = 0x080; // modern, through QUEUE_DEVICE_HIGH = 0x0a4
const QUEUE_DEVICE_HIGH = 0x0a4;
const SHM_LEN_LOW = 0x0b0;
const SHM_LEN_HIGH = 0x0b4;
const CONFIG_GENERATION = 0x0fc; // modern
const CONFIG = 0x100;

export const VIRTIO_MAGIC = 0x7472_6976; // "virt"
export const VIRTIO_VENDOR_QEMU = 0x554d_4551; // "QEMU"
export const VIRTIO_ID_BLOCK = 2;

// Status bits the driver sets, and the one the device sets.
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_NEEDS_RESET = 0x40;

// Feature bits.
export const BLK_F_SEG_MAX = 2;
export const BLK_F_GEOMETRY = 4;
export const BLK_F_RO = 5;
export const BLK_F_BLK_SIZE = 6;
export const BLK_F_SCSI = 7;
export const BLK_F_FLUSH = 9;
export const BLK_F_TOPOLOGY = 10;
export const BLK_F_CONFIG_WCE = 11;
export const BLK_F_MQ = 12;
export const BLK_F_DISCARD = 13;
export const BLK_F_WRITE_ZEROES = 14;
export const F_NOTIFY_ON_EMPTY = 24;
export const F_ANY_LAYOUT = 27;
export const RING_F_INDIRECT_DESC = 28;
export const RING_F_EVENT_IDX = 29;
export const F_VERSION_1 = 32;

const bit = (b: number): number => 2 ** b;
const COMMON_FEATURES = bit(BLK_F_SEG_MAX) + bit(BLK_F_GEOMETRY) + bit(BLK_F_BLK_SIZE) +
  bit(BLK_F_FLUSH) + bit(BLK_F_TOPOLOGY) + bit(BLK_F_CONFIG_WCE) + bit(BLK_F_DISCARD) +
  bit(BLK_F_WRITE_ZEROES) + bit(RING_F_INDIRECT_DESC) + bit(RING_F_EVENT_IDX);
/** QEMU 7.2's offer, less VIRTIO_F_RING_RESET (bit 40: its QueueReset register is not here). */
export const LEGACY_FEATURES = COMMON_FEATURES + bit(BLK_F_SCSI) + bit(F_NOTIFY_ON_EMPTY);
export const MODERN_FEATURES_LO = COMMON_FEATURES;
export const MODERN_FEATURES_HI = bit(F_VERSION_1 - 32);

// Descriptor flags.
export const DESC_F_NEXT = 1;
export const DESC_F_WRITE = 2;
export const DESC_F_INDIRECT = 4;
/** Available-ring flag: the driver asks not to be interrupted. */
export const AVAIL_F_NO_INTERRUPT = 1;

// Request types and status values.
export const BLK_T_IN = 0;
export const BLK_T_OUT = 1;
export const BLK_T_SCSI_CMD = 2;
export const BLK_T_FLUSH = 4;
export const BLK_T_GET_ID = 8;
export const BLK_T_DISCARD = 11;
export const BLK_T_WRITE_ZEROES = 13;
export const BLK_T_BARRIER = 0x8000_0000;
export const BLK_S_OK = 0;
export const BLK_S_IOERR = 1;
export const BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
/** QueueNumMax: QEMU reports VIRTQUEUE_MAX_SIZE for an existing queue. */
export const QUEUE_NUM_MAX_VALUE = 1024;
/** Queue size until the driver writes QueueNum (QEMU's virtio-blk queue-size). */
export const QUEUE_SIZE_DEFAULT = 256;
/** Most discard / write-zeroes sectors in one request (QEMU's default). */
const MAX_DWZ_SECTORS = 0x3f_ffff;
/** Bytes of configuration space QEMU 7.2 gives virtio-blk (through write_zeroes_may_unmap). */
const CONFIG_LEN = 0x39;
const CONFIG_WCE = 0x20;
const TWO32 = 0x1_0000_0000;

export interface VirtioBlkOptions {
  /** Version 1 register layout (QEMU's virtio-mmio.force-legacy, which defaults to true). */
  legacy?: boolean;
  /** PLIC source to drive. */
  irq?: number;
  /** Told of every byte range of the image a request changed (to write it through to a file). */
  onWrite?: (offset: number, length: number) => void;
}

export class VirtioBlk implements MmioDevice {
  readonly name = "virtio0";
  readonly legacy: boolean;
  readonly irq: number;
  /** Disk size in sectors. */
  readonly capacity: number;
  /** Counters for --stats and tests: requests that read or wrote the image. */
  reads = 0;
  writes = 0;
  /** Set once the guest has changed the image, so the CLI knows to save it. */
  dirty = false;
  private readonly onWrite: ((offset: number, length: number) => void) | undefined;

  // Transport state.
  private status = 0;
  private isr = 0;
  private broken = false;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private readonly staged = new Uint32Array(2); // modern: DriverFeatures until FEATURES_OK
  private featLo = 0; // negotiated features
  private featHi = 0;
  private pageShift = 0; // legacy GuestPageSize, as a shift
  private wce = 1; // write cache on, as QEMU's default cache=writeback
  private generation = 0; // ConfigGeneration: counts configuration-change notices

  // Queue 0, the only queue.
  private queueSel = 0;
  private num = QUEUE_SIZE_DEFAULT;
  private align = 4096; // legacy
  private ready = false; // modern
  private descPa = 0;
  private availPa = 0;
  private usedPa = 0;
  private stagedNum = 0; // modern: QueueNum until QueueReady
  private readonly stagedAddr = new Uint32Array(6); // modern: desc, driver, device (lo, hi)
  private lastAvail = 0;
  private usedIdx = 0;
  private signalledUsed = 0;
  private signalledValid = false;

  // The chain being served: readable segments first, then writable ones.
  private readonly segAddr = new Float64Array(QUEUE_NUM_MAX_VALUE);
  private readonly segLen = new Uint32Array(QUEUE_NUM_MAX_VALUE);
  private nread = 0;
  private nwrite = 0;
  private readonly hdr = new Uint8Array(16);
  private readonly hdrView = new DataView(this.hdr.buffer);

  constructor(
    private readonly ram: Ram,
    readonly image: Uint8Array,
    private readonly irqs: IrqSink,
    opts: VirtioBlkOptions = {},
  ) {
    this.legacy = opts.legacy ?? true;
    this.irq = opts.irq ?? VIRTIO0_IRQ;
    this.capacity = Math.floor(image.length / SECTOR_SIZE);
    this.onWrite = opts.onWrite;
  }

  /** The negotiated feature bits, as [bits 0-31, bits 32-63] (for tests and debugging). */
  negotiated(): [number, number] {
    return [this.featLo, this.featHi];
  }

  /** Whether QEMU would accept this access: any size inside its 0x200-byte region. */
  accessOk(off: number, size: number): boolean {
    return off + size <= VIRTIO0_REGION;
  }

  /** Read a transport register (32-bit only, as QEMU) or configuration bytes (any size). */
  read(off: number, size: number): number {
    if (off >= CONFIG) return this.readConfig(off - CONFIG, size);
    if (size !== 4) return 0;
    switch (off) {
      case MAGIC_VALUE:
        return VIRTIO_MAGIC;
      case VERSION:
        return this.legacy ? 1 : 2;
      case DEVICE_ID:
        return VIRTIO_ID_BLOCK;
      case VENDOR_ID:
        return VIRTIO_VENDOR_QEMU;
      case DEVICE_FEATURES:
        return this.deviceFeatures();
      case QUEUE_NUM_MAX:
        return this.queueSel === 0 ? QUEUE_NUM_MAX_VALUE : 0;
      case QUEUE_PFN:
        return this.legacy && this.queueSel === 0
          ? Math.floor(this.descPa / 2 ** this.pageShift) % TWO32
          : 0;
      case QUEUE_READY:
        return !this.legacy && this.queueSel === 0 && this.ready ? 1 : 0;
      case INTERRUPT_STATUS:
        return this.isr;
      case STATUS:
        return this.status;
      case SHM_LEN_LOW:
      case SHM_LEN_HIGH:
        return 0xffff_ffff; // no shared memory regions
      case CONFIG_GENERATION:
        return this.legacy ? 0 : this.generation;
      default:
        return 0; // write-only registers and holes
    }
  }

  /** Write a transport register (32-bit only, as QEMU) or configuration bytes. */
  write(off: number, size: number, value: number): void {
    if (off >= CONFIG) return this.writeConfig(off - CONFIG, size, value);
    if (size !== 4) return;
    const v = value >>> 0;
    switch (off) {
      case DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = v !== 0 ? 1 : 0;
        break;
      case DRIVER_FEATURES:
        this.writeDriverFeatures(v);
        break;
      case DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = v !== 0 ? 1 : 0;
        break;
      case GUEST_PAGE_SIZE:
        if (this.legacy) this.pageShift = v === 0 ? 0 : 31 - Math.clz32(v & -v);
        break;
      case QUEUE_SEL:
        if (v < QUEUE_NUM_MAX_VALUE) this.queueSel = v;
        break;
      case QUEUE_NUM:
        if (this.queueSel !== 0) break;
        if (!this.legacy) this.stagedNum = v;
        else if (v >= 1 && v <= QUEUE_NUM_MAX_VALUE) this.num = v;
        break;
      case QUEUE_ALIGN:
        if (this.legacy && this.queueSel === 0 && v !== 0) this.align = v;
        break;
      case QUEUE_PFN:
        if (!this.legacy) break;
        if (v === 0) this.reset();
        else if (this.queueSel === 0) this.descPa = v * 2 ** this.pageShift;
        break;
      case QUEUE_READY:
        if (!this.legacy && this.queueSel === 0) this.writeQueueReady(v);
        break;
      case QUEUE_NOTIFY:
        if (v === 0) this.notify();
        break;
      case INTERRUPT_ACK:
        this.isr &= ~v;
        this.updateIrq();
        break;
      case STATUS:
        this.writeStatus(v & 0xff);
        break;
      default:
        if (off >= QUEUE_DESC_LOW && off <= QUEUE_DEVICE_HIGH && !this.legacy) {
          const i = this.stagedAddrIndex(off);
          if (i >= 0 && this.queueSel === 0) this.stagedAddr[i] = v;
        }
    }
  }

  /** The 32 feature bits DeviceFeaturesSel picks (legacy shows only the low word). */
  private deviceFeatures(): number {
    if (this.legacy) return this.deviceFeaturesSel === 0 ? LEGACY_FEATURES : 0;
    return this.deviceFeaturesSel === 0 ? MODERN_FEATURES_LO : MODERN_FEATURES_HI;
  }

  /** Legacy: features take effect at once. Modern: they wait for FEATURES_OK. */
  private writeDriverFeatures(v: number): void {
    if (!this.legacy) {
      this.staged[this.driverFeaturesSel] = v;
    } else if (this.driverFeaturesSel === 0 && !(this.status & STATUS_FEATURES_OK)) {
      this.featLo = (v & LEGACY_FEATURES) >>> 0;
    }
  }

  /** Status: 0 resets; FEATURES_OK (modern) fixes the features, keeping only offered bits. */
  private writeStatus(v: number): void {
    if (v === 0) return this.reset();
    if (!this.legacy && v & STATUS_FEATURES_OK && !(this.status & STATUS_FEATURES_OK)) {
      this.featLo = (this.staged[0] & MODERN_FEATURES_LO) >>> 0;
      this.featHi = (this.staged[1] & MODERN_FEATURES_HI) >>> 0;
    }
    this.status = v;
  }

  /** Modern QueueReady: 1 takes the staged size and addresses, 0 stops the queue. */
  private writeQueueReady(v: number): void {
    if (v === 0) {
      this.ready = false;
      return;
    }
    if (this.stagedNum >= 1 && this.stagedNum <= QUEUE_NUM_MAX_VALUE) this.num = this.stagedNum;
    const a = this.stagedAddr;
    this.descPa = a[1] * TWO32 + a[0];
    this.availPa = a[3] * TWO32 + a[2];
    this.usedPa = a[5] * TWO32 + a[4];
    this.ready = true;
  }

  /** Index in stagedAddr of a QueueDesc/Driver/Device Low/High register, or -1. */
  private stagedAddrIndex(off: number): number {
    const group = (off - QUEUE_DESC_LOW) >>> 4; // 0 desc, 1 driver, 2 device
    const half = (off & 0xf) >>> 2; // 0 low, 1 high; 2 and 3 are holes
    return half < 2 ? group * 2 + half : -1;
  }

  /** Device reset: everything the driver set up is forgotten (GuestPageSize and the selectors stay). */
  private reset(): void {
    this.status = 0;
    this.isr = 0;
    this.broken = false;
    this.staged.fill(0);
    this.featLo = 0;
    this.featHi = 0;
    this.wce = 1;
    this.queueSel = 0;
    this.num = QUEUE_SIZE_DEFAULT;
    this.align = 4096;
    this.ready = false;
    this.descPa = this.availPa = this.usedPa = 0;
    this.stagedNum = 0;
    this.stagedAddr.fill(0);
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
    this.signalledValid = false;
    this.updateIrq();
  }

  /** The configuration layout of struct virtio_blk_config, with QEMU's values. */
  private configBytes(): Uint8Array {
    const c = new Uint8Array(CONFIG_LEN);
    const v = new DataView(c.buffer);
    v.setUint32(0x00, this.capacity % TWO32, true); // capacity in sectors
    v.setUint32(0x04, Math.floor(this.capacity / TWO32), true);
    v.setUint32(0x0c, QUEUE_SIZE_DEFAULT - 2, true); // seg_max
    v.setUint16(0x10, Math.min(16383, Math.max(2, Math.floor(this.capacity / (16 * 63)))), true);
    c[0x12] = 16; // heads
    c[0x13] = 63; // sectors per track
    v.setUint32(0x14, SECTOR_SIZE, true); // blk_size
    c[CONFIG_WCE] = this.wce; // writeback
    v.setUint16(0x22, 1, true); // num_queues
    v.setUint32(0x24, MAX_DWZ_SECTORS, true); // max_discard_sectors
    v.setUint32(0x28, 1, true); // max_discard_seg
    v.setUint32(0x2c, 1, true); // discard_sector_alignment
    v.setUint32(0x30, MAX_DWZ_SECTORS, true); // max_write_zeroes_sectors
    v.setUint32(0x34, 1, true); // max_write_zeroes_seg
    c[0x38] = 1; // write_zeroes_may_unmap
    return c;
  }

  /** Configuration bytes, little-endian; an access reaching past the end reads all ones. */
  private readConfig(off: number, size: number): number {
    if (off + size > CONFIG_LEN) return size >= 4 ? 0xffff_ffff : 2 ** (8 * size) - 1;
    const c = this.configBytes();
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + c[off + i];
    return v;
  }

  /** Only `writeback` is writable: it turns the write cache on or off. */
  private writeConfig(off: number, size: number, value: number): void {
    if (off + size > CONFIG_LEN) return;
    if (off <= CONFIG_WCE && CONFIG_WCE < off + size) {
      this.wce = ((value >>> (8 * (CONFIG_WCE - off))) & 0xff) !== 0 ? 1 : 0;
    }
  }

  /** Drive the interrupt line from InterruptStatus (on every change, as QEMU). */
  private updateIrq(): void {
    this.irqs.setIrq(this.irq, this.isr !== 0);
  }

  /** Whether feature bit b was negotiated. */
  private has(b: number): boolean {
    return b < 32 ? ((this.featLo >>> b) & 1) !== 0 : ((this.featHi >>> (b - 32)) & 1) !== 0;
  }

  /** QueueNotify for queue 0: serve every new chain, then interrupt if the driver wants it. */
  private notify(): void {
    if (this.broken) return;
    if (this.legacy ? this.descPa === 0 : !this.ready) return;
    if (this.legacy) this.layLegacyRings();
    if (!this.ringsInRam()) return this.fail();
    const availIdx = this.read16(this.availPa + 2);
    if (((availIdx - this.lastAvail) & 0xffff) > this.num) return this.fail();
    let served = false;
    while (this.lastAvail !== availIdx) {
      const head = this.read16(this.availPa + 4 + 2 * (this.lastAvail % this.num));
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      if (this.has(RING_F_EVENT_IDX)) this.write16(this.usedPa + 4 + 8 * this.num, this.lastAvail);
      if (head >= this.num || !this.walk(head)) return this.fail();
      const len = this.serve();
      if (len < 0) return this.fail();
      this.pushUsed(head, len);
      served = true;
    }
    if (served && this.shouldInterrupt()) {
      this.isr |= 1;
      this.updateIrq();
    }
  }

  /** Legacy: the available ring follows the table; the used ring starts at the next QueueAlign. */
  private layLegacyRings(): void {
    this.availPa = this.descPa + 16 * this.num;
    const end = this.availPa + 4 + 2 * this.num;
    this.usedPa = Math.ceil(end / this.align) * this.align;
  }

  /** Whether the table and both rings (with their event fields if negotiated) lie in RAM. */
  private ringsInRam(): boolean {
    const ev = this.has(RING_F_EVENT_IDX) ? 2 : 0;
    return this.ram.contains(this.descPa, 16 * this.num) &&
      this.ram.contains(this.availPa, 4 + 2 * this.num + ev) &&
      this.ram.contains(this.usedPa, 4 + 8 * this.num + ev);
  }

  /** The driver broke the rules: stop, ask for a reset and say so with a config interrupt. */
  private fail(): void {
    this.broken = true;
    this.status |= STATUS_NEEDS_RESET;
    if (!(this.status & STATUS_DRIVER_OK)) return;
    this.isr |= 3; // QEMU's configuration-change notice sets both bits
    this.generation = (this.generation + 1) >>> 0;
    this.updateIrq();
  }

  /** Collect the chain at head into segments; false if it is malformed. */
  private walk(head: number): boolean {
    let table = this.descPa;
    let size = this.num;
    let i = head;
    if (this.read16(table + 16 * i + 12) & DESC_F_INDIRECT) {
      const addr = this.read64(table + 16 * i);
      const len = this.read32(table + 16 * i + 8);
      if (len === 0 || len % 16 !== 0 || !this.ram.contains(addr, len)) return false;
      table = addr;
      size = len / 16;
      i = 0;
    }
    this.nread = this.nwrite = 0;
    for (let count = 1;; count++) {
      if (i >= size || count > size) return false; // out of the table, or a loop
      const d = table + 16 * i;
      const flags = this.read16(d + 12);
      const len = this.read32(d + 8);
      if (flags & DESC_F_INDIRECT || len === 0) return false;
      const w = (flags & DESC_F_WRITE) !== 0;
      if (!w && this.nwrite > 0) return false; // readable after writable
      const n = this.nread + this.nwrite;
      if (n >= QUEUE_NUM_MAX_VALUE) return false;
      this.segAddr[n] = this.read64(d);
      this.segLen[n] = len;
      if (w) this.nwrite++;
      else this.nread++;
      if (!(flags & DESC_F_NEXT)) return true;
      i = this.read16(d + 14);
    }
  }

  /** Carry out the collected request; returns the used length, or -1 if the chain is unusable. */
  private serve(): number {
    const n = this.nread + this.nwrite;
    if (this.nread === 0 || this.nwrite === 0) return -1; // no header or no status byte
    let outLen = 0;
    let inLen = 0;
    let allInRam = true;
    for (let i = 0; i < n; i++) {
      if (i < this.nread) outLen += this.segLen[i];
      else inLen += this.segLen[i];
      if (!this.ram.contains(this.segAddr[i], this.segLen[i])) allInRam = false;
    }
    if (outLen < 16) return -1;
    const statusPa = this.segAddr[n - 1] + this.segLen[n - 1] - 1;
    if (!this.ram.contains(this.segAddr[n - 1], this.segLen[n - 1])) return -1;
    const st = allInRam ? this.request(outLen, inLen) : BLK_S_IOERR;
    if (st < 0) return -1;
    this.ram.bytes[statusPa - KERNBASE] = st;
    this.ram.touched(statusPa, 1);
    return inLen;
  }

  /** Decode the header and do the work; returns a status byte, or -1 for a malformed request. */
  private request(outLen: number, inLen: number): number {
    this.gather(0, this.nread, 0, this.hdr);
    const type = this.hdrView.getUint32(0, true);
    const sector = this.hdrView.getUint32(12, true) * TWO32 + this.hdrView.getUint32(8, true);
    switch ((type & ~(BLK_T_OUT | BLK_T_BARRIER)) >>> 0) {
      case BLK_T_IN:
        return (type & BLK_T_OUT)
          ? this.writeSectors(sector, outLen - 16)
          : this.readSectors(sector, inLen - 1);
      case BLK_T_FLUSH:
        return BLK_S_OK;
      case BLK_T_GET_ID:
        if (inLen > 1) this.scatter(0, new Uint8Array(1)); // the serial number: "" and its NUL
        return BLK_S_OK;
      case BLK_T_SCSI_CMD:
        return this.nread < 2 || this.nwrite < 3 ? BLK_S_IOERR : BLK_S_UNSUPP;
      case BLK_T_DISCARD & ~BLK_T_OUT:
      case BLK_T_WRITE_ZEROES & ~BLK_T_OUT:
        return this.discardOrZero(type, outLen - 16);
      default:
        return BLK_S_UNSUPP;
    }
  }

  /** Whether [sector, sector + bytes/512) is a whole number of sectors inside the disk. */
  private rangeOk(sector: number, bytes: number): boolean {
    return bytes % SECTOR_SIZE === 0 && sector <= this.capacity &&
      bytes / SECTOR_SIZE <= this.capacity - sector;
  }

  /** IN: disk to the writable buffers (all but the status byte). */
  private readSectors(sector: number, bytes: number): number {
    if (!this.rangeOk(sector, bytes)) return BLK_S_IOERR;
    const at = sector * SECTOR_SIZE;
    this.scatter(0, this.image.subarray(at, at + bytes));
    this.reads++;
    return BLK_S_OK;
  }

  /** OUT: the readable buffers after the header to the disk. */
  private writeSectors(sector: number, bytes: number): number {
    if (!this.rangeOk(sector, bytes)) return BLK_S_IOERR;
    const at = sector * SECTOR_SIZE;
    this.gather(0, this.nread, 16, this.image.subarray(at, at + bytes));
    this.writes++;
    if (bytes > 0) {
      this.dirty = true;
      this.onWrite?.(at, bytes);
    }
    return BLK_S_OK;
  }

  /** DISCARD (a no-op, as QEMU's default discard=ignore) or WRITE_ZEROES of one segment. */
  private discardOrZero(type: number, bytes: number): number {
    if (!(type & BLK_T_OUT) || bytes > 16) return BLK_S_UNSUPP;
    if (bytes < 16) return -1;
    const seg = new Uint8Array(16);
    this.gather(0, this.nread, 16, seg);
    const v = new DataView(seg.buffer);
    const sector = v.getUint32(4, true) * TWO32 + v.getUint32(0, true);
    const count = v.getUint32(8, true);
    const flags = v.getUint32(12, true);
    const zero = ((type & ~BLK_T_BARRIER) >>> 0) === BLK_T_WRITE_ZEROES;
    if (count > MAX_DWZ_SECTORS || !this.rangeOk(sector, count * SECTOR_SIZE)) return BLK_S_IOERR;
    if (flags & ~1 || (!zero && flags & 1)) return BLK_S_UNSUPP; // bit 0 is "unmap"
    if (zero && count > 0) {
      this.image.fill(0, sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE);
      this.writes++;
      this.dirty = true;
      this.onWrite?.(sector * SECTOR_SIZE, count * SECTOR_SIZE);
    }
    return BLK_S_OK;
  }

  /** Copy from readable segments [from, to), starting `skip` bytes in, to fill dst. */
  private gather(from: number, to: number, skip: number, dst: Uint8Array): void {
    let done = 0;
    for (let i = from; i < to && done < dst.length; i++) {
      const len = this.segLen[i];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = Math.min(len - skip, dst.length - done);
      const o = this.segAddr[i] + skip - KERNBASE;
      dst.set(this.ram.bytes.subarray(o, o + n), done);
      done += n;
      skip = 0;
    }
  }

  /** Copy src into the writable segments, starting `skip` bytes in (never past src's end). */
  private scatter(skip: number, src: Uint8Array): void {
    let done = 0;
    const end = this.nread + this.nwrite;
    for (let i = this.nread; i < end && done < src.length; i++) {
      const len = this.segLen[i];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = Math.min(len - skip, src.length - done);
      const pa = this.segAddr[i] + skip;
      this.ram.bytes.set(src.subarray(done, done + n), pa - KERNBASE);
      this.ram.touched(pa, n);
      done += n;
      skip = 0;
    }
  }

  /** Put (id, len) in the used ring and publish it by bumping used.idx. */
  private pushUsed(id: number, len: number): void {
    const slot = this.usedPa + 4 + 8 * (this.usedIdx % this.num);
    this.write32(slot, id);
    this.write32(slot + 4, len);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.write16(this.usedPa + 2, this.usedIdx);
  }

  /** Whether to interrupt after serving chains: QEMU's rules for NOTIFY_ON_EMPTY, EVENT_IDX and NO_INTERRUPT. */
  private shouldInterrupt(): boolean {
    if (this.has(F_NOTIFY_ON_EMPTY) && this.read16(this.availPa + 2) === this.lastAvail) {
      return true;
    }
    if (!this.has(RING_F_EVENT_IDX)) return !(this.read16(this.availPa) & AVAIL_F_NO_INTERRUPT);
    const usedEvent = this.read16(this.availPa + 4 + 2 * this.num);
    const valid = this.signalledValid;
    const old = this.signalledUsed;
    this.signalledValid = true;
    this.signalledUsed = this.usedIdx;
    return !valid || ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
  }

  /** Guest RAM accessors (little-endian; callers have checked the range). */
  private read16(pa: number): number {
    return this.ram.view.getUint16(pa - KERNBASE, true);
  }

  private read32(pa: number): number {
    return this.ram.view.getUint32(pa - KERNBASE, true);
  }

  private read64(pa: number): number {
    return this.ram.read64(pa);
  }

  private write16(pa: number, v: number): void {
    this.ram.view.setUint16(pa - KERNBASE, v, true);
    this.ram.touched(pa, 2);
  }

  private write32(pa: number, v: number): void {
    this.ram.write32(pa, v);
  }
}
