// The control and status registers of one hart, and the privileged rules around them.
//
// RISC-V has three privilege modes here: M (3, machine: the firmware's, where every
// hart starts), S (1, supervisor: the kernel's) and U (0, user). Each CSR number says
// who may touch it: bits 9..8 are the lowest mode allowed, and bits 11..10 = 3 mark
// it read-only. Touching a CSR one may not, or one that does not exist, is an illegal
// instruction. Some CSRs are views of others: sstatus is the S-visible part of
// mstatus, sie and sip are mie and mip restricted to the interrupts M delegated to S
// (mideleg).
//
// Interrupts. mip holds what is pending, mie what is enabled, one bit per source:
//   1 SSI / 3 MSI  software (sip.SSIP written by a kernel; msip by the CLINT)
//   5 STI / 7 MTI  timer (stimecmp with Sstc; mtimecmp in the CLINT)
//   9 SEI / 11 MEI external (the PLIC's S and M contexts)
// An interrupt goes to M unless mideleg delegates it to S. It is taken when pending
// and enabled and the hart runs below the target mode, or in it with that mode's
// global enable (mstatus.MIE / SIE) set. Interrupts for M go before those for S;
// among several for the same mode, the lowest number is taken first (SSI, MSI,
// STI, MTI, SEI, MEI). That is QEMU 7.2's order without the AIA extension (it
// takes the lowest set bit), not the spec's MEI, MSI, MTI, SEI, SSI, STI;
// userland/metal/irq.c checks it on both.
//
// The values live in `v` as (lo, hi) int32 pairs at index 2 * CSR number, so a
// 64-bit CSR never needs BigInt, and a translator can find them at fixed offsets.

export const PRV_U = 0, PRV_S = 1, PRV_M = 3;

export const CSR_SSTATUS = 0x100,
  CSR_SIE = 0x104,
  CSR_STVEC = 0x105,
  CSR_SCOUNTEREN = 0x106,
  CSR_SENVCFG = 0x10a,
  CSR_SSCRATCH = 0x140,
  CSR_SEPC = 0x141,
  CSR_SCAUSE = 0x142,
  CSR_STVAL = 0x143,
  CSR_SIP = 0x144,
  CSR_STIMECMP = 0x14d,
  CSR_SATP = 0x180,
  CSR_MSTATUS = 0x300,
  CSR_MISA = 0x301,
  CSR_MEDELEG = 0x302,
  CSR_MIDELEG = 0x303,
  CSR_MIE = 0x304,
  CSR_MTVEC = 0x305,
  CSR_MCOUNTEREN = 0x306,
  CSR_MENVCFG = 0x30a,
  CSR_MCOUNTINHIBIT = 0x320,
  CSR_MSCRATCH = 0x340,
  CSR_MEPC = 0x341,
  CSR_MCAUSE = 0x342,
  CSR_MTVAL = 0x343,
  CSR_MIP = 0x344,
  CSR_PMPCFG0 = 0x3a0,
  CSR_PMPADDR0 = 0x3b0,
  CSR_MSECCFG = 0x747,
  CSR_MCYCLE = 0xb00,
  CSR_MINSTRET = 0xb02,
  CSR_CYCLE = 0xc00,
  CSR_TIME = 0xc01,
  CSR_INSTRET = 0xc02,
  CSR_MVENDORID = 0xf11,
  CSR_MARCHID = 0xf12,
  CSR_MIMPID = 0xf13,
  CSR_MHARTID = 0xf14,
  CSR_MCONFIGPTR = 0xf15;

// mstatus bits (low word; UXL and SXL sit in the high word).
export const MS_SIE = 1 << 1,
  MS_MIE = 1 << 3,
  MS_SPIE = 1 << 5,
  MS_MPIE = 1 << 7,
  MS_SPP = 1 << 8,
  MS_MPP = 3 << 11,
  MS_MPRV = 1 << 17,
  MS_SUM = 1 << 18,
  MS_MXR = 1 << 19,
  MS_TVM = 1 << 20,
  MS_TW = 1 << 21,
  MS_TSR = 1 << 22;
