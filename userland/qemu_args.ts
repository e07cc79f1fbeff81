// The command line of `xv6lazy qemu`: the options xv6's Makefiles (2019-2025) pass to
// qemu-system-riscv64, read the way QEMU reads them, into one typed configuration.
//
// As in QEMU: -opt and --opt are the same; an option's argument is the next word;
// every option name is checked before any is acted on (so `-version -foo` is an
// error), then options take effect in order, and -help / -version end the parse where
// they stand. Sizes, -smp and the key=value lists of -drive and -device follow QEMU's
// syntax (",," is a literal comma). Errors are QemuArgError: one line naming the option.

/** The virtio-blk disk: its image file and the virtio-mmio transport it sits on. */
export interface QemuDisk {
  /** The raw image file (-drive file=...). */
  file: string;
  /** virtio-mmio-bus.N: transport N is at 0x10001000 + N * 0x1000, IRQ 1 + N. */
  bus: number;
}

/** A machine to boot, as the options describe it. */
export interface QemuConfig {
  /** -kernel: the ELF to load; the harts start at its entry in M-mode (-bios none). */
  kernel: string;
  /** -m: RAM size in bytes (default 128 MiB), at 0x80000000. */
  memBytes: number;
  /** -smp: number of harts (default 1, as QEMU). */
  cpus: number;
  /** -global virtio-mmio.force-legacy: virtio-mmio version 1 layout (QEMU's default) or 2. */
  legacyVirtio: boolean;
  /** The disk of -device virtio-blk-device, or null for none. */
  disk: QemuDisk | null;
  /** -snapshot (or snapshot=on on the drive): the guest's disk writes never reach the file. */
  snapshot: boolean;
  /** -gdb tcp::PORT or -s: the gdb stub's port on 127.0.0.1, or null for no stub. */
  gdbPort: number | null;
  /** -S: the harts wait for gdb (or forever) before their first instruction. */
  waitForGdb: boolean;
  /** -nographic: the console is the terminal (with Ctrl-A escapes); else no display at all. */
  nographic: boolean;
}

/** What the command line asks for. */
export type QemuCommand =
  | { kind: "run"; config: QemuConfig }
  | { kind: "help" }
  | { kind: "version" };

/** A bad command line: the message names the option, as QEMU's do ("-foo: invalid option"). */
export class QemuArgError extends Error {}

/** QEMU virt's default RAM size. */
export const DEFAULT_MEM = 128 * 1024 * 1024;
/** QEMU virt's limit on harts. */
export const MAX_CPUS = 512;
/** Port of -s. */
export const DEFAULT_GDB_PORT = 1234;

/** A drive defined by -drive, waiting for a -device to use it. */
interface Drive {
  file: string;
  snapshot: boolean;
}

/** The parse in progress. */
interface State {
  config: QemuConfig;
  kernel: string | null;
  drives: Map<string, Drive>;
  diskDrive: string | null;
  gdbGiven: boolean;
}

type Handler = (st: State, value: string, opt: string) => QemuCommand | void;

/** The options understood, by name without dashes; arg says whether one follows. */
const OPTIONS: Record<string, { arg: boolean; handle: Handler }> = {
  help: { arg: false, handle: () => ({ kind: "help" }) },
  h: { arg: false, handle: () => ({ kind: "help" }) },
  version: { arg: false, handle: () => ({ kind: "version" }) },
  machine: { arg: true, handle: (_st, v, o) => checkMachine(v, o) },
  M: { arg: true, handle: (_st, v, o) => checkMachine(v, o) },
  bios: { arg: true, handle: (_st, v, o) => checkBios(v, o) },
  kernel: { arg: true, handle: (st, v, o) => setKernel(st, v, o) },
  m: { arg: true, handle: (st, v, o) => void (st.config.memBytes = parseMemory(v, o)) },
  smp: { arg: true, handle: (st, v, o) => void (st.config.cpus = parseSmp(v, o)) },
  nographic: { arg: false, handle: (st) => void (st.config.nographic = true) },
  global: { arg: true, handle: (st, v, o) => applyGlobal(st, v, o) },
  drive: { arg: true, handle: (st, v, o) => addDrive(st, v, o) },
  device: { arg: true, handle: (st, v, o) => addDevice(st, v, o) },
  snapshot: { arg: false, handle: (st) => void (st.config.snapshot = true) },
  S: { arg: false, handle: (st) => void (st.config.waitForGdb = true) },
  gdb: { arg: true, handle: (st, v, o) => setGdb(st, v, o) },
  s: { arg: false, handle: (st) => setGdb(st, `tcp::${DEFAULT_GDB_PORT}`, "-s") },
};

