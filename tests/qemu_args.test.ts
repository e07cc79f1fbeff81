// `xv6lazy qemu`'s option parser against the exact QEMUOPTS lines of xv6's Makefiles,
// 2019-2025, and QEMU's behaviour on bad input (one line naming the option, exit 1).
//
// The command lines below are facts read from the Makefiles (make variables expanded:
// $K = kernel, $(CPUS) = 3 unless the lab sets it, $(GDBPORT) = uid % 5000 + 25000,
// here 26000). Where they came from:
//   xv6-riscv (github mit-pdos/xv6-riscv) Makefile at
//     4adf016 2019-06-13  -m 3G, no -bios
//     b150908 2019-09-14  "add `-bios none' to silence qemu", still -m 3G
//     d441674 2019-09-30  -m 128M ("Make QEMU memory size match PHYSTOP"); fall 2019 labs
//     82981fa 2020-07-17  the same options, three lines ("drop QEMUEXTRA"); labs 2020, 2021
//     cd00a82 2021-10-17  + -global virtio-mmio.force-legacy=false; unchanged to 2022-08
//   labs 2024 (a student copy, zuolingxu/xv6-labs-2024 0b26cb2) and labs 2025
//     (Jambity11/xv6-labs-2025, branches riscv 9dbd536 and util 9bd4175): the cd00a82
//     options; LAB=fs sets CPUS := 1 and (2025) LAB=lock CPUS := 4; LAB=net adds -netdev,
//     -object and -device e1000; 2025 also runs `$(QEMU) --version` and wants >= 7.2.
//   qemu-gdb (all years): $(QEMU) $(QEMUOPTS) -S $(QEMUGDB), where QEMUGDB is
//     "-gdb tcp::$(GDBPORT)" if `$(QEMU) -help | grep -q '^-gdb'`, else "-s -p $(GDBPORT)".

import { assert, assertEquals, assertMatch, assertThrows } from "./deps.ts";
import { join } from "../machine/deps.ts";
import {
  DEFAULT_MEM,
  parseKeyValues,
  parseMemory,
  parseQemuArgs,
  parseSmp,
  QemuArgError,
  type QemuConfig,
} from "../userland/qemu_args.ts";

const MIB = 1024 * 1024;

/** A Makefile command line split into words, as the shell does (these lines have no quotes). */
function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** The configuration a command line gives, failing if it is not a run. */
function config(line: string): QemuConfig {
  const cmd = parseQemuArgs(words(line));
  if (cmd.kind !== "run") throw new Error(`expected a run, got ${cmd.kind}`);
  return cmd.config;
}

/** What most xv6 Makefiles describe: a 3-hart virt board with fs.img on virtio-mmio-bus.0. */
function xv6(over: Partial<QemuConfig>): QemuConfig {
  return {
    kernel: "kernel/kernel",
    memBytes: 128 * MIB,
    cpus: 3,
    legacyVirtio: true,
    disk: { file: "fs.img", bus: 0 },
    snapshot: false,
    gdbPort: null,
    waitForGdb: false,
    nographic: true,
    ...over,
  };
}

const DISK = "-drive file=fs.img,if=none,format=raw,id=x0 " +
  "-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0";

Deno.test("xv6-riscv 2019-06 (4adf016): -m 3G and no -bios", () => {
  assertEquals(
    config(`-machine virt -kernel kernel/kernel -m 3G -smp 3 -nographic ${DISK}`),
    xv6({ memBytes: 3 * 1024 * MIB }),
  );
});

Deno.test("xv6-riscv 2019-09-14 (b150908): -bios none, still -m 3G", () => {
  assertEquals(
    config(`-machine virt -bios none -kernel kernel/kernel -m 3G -smp 3 -nographic ${DISK}`),
    xv6({ memBytes: 3 * 1024 * MIB }),
  );
});

Deno.test("xv6-riscv 2019-09-30 to 2021 (d441674, 82981fa; labs 2019-2021): -m 128M, legacy virtio", () => {
  const line = "-machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic " +
    "-drive file=fs.img,if=none,format=raw,id=x0 " +
    "-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0";
  assertEquals(config(line), xv6({}));
});