const MSTATUS_WRITABLE = MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_MPRV |
  MS_SUM | MS_MXR | MS_TVM | MS_TW | MS_TSR;
const SSTATUS_VIEW = MS_SIE | MS_SPIE | MS_SPP | MS_SUM | MS_MXR;
/** UXL = SXL = 2 (64-bit), read-only, in mstatus bits 35..32 (high word bits 3..0). */
const MSTATUS_HI = 0xa;

// Interrupt numbers and their mip / mie bits.
export const IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11;
export const MIP_SSIP = 1 << IRQ_SSI,
  MIP_MSIP = 1 << IRQ_MSI,
  MIP_STIP = 1 << IRQ_STI,
  MIP_MTIP = 1 << IRQ_MTI,
  MIP_SEIP = 1 << IRQ_SEI,
  MIP_MEIP = 1 << IRQ_MEI;
const ALL_IRQS = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Interrupts M may delegate to S. */
const DELEGABLE_IRQS = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** Exceptions M may delegate to S: all but ecall from M (11) and the reserved 10 and 14. */
const DELEGABLE_EXC = 0xb3ff;
/** The order interrupts are taken in when several are ready. */
const IRQ_PRIORITY = [IRQ_SSI, IRQ_MSI, IRQ_STI, IRQ_MTI, IRQ_SEI, IRQ_MEI];