/** Words for QEMU options xv6lazy knows it lacks (the net lab's network card). */
const LACKING: Record<string, string> = {
  netdev: "xv6lazy has no network device",
  nic: "xv6lazy has no network device",
  object: "not supported by xv6lazy",
};

/** Parse `xv6lazy qemu`'s arguments (without the word `qemu`). */
export function parseQemuArgs(args: readonly string[]): QemuCommand {
  const steps = checkNames(args);
  const st: State = {
    config: {
      kernel: "",
      memBytes: DEFAULT_MEM,
      cpus: 1,
      legacyVirtio: true,
      disk: null,
      snapshot: false,
      gdbPort: null,
      waitForGdb: false,
      nographic: false,
    },
    kernel: null,
    drives: new Map(),
    diskDrive: null,
    gdbGiven: false,
  };
  for (const { name, opt, value } of steps) {
    const done = OPTIONS[name].handle(st, value, opt);
    if (done) return done;
  }
  return { kind: "run", config: finish(st) };
}

/** First pass, as QEMU's: every word is a known option with its argument present. */
function checkNames(args: readonly string[]): { name: string; opt: string; value: string }[] {
  const steps = [];
  for (let i = 0; i < args.length; i++) {
    const opt = args[i];
    if (!opt.startsWith("-")) {
      throw new QemuArgError(`${opt}: a disk image without -drive is not supported`);
    }
    const name = opt.startsWith("--") ? opt.slice(2) : opt.slice(1);
    const known = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
    if (known === undefined) {
      const why = Object.hasOwn(LACKING, name) ? ` (${LACKING[name]})` : "";
      throw new QemuArgError(`${opt}: invalid option${why}`);
    }
    let value = "";
    if (known.arg) {
      if (i + 1 >= args.length) throw new QemuArgError(`${opt}: requires an argument`);
      value = args[++i];
    }
    steps.push({ name, opt, value });
  }
  return steps;
}

/** After all options: the kernel is required, and the disk device must name a drive. */
function finish(st: State): QemuConfig {
  if (st.kernel === null) {
    throw new QemuArgError("no -kernel FILE given (xv6lazy has no firmware to boot)");
  }
  st.config.kernel = st.kernel;
  if (st.config.disk !== null && st.diskDrive !== null) {
    const drive = st.drives.get(st.diskDrive)!;
    st.config.disk.file = drive.file;
    if (drive.snapshot) st.config.snapshot = true;
  }
  return st.config;
}

/** -machine virt (or type=virt): the only board there is. */
function checkMachine(v: string, opt: string): void {
  const kv = parseKeyValues(v, `${opt} ${v}`, "type");
  for (const [k, val] of kv) {
    if (k !== "type") {
      throw new QemuArgError(`${opt} ${v}: machine property '${k}' is not supported`);
    }
    if (val !== "virt") {
      throw new QemuArgError(`${opt} ${v}: xv6lazy provides only the virt machine`);
    }
  }
}

/** -bios none: there is no firmware; the kernel runs from reset in M-mode. */
function checkBios(v: string, opt: string): void {
  if (v !== "none") {
    throw new QemuArgError(`${opt} ${v}: xv6lazy has no firmware; use -bios none`);
  }
}

/** -kernel FILE. */
function setKernel(st: State, v: string, opt: string): void {
  if (v === "") throw new QemuArgError(`${opt}: needs a file name`);
  st.kernel = v;
}