Deno.test("xv6-riscv 2021-10 on (cd00a82) and labs 2022-2025: force-legacy=false, modern virtio", () => {
  const line = "-machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic " +
    "-global virtio-mmio.force-legacy=false " +
    "-drive file=fs.img,if=none,format=raw,id=x0 " +
    "-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0";
  assertEquals(config(line), xv6({ legacyVirtio: false }));
  // LAB=fs (CPUS := 1) and, in 2025, LAB=lock (CPUS := 4)
  assertEquals(config(line.replace("-smp 3", "-smp 1")).cpus, 1);
  assertEquals(config(line.replace("-smp 3", "-smp 4")).cpus, 4);
});

Deno.test("make qemu-gdb: QEMUOPTS then -S -gdb tcp::GDBPORT", () => {
  const line = "-machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic " +
    `-global virtio-mmio.force-legacy=false ${DISK} -S -gdb tcp::26000`;
  assertEquals(config(line), xv6({ legacyVirtio: false, waitForGdb: true, gdbPort: 26000 }));
  // root's port (uid 0) and the 2019 form
  assertEquals(
    config(`-machine virt -kernel kernel/kernel -m 3G -smp 3 -nographic ${DISK} -S -gdb tcp::25000`)
      .gdbPort,
    25000,
  );
});

Deno.test("the Makefiles' fallback when -help has no -gdb line (-s -p PORT) is refused, as by QEMU 7.2", () => {
  assertThrows(
    () => parseQemuArgs(words(`-kernel kernel/kernel -S -s -p 26000`)),
    (e: Error) => e instanceof QemuArgError && e.message === "-p: invalid option",
  );
});

Deno.test("the net lab's options (2020-2025) are refused, naming -netdev", () => {
  const line = "-machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic " +
    `-global virtio-mmio.force-legacy=false ${DISK} ` +
    "-netdev user,id=net0,hostfwd=udp::25999-:2000,hostfwd=udp::30999-:2001 " +
    "-object filter-dump,id=net0,netdev=net0,file=packets.pcap " +
    "-device e1000,netdev=net0,bus=pcie.0";
  assertThrows(
    () => parseQemuArgs(words(line)),
    (e: Error) => e instanceof QemuArgError && e.message.startsWith("-netdev: invalid option"),
  );
});

Deno.test("-help, -h and -version (single or double dash) end the parse where they stand", () => {
  for (const h of ["-help", "--help", "-h"]) assertEquals(parseQemuArgs([h]), { kind: "help" });
  for (const v of ["-version", "--version"]) assertEquals(parseQemuArgs([v]), { kind: "version" });
  // as QEMU: later option values are not looked at, earlier ones are
  assertEquals(parseQemuArgs(words("-m 64M -version -m 12Q")), { kind: "version" });
  assertThrows(() => parseQemuArgs(words("-m 12Q -version")), QemuArgError);
  // but every option name is checked first
  assertThrows(
    () => parseQemuArgs(words("-version -foo")),
    (e: Error) => e instanceof QemuArgError && e.message === "-foo: invalid option",
  );
});

Deno.test("--option is -option; defaults are QEMU's (1 hart, 128 MiB, legacy virtio, no disk)", () => {
  assertEquals(config("--machine virt --bios none --kernel k --nographic"), {
    kernel: "k",
    memBytes: DEFAULT_MEM,
    cpus: 1,
    legacyVirtio: true,
    disk: null,
    snapshot: false,
    gdbPort: null,
    waitForGdb: false,
    nographic: true,
  });
  assertEquals(config("-M virt -kernel k").nographic, false);
  assertEquals(config("-machine type=virt -kernel k").kernel, "k");
});

Deno.test("-m sizes as QEMU reads them", () => {
  const cases: [string, number][] = [
    ["128M", 128 * MIB],
    ["128", 128 * MIB], // no suffix: MiB
    ["1G", 1024 * MIB],
    ["1g", 1024 * MIB],
    ["3G", 3 * 1024 * MIB],
    ["1.5G", 1536 * MIB],
    ["524288k", 512 * MIB],
    ["size=64M", 64 * MIB],
    ["0x100", 256 * MIB],
    ["0", DEFAULT_MEM], // QEMU: the default
    ["1k", 8192], // QEMU rounds up to 8 KiB
  ];
  for (const [v, want] of cases) assertEquals(parseMemory(v), want, v);
  for (const bad of ["12Q", "", "M", "-1", "64M,slots=2", "1e3", "99999999999999999999T"]) {
    assertThrows(() => parseMemory(bad), QemuArgError, bad);
  }
});