/** misa: MXL = 2 (RV64) and the extensions A, C, I, M, S, U. */
const MISA_LO = (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
const MISA_HI = 2 << 30;

/** menvcfg.STCE (bit 63): Sstc's stimecmp drives STIP. */
const STCE_HI = 1 << 31;
const TWO32 = 4294967296;

/** What a CSR instruction found: ok, or the access is an illegal instruction. */
export const CSR_OK = 0, CSR_ILLEGAL = 1;

/** Hooks from the CSR file into the rest of the hart. */
export interface CsrHooks {
  /** The hart's current time (mtime units). */
  now(): number;
  /** Instructions retired, and steps taken (instructions plus traps) for mcycle. */
  instret(): number;
  cycles(): number;
  /** satp, or the bits that decide how loads and stores are checked, changed. */
  translationChanged(satp: boolean): void;
  /** Something that may make an interrupt ready changed: check before the next instruction. */
  interruptsChanged(): void;
}

export class Csrs {
  /** CSR values as (lo, hi) pairs at 2 * number; views (sstatus, sie, sip, ...) are not kept. */
  readonly v: Int32Array;
  /** The current privilege mode (PRV_U, PRV_S or PRV_M). */
  priv = PRV_M;
  /** mip bits written by software (SSIP, STIP, SEIP) and wired from devices (MSIP, MEIP, SEIP). */
  mipSoft = 0;
  mipLines = 0;
  /** mtimecmp (from the CLINT) and stimecmp, as numbers for fast comparison with time. */
  mtimecmp = Infinity;
  stimecmp = Infinity;
  /** The read result of the last access: (lo, hi). */
  lo = 0;
  hi = 0;

  private readonly hooks: CsrHooks;

  /**
   * A fresh CSR file for hart `hartid`, as at reset: M-mode, everything else zero.
   * `store` holds the values (8192 words, zeroed), so translated code can find them.
   */
  constructor(hartid: number, hooks: CsrHooks, store = new Int32Array(8192)) {
    this.hooks = hooks;
    this.v = store;
    this.set(CSR_MHARTID, hartid, 0);
    this.set(CSR_MISA, MISA_LO, MISA_HI);
    this.set(CSR_MSTATUS, 0, MSTATUS_HI);
    this.stimecmp = 0; // QEMU 7.2 resets stimecmp to 0 (it counts only once STCE is set)
    this.set(CSR_STIMECMP, 0, 0);
  }

  /** Raw store of a CSR's two halves (no side effects). */
  set(n: number, lo: number, hi: number): void {
    this.v[2 * n] = lo | 0;
    this.v[2 * n + 1] = hi | 0;
  }

  /** Low half of a stored CSR. */
  getLo(n: number): number {
    return this.v[2 * n];
  }

  /** High half of a stored CSR. */
  getHi(n: number): number {
    return this.v[2 * n + 1];
  }

  // ---------------------------------------------------------------- mstatus fields

  /** mstatus low word. */
  get mstatus(): number {
    return this.v[2 * CSR_MSTATUS];
  }

  set mstatus(lo: number) {
    this.v[2 * CSR_MSTATUS] = lo;
  }

  /** Whether Sstc is on (menvcfg.STCE). */
  get stce(): boolean {
    return (this.v[2 * CSR_MENVCFG + 1] & STCE_HI) !== 0;
  }

  /** The mode whose permissions loads and stores use: MPP under MPRV in M-mode, else priv. */
  dataPriv(): number {
    const s = this.mstatus;
    if (this.priv === PRV_M && (s & MS_MPRV) !== 0) return (s >>> 11) & 3;
    return this.priv;
  }

  // ---------------------------------------------------------------- interrupts

  /** mip as software would read it now: written bits, device lines and timers. */
  mip(now: number): number {
    let p = this.mipLines | (this.mipSoft & (MIP_SSIP | MIP_SEIP));
    if (now >= this.mtimecmp) p |= MIP_MTIP;
    if (this.stce) {
      if (now >= this.stimecmp) p |= MIP_STIP;
    } else {
      p |= this.mipSoft & MIP_STIP;
    }
    return p;
  }

  /**
   * The interrupt the hart must take now (its number), or -1. `now` is the time, so
   * the timer bits are current.
   */
  pendingInterrupt(now: number): number {
    const ready = this.mip(now) & this.v[2 * CSR_MIE];
    if (ready === 0) return -1;
    const deleg = this.v[2 * CSR_MIDELEG];
    const s = this.mstatus;
    const mOn = this.priv < PRV_M || (s & MS_MIE) !== 0;
    const sOn = this.priv < PRV_S || (this.priv === PRV_S && (s & MS_SIE) !== 0);
    const toM = mOn ? ready & ~deleg : 0;
    const toS = sOn ? ready & deleg : 0;
    const take = toM !== 0 ? toM : toS;
    if (take === 0) return -1;
    for (const irq of IRQ_PRIORITY) if ((take & (1 << irq)) !== 0) return irq;
    return -1;
  }

  /** Would WFI wake: is any interrupt pending and enabled in mie (global enables aside)? */
  wakeable(now: number): boolean {
    return (this.mip(now) & this.v[2 * CSR_MIE]) !== 0;
  }

  /** The earliest future time at which a timer makes an interrupt pending (Infinity if none). */
  nextTimerEvent(now: number): number {
    let t = Infinity;
    if (this.mtimecmp > now) t = this.mtimecmp;
    if (this.stce && this.stimecmp > now && this.stimecmp < t) t = this.stimecmp;
    return t;
  }

  // ---------------------------------------------------------------- CSR instructions

  /** May the current mode access CSR n at all (and write it, if `write`)? */
  private allowed(n: number, write: boolean): boolean {
    if (((n >>> 8) & 3) > this.priv) return false;
    if (write && (n >>> 10) === 3) return false;
    return true;
  }

  /** Is counter `bit` (0 cycle, 1 time, 2 instret) readable from the current mode? */
  private counterOn(bit: number): boolean {
    if (this.priv === PRV_M) return true;
    if (((this.v[2 * CSR_MCOUNTEREN] >>> bit) & 1) === 0) return false;
    if (this.priv === PRV_U && ((this.v[2 * CSR_SCOUNTEREN] >>> bit) & 1) === 0) return false;
    return true;
  }

  /** Read CSR n into this.lo / this.hi; CSR_OK or CSR_ILLEGAL. */
  read(n: number): number {
    if (!this.allowed(n, false)) return CSR_ILLEGAL;
    return this.readValue(n, false);
  }

  /** The value of CSR n (privilege already checked; `host` skips the mode-dependent rules). */
  private readValue(n: number, host: boolean): number {
    const v = this.v;
    let lo = v[2 * n], hi = v[2 * n + 1];
    switch (n) {
      case CSR_SSTATUS:
        lo = this.mstatus & SSTATUS_VIEW;
        hi = MSTATUS_HI & 0x3; // UXL only
        break;
      case CSR_SIE:
        lo = v[2 * CSR_MIE] & v[2 * CSR_MIDELEG];
        hi = 0;
        break;
      case CSR_SIP:
        lo = this.mip(this.hooks.now()) & v[2 * CSR_MIDELEG];
        hi = 0;
        break;
      case CSR_MIP:
        lo = this.mip(this.hooks.now());
        hi = 0;
        break;
      case CSR_STIMECMP:
        // S needs both menvcfg.STCE and mcounteren.TM (Sstc; QEMU 7.2 checks both).
        if (
          !host && this.priv === PRV_S &&
          (!this.stce || (this.v[2 * CSR_MCOUNTEREN] & 2) === 0)
        ) return CSR_ILLEGAL;
        break;
      case CSR_SATP:
        if (!host && this.priv === PRV_S && (this.mstatus & MS_TVM) !== 0) return CSR_ILLEGAL;
        break;
      case CSR_CYCLE:
      case CSR_TIME:
      case CSR_INSTRET: {
        if (!host && !this.counterOn(n - CSR_CYCLE)) return CSR_ILLEGAL;
        const t = n === CSR_TIME
          ? this.hooks.now()
          : n === CSR_CYCLE
          ? this.hooks.cycles()
          : this.hooks.instret();
        lo = t | 0;
        hi = Math.floor(t / TWO32) | 0;
        break;
      }
      case CSR_MCYCLE:
      case CSR_MINSTRET: {
        const t = n === CSR_MCYCLE ? this.hooks.cycles() : this.hooks.instret();
        lo = t | 0;
        hi = Math.floor(t / TWO32) | 0;
        break;
      }
      default:
        if (!exists(n)) return CSR_ILLEGAL;
    }
    this.lo = lo;
    this.hi = hi;
    return CSR_OK;
  }

  /** Write CSR n = (lo, hi) from a CSR instruction; CSR_OK or CSR_ILLEGAL. */
  write(n: number, lo: number, hi: number): number {
    if (!this.allowed(n, true)) return CSR_ILLEGAL;
    if (this.readValue(n, false) !== CSR_OK) return CSR_ILLEGAL; // also checks it exists
    this.writeValue(n, lo | 0, hi | 0);
    return CSR_OK;
  }

  /** Store a written value with each CSR's WARL rules and side effects. */
  private writeValue(n: number, lo: number, hi: number): void {
    const v = this.v;
    const hooks = this.hooks;
    switch (n) {
      case CSR_MSTATUS:
      case CSR_SSTATUS: {
        const mask = n === CSR_MSTATUS ? MSTATUS_WRITABLE : SSTATUS_VIEW;
        let s = (this.mstatus & ~mask) | (lo & mask);
        if (((s >>> 11) & 3) === 2) s = (s & ~MS_MPP) | (this.mstatus & MS_MPP); // MPP=2 reserved
        const old = this.mstatus;
        this.mstatus = s;
        v[2 * CSR_MSTATUS + 1] = MSTATUS_HI;
        if (((old ^ s) & (MS_MPRV | MS_MPP | MS_SUM | MS_MXR)) !== 0) {
          hooks.translationChanged(false);
        }
        hooks.interruptsChanged();
        return;
      }
      case CSR_MISA:
      case CSR_MHARTID:
        return; // read-only here (misa is WARL: writes are ignored)
      case CSR_MEDELEG:
        this.set(n, lo & DELEGABLE_EXC, 0);
        return;
      case CSR_MIDELEG:
        this.set(n, lo & DELEGABLE_IRQS, 0);
        hooks.interruptsChanged();
        return;
      case CSR_MIE:
        this.set(n, lo & ALL_IRQS, 0);
        hooks.interruptsChanged();
        return;
      case CSR_SIE: {
        const d = v[2 * CSR_MIDELEG];
        this.set(CSR_MIE, (v[2 * CSR_MIE] & ~d) | (lo & d), 0);
        hooks.interruptsChanged();
        return;
      }
      case CSR_MIP: {
        const m = MIP_SSIP | MIP_SEIP | (this.stce ? 0 : MIP_STIP);
        this.mipSoft = (this.mipSoft & ~m) | (lo & m);
        hooks.interruptsChanged();
        return;
      }
      case CSR_SIP: {
        const m = MIP_SSIP & v[2 * CSR_MIDELEG];
        this.mipSoft = (this.mipSoft & ~m) | (lo & m);
        hooks.interruptsChanged();
        return;
      }
      case CSR_MTVEC:
      case CSR_STVEC:
        if ((lo & 3) >= 2) return; // reserved modes: keep the old value, as QEMU does
        this.set(n, lo & ~2, hi);
        return;
      case CSR_MEPC:
      case CSR_SEPC:
        this.set(n, lo & ~1, hi);
        return;
      case CSR_MCOUNTEREN:
      case CSR_SCOUNTEREN:
        this.set(n, lo, 0);
        return;
      case CSR_MENVCFG:
        this.set(n, lo & 1, hi & STCE_HI); // FIOM and STCE
        hooks.interruptsChanged();
        return;
      case CSR_SENVCFG:
        this.set(n, lo & 1, 0);
        return;
      case CSR_STIMECMP:
        this.set(n, lo, hi);
        this.stimecmp = (hi >>> 0) * TWO32 + (lo >>> 0);
        hooks.interruptsChanged();
        return;
      case CSR_SATP: {
        const mode = hi >>> 28;
        if (mode !== 0 && mode !== 8) return; // unsupported modes leave satp unchanged
        this.set(n, lo, hi); // MODE (4 bits), ASID (16, all kept), PPN (44)
        hooks.translationChanged(true);
        return;
      }
      case CSR_MCYCLE:
      case CSR_MINSTRET:
      case CSR_MCOUNTINHIBIT:
        return; // counters follow the hart's own counts
      default:
        if (n >= CSR_PMPADDR0 && n < CSR_PMPADDR0 + 64) {
          this.set(n, lo, hi & 0x003fffff); // 54 bits
          return;
        }
        this.set(n, lo, hi);
    }
  }

  // ---------------------------------------------------------------- the built-in kernel's view

  /** Write a CSR from the host (the built-in kernel, a debugger): no privilege checks. */
  hostWrite(n: number, lo: number, hi: number): void {
    this.writeValue(n, lo | 0, hi | 0);
  }

  /** Read a CSR from the host into this.lo / this.hi; false if it does not exist. */
  hostRead(n: number): boolean {
    return this.readValue(n, true) === CSR_OK;
  }
}

/** Whether CSR n exists on this hart (the ones with special rules are handled by the caller). */
function exists(n: number): boolean {
  switch (n) {
    case CSR_SCOUNTEREN:
    case CSR_SENVCFG:
    case CSR_STVEC:
    case CSR_SSCRATCH:
    case CSR_SEPC:
    case CSR_SCAUSE:
    case CSR_STVAL:
    case CSR_MSTATUS:
    case CSR_MISA:
    case CSR_MEDELEG:
    case CSR_MIDELEG:
    case CSR_MIE:
    case CSR_MTVEC:
    case CSR_MCOUNTEREN:
    case CSR_MENVCFG:
    case CSR_MCOUNTINHIBIT:
    case CSR_MSCRATCH:
    case CSR_MEPC:
    case CSR_MCAUSE:
    case CSR_MTVAL:
    case CSR_MSECCFG:
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MHARTID:
    case CSR_MCONFIGPTR:
      return true;
  }
  if (n >= CSR_PMPCFG0 && n < CSR_PMPCFG0 + 16) return (n & 1) === 0; // RV64: even ones only
  if (n >= CSR_PMPADDR0 && n < CSR_PMPADDR0 + 64) return true;
  if (n >= 0xb03 && n <= 0xb1f) return true; // mhpmcounter3..31 (read as zero)
  if (n >= 0x323 && n <= 0x33f) return true; // mhpmevent3..31
  return false;
}