/** Multipliers of QEMU's size suffixes. */
const SUFFIX: Record<string, number> = {
  b: 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** -m [size=]N[suffix]: MiB without a suffix; 0 means the default; rounded up to 8 KiB. */
export function parseMemory(v: string, opt = "-m"): number {
  const kv = parseKeyValues(v, `${opt} ${v}`, "size");
  const size = kv.get("size");
  if (kv.size !== 1 || size === undefined) {
    throw new QemuArgError(`${opt} ${v}: only a size is supported (like 128M or 1G)`);
  }
  const m = /^(0x[0-9a-f]+|\d+(?:\.\d+)?)([bkmgt]?)$/i.exec(size);
  if (m === null) throw new QemuArgError(`${opt} ${v}: not a size (like 128M, 1G or 128)`);
  const bytes = Number(m[1]) * SUFFIX[(m[2] || "m").toLowerCase()];
  if (!Number.isSafeInteger(Math.ceil(bytes))) {
    throw new QemuArgError(`${opt} ${v}: too large`);
  }
  if (bytes === 0) return DEFAULT_MEM;
  return Math.ceil(bytes / 8192) * 8192;
}

/** -smp N or cpus=N (with sockets/cores/threads... multiplied out if cpus is absent). */
export function parseSmp(v: string, opt = "-smp"): number {
  const kv = parseKeyValues(v, `${opt} ${v}`, "cpus");
  const topo = ["sockets", "dies", "clusters", "cores", "threads"];
  let product = 1;
  for (const [k, val] of kv) {
    if (k !== "cpus" && k !== "maxcpus" && !topo.includes(k)) {
      throw new QemuArgError(`${opt} ${v}: unknown parameter '${k}'`);
    }
    if (!/^\d+$/.test(val)) throw new QemuArgError(`${opt} ${v}: ${k} must be a number`);
    if (topo.includes(k)) product *= Number(val);
  }
  const cpus = kv.has("cpus") ? Number(kv.get("cpus")) : product;
  if (cpus < 1 || cpus > MAX_CPUS) {
    throw new QemuArgError(`${opt} ${v}: the number of harts must be 1 to ${MAX_CPUS}`);
  }
  return cpus;
}

/** QEMU's spellings of a boolean property. */
function parseBool(v: string): boolean | null {
  if (v === "on" || v === "yes" || v === "true") return true;
  if (v === "off" || v === "no" || v === "false") return false;
  return null;
}

/** -global virtio-mmio.force-legacy=B (or driver=virtio-mmio,property=force-legacy,value=B). */
function applyGlobal(st: State, v: string, opt: string): void {
  let driver, prop, value;
  const short = /^([^.=,]+)\.([^=]+)=(.*)$/.exec(v);
  if (short !== null) [, driver, prop, value] = short;
  else {
    const kv = parseKeyValues(v, `${opt} ${v}`);
    [driver, prop, value] = [kv.get("driver"), kv.get("property"), kv.get("value")];
  }
  if (driver !== "virtio-mmio" || prop !== "force-legacy" || value === undefined) {
    throw new QemuArgError(`${opt} ${v}: only virtio-mmio.force-legacy is supported`);
  }
  const b = parseBool(value);
  if (b === null) throw new QemuArgError(`${opt} ${v}: force-legacy takes on or off`);
  st.config.legacyVirtio = b;
}

/** -drive file=F,if=none,format=raw,id=ID[,snapshot=on|off]: a disk image for a -device. */
function addDrive(st: State, v: string, opt: string): void {
  const where = `${opt} ${v}`;
  const kv = parseKeyValues(v, where, "file");
  const drive: Drive = { file: kv.get("file") ?? "", snapshot: false };
  for (const [k, val] of kv) {
    if (k === "if" && val !== "none") {
      throw new QemuArgError(`${where}: only if=none is supported (attach it with -device)`);
    }
    if (k === "format" && val !== "raw") {
      throw new QemuArgError(`${where}: only raw disk images are supported`);
    }
    if (k === "snapshot") {
      const b = parseBool(val);
      if (b === null) throw new QemuArgError(`${where}: snapshot takes on or off`);
      drive.snapshot = b;
    }
    if (!["file", "if", "format", "id", "snapshot"].includes(k)) {
      throw new QemuArgError(`${where}: parameter '${k}' is not supported`);
    }
  }
  const id = kv.get("id");
  if (drive.file === "") throw new QemuArgError(`${where}: needs file=IMAGE`);
  if (id === undefined || id === "") throw new QemuArgError(`${where}: needs id=NAME`);
  if (st.drives.has(id)) throw new QemuArgError(`${where}: duplicate drive id '${id}'`);
  st.drives.set(id, drive);
}

/** -device virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N]: the disk. */
function addDevice(st: State, v: string, opt: string): void {
  const where = `${opt} ${v}`;
  const kv = parseKeyValues(v, where, "driver");
  const driver = kv.get("driver");
  if (driver !== "virtio-blk-device") {
    throw new QemuArgError(`${where}: device '${driver}' is not supported by xv6lazy`);
  }
  for (const k of kv.keys()) {
    if (!["driver", "drive", "bus"].includes(k)) {
      throw new QemuArgError(`${where}: property '${k}' is not supported`);
    }
  }
  const id = kv.get("drive");
  if (id === undefined) throw new QemuArgError(`${where}: drive property not set`);
  if (!st.drives.has(id)) throw new QemuArgError(`${where}: no -drive with id '${id}'`);
  if (st.config.disk !== null) throw new QemuArgError(`${where}: xv6lazy provides one disk`);
  const bus = kv.get("bus");
  const m = bus === undefined ? null : /^virtio-mmio-bus\.([0-7])$/.exec(bus);
  if (bus !== undefined && m === null) {
    throw new QemuArgError(`${where}: bus must be virtio-mmio-bus.0 to virtio-mmio-bus.7`);
  }
  // Without bus=, QEMU 7.2 puts the device on the last free transport, virtio-mmio-bus.7.
  st.config.disk = { file: "", bus: m === null ? 7 : Number(m[1]) };
  st.diskDrive = id;
}

/** -gdb tcp:[HOST]:PORT (HOST empty, localhost or 127.0.0.1), or -gdb none; -s is tcp::1234. */
function setGdb(st: State, v: string, opt: string): void {
  const where = opt === "-s" ? opt : `${opt} ${v}`;
  if (st.gdbGiven) throw new QemuArgError(`${where}: only one gdb connection can be set up`);
  st.gdbGiven = true;
  if (v === "none") return;
  const [dev, ...flags] = v.split(",");
  const m = /^tcp:([^:]*):(\d{1,5})$/.exec(dev);
  if (m === null) throw new QemuArgError(`${where}: use tcp::PORT`);
  if (m[1] !== "" && m[1] !== "localhost" && m[1] !== "127.0.0.1") {
    throw new QemuArgError(`${where}: the gdb stub listens on 127.0.0.1 only; use tcp::PORT`);
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new QemuArgError(`${where}: port must be 1 to 65535`);
  for (const f of flags) {
    if (!["server", "server=on", "nowait", "wait=off", "ipv4", "ipv4=on"].includes(f)) {
      throw new QemuArgError(`${where}: option '${f}' is not supported`);
    }
  }
  st.config.gdbPort = port;
}

/**
 * QEMU's key=value,key=value list; ",," is a comma inside a value. A first item with no
 * '=' is the value of `implied` (as `virt` in -machine virt). Later duplicates win.
 */
export function parseKeyValues(v: string, where: string, implied?: string): Map<string, string> {
  const items: string[] = [""];
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== ",") items[items.length - 1] += v[i];
    else if (v[i + 1] === ",") items[items.length - 1] += v[i++];
    else items.push("");
  }
  const kv = new Map<string, string>();
  items.forEach((item, i) => {
    const eq = item.indexOf("=");
    if (eq > 0) kv.set(item.slice(0, eq), item.slice(eq + 1));
    else if (i === 0 && implied !== undefined && item !== "") kv.set(implied, item);
    else throw new QemuArgError(`${where}: '${item}' is not key=value`);
  });
  return kv;
}