Deno.test("-smp N, cpus=N and topologies", () => {
  const cases: [string, number][] = [
    ["3", 3],
    ["cpus=4", 4],
    ["2,maxcpus=4", 2],
    ["cpus=2,sockets=1", 2],
    ["sockets=2", 2],
    ["sockets=2,cores=2,threads=2", 8],
    ["512", 512],
  ];
  for (const [v, want] of cases) assertEquals(parseSmp(v), want, v);
  for (const bad of ["x", "0", "513", "", "3,bogus=1", "cpus=", "-1"]) {
    assertThrows(() => parseSmp(bad), QemuArgError, bad);
  }
});

Deno.test("-global force-legacy takes QEMU's on/off/yes/no/true/false, long form too", () => {
  for (
    const [v, b] of [["on", true], ["yes", true], ["true", true], ["off", false], ["no", false], [
      "false",
      false,
    ]] as const
  ) {
    assertEquals(config(`-kernel k -global virtio-mmio.force-legacy=${v}`).legacyVirtio, b, v);
  }
  assertEquals(
    config("-kernel k -global driver=virtio-mmio,property=force-legacy,value=false").legacyVirtio,
    false,
  );
  for (
    const bad of [
      "virtio-mmio.force-legacy=1",
      "virtio-mmio.force-legacy=TRUE",
      "virtio-mmio.nosuch=false",
      "foo",
    ]
  ) {
    assertThrows(() => config(`-kernel k -global ${bad}`), QemuArgError, bad);
  }
});

Deno.test("-drive and -device: the bus, snapshot, ',,' in names, and the mistakes QEMU also refuses", () => {
  assertEquals(
    config(
      "-kernel k -drive file=a,,b.img,if=none,format=raw,id=d -device virtio-blk-device,drive=d",
    ).disk,
    { file: "a,b.img", bus: 7 }, // QEMU 7.2 puts a device without bus= on virtio-mmio-bus.7
  );
  assertEquals(
    config(
      "-kernel k -drive file=f,if=none,id=d -device virtio-blk-device,drive=d,bus=virtio-mmio-bus.3",
    )
      .disk,
    { file: "f", bus: 3 },
  );
  assertEquals(config(`-kernel k ${DISK} -snapshot`).snapshot, true);
  assertEquals(
    config("-kernel k -drive file=f,if=none,id=d,snapshot=on -device virtio-blk-device,drive=d")
      .snapshot,
    true,
  );
  assertEquals(config("-kernel k -drive file=f,if=none,format=raw,id=d").disk, null); // unused
  const bad = [
    "-drive file=f,if=none,format=qcow2,id=d",
    "-drive file=f,if=virtio,id=d",
    "-drive file=f,if=none",
    "-drive if=none,id=d",
    "-drive file=f,if=none,id=d,cache=none",
    "-drive file=f,id=d,if=none -drive file=g,id=d,if=none",
    "-device virtio-blk-device,bus=virtio-mmio-bus.0",
    "-device virtio-blk-device,drive=nosuch,bus=virtio-mmio-bus.0",
    "-drive file=f,if=none,id=d -device virtio-blk-device,drive=d,bus=virtio-mmio-bus.9",
    "-drive file=f,if=none,id=d -device virtio-blk-device,drive=d,bus=pcie.0",
    "-device nosuchdev",
    "-drive file=f,if=none,id=d -device virtio-blk-device,drive=d -device virtio-blk-device,drive=d",
  ];
  for (const b of bad) assertThrows(() => config(`-kernel k ${b}`), QemuArgError, b);
});

Deno.test("-gdb tcp::PORT, tcp:HOST:PORT for loopback names, -s; others refused", () => {
  assertEquals(config("-kernel k -gdb tcp::26000").gdbPort, 26000);
  assertEquals(config("-kernel k -gdb tcp:localhost:1235").gdbPort, 1235);
  assertEquals(config("-kernel k -gdb tcp:127.0.0.1:1236,server,nowait").gdbPort, 1236);
  assertEquals(config("-kernel k -s").gdbPort, 1234);
  assertEquals(config("-kernel k -gdb none").gdbPort, null);
  assertEquals(config("-kernel k -s -S").waitForGdb, true);
  for (
    const bad of [
      "-gdb tcp::abc",
      "-gdb foo",
      "-gdb tcp::0",
      "-gdb tcp::65536",
      "-gdb tcp:0.0.0.0:1234",
      "-s -gdb tcp::1",
      "-gdb tcp::1,reconnect=1",
    ]
  ) {
    assertThrows(() => config(`-kernel k ${bad}`), QemuArgError, bad);
  }
});

Deno.test("bad command lines: one message that names the option", () => {
  const cases: [string, RegExp][] = [
    ["-foo", /^-foo: invalid option$/],
    ["--foo", /^--foo: invalid option$/],
    ["-", /^-: /],
    ["--", /^--: invalid option$/],
    ["-m", /^-m: requires an argument$/],
    ["-kernel", /^-kernel: requires an argument$/],
    ["-machine foo -kernel k", /^-machine foo: /],
    ["-machine virt,aclint=on -kernel k", /^-machine virt,aclint=on: /],
    ["-bios default -kernel k", /^-bios default: .*-bios none/],
    ["-m 12Q -kernel k", /^-m 12Q: /],
    ["-smp x -kernel k", /^-smp x: /],
    ["-machine virt -bios none", /-kernel/],
    ["-kernel k extra.img", /^extra.img: /],
  ];
  for (const [line, want] of cases) {
    assertThrows(
      () => parseQemuArgs(words(line)),
      (e: Error) => e instanceof QemuArgError && want.test(e.message) && !e.message.includes("\n"),
      line,
    );
  }
});

Deno.test("parseKeyValues: QEMU's key=value lists", () => {
  assertEquals(
    [...parseKeyValues("virt,a=1,,2,b=", "x", "type")],
    [["type", "virt"], ["a", "1,2"], ["b", ""]],
  );
  assertThrows(() => parseKeyValues("a=1,junk", "x"), QemuArgError);
  assertThrows(() => parseKeyValues("", "x"), QemuArgError);
});

// The command as a Makefile runs it: a subprocess.

const ROOT = join(import.meta.dirname!, "..");

/** Run `deno run -A main.ts qemu ARGS`. */
async function xv6lazyQemu(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "qemu", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("xv6lazy qemu -help has a line starting with -gdb (the Makefiles' grep) and exits 0", async () => {
  const r = await xv6lazyQemu(["-help"]);
  assertEquals(r.code, 0);
  assert(r.out.split("\n").some((l) => l.startsWith("-gdb")), r.out);
  for (
    const o of [
      "-machine",
      "-bios",
      "-kernel",
      "-m ",
      "-smp",
      "-nographic",
      "-global",
      "-drive",
      "-device",
      "-snapshot",
      "-S ",
      "-s ",
    ]
  ) {
    assert(r.out.split("\n").some((l) => l.startsWith(o)), o);
  }
});

Deno.test("xv6lazy qemu --version passes the 2025 Makefile's check (QEMU emulator version >= 7.2)", async () => {
  const r = await xv6lazyQemu(["--version"]);
  assertEquals(r.code, 0);
  const first = r.out.split("\n")[0];
  // the Makefile: sed -E 's/^QEMU emulator version ([0-9]+\.[0-9]+)\..*/\1/', then bc ">= 7.2"
  const m = /^QEMU emulator version ([0-9]+\.[0-9]+)\..*/.exec(first);
  assert(m !== null, first);
  const [major, minor] = m[1].split(".").map(Number);
  assert(major > 7 || (major === 7 && minor >= 2), first);
  assertMatch(r.out, /xv6lazy/);
});

Deno.test("xv6lazy qemu with a bad option or a missing kernel: one line on stderr, exit 1", async () => {
  for (
    const [args, mention] of [
      [["-foo"], "-foo: invalid option"],
      [["-kernel", "/nonexistent/kernel"], "/nonexistent/kernel"],
      [words(`-kernel main.ts ${DISK.replace("fs.img", "/nonexistent/fs.img")}`), "fs.img"],
    ] as const
  ) {
    const r = await xv6lazyQemu([...args]);
    assertEquals(r.code, 1, r.err);
    const lines = r.err.split("\n").filter((l) => l !== "");
    assertEquals(lines.length, 1, r.err);
    assert(lines[0].startsWith("xv6lazy qemu: ") && lines[0].includes(mention), lines[0]);
    assertEquals(r.out, "");
  }
});
