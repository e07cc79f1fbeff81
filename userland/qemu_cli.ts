// `xv6lazy qemu [OPTIONS]`: what an xv6 Makefile runs in place of qemu-system-riscv64
// (make qemu QEMU="xv6lazy qemu"). It answers -help and -version the way the Makefiles
// probe them, checks the options (one line on stderr and exit 1 for a bad one, as
// QEMU), and hands the machine's description to the full-system board.

import { parseQemuArgs, QemuArgError, type QemuConfig } from "./qemu_args.ts";
import { writeErr, writeOut } from "../machine/host.ts";

/** Boots a configured machine and returns the exit status (supplied by the board). */
export type QemuBoot = (config: QemuConfig) => Promise<number>;

/**
 * -version. Its first line has QEMU's form because the 2025 labs' Makefile takes the
 * "X.Y" after "QEMU emulator version " on the first line of `$(QEMU) --version` and
 * requires at least 7.2; 7.2 is the QEMU whose gdb stub and devices xv6lazy follows.
 */
export function qemuVersion(version: string): string {
  return `QEMU emulator version 7.2.0 (xv6lazy ${version})\n` +
    `xv6lazy ${version} emulates qemu-system-riscv64's virt board for xv6; it is not QEMU.\n`;
}

/** -help. Makefiles grep it for a line starting with -gdb to choose -gdb tcp::PORT. */
export function qemuHelp(): string {
  return `xv6lazy qemu: a stand-in for qemu-system-riscv64 (the RISC-V virt board) for xv6
usage: xv6lazy qemu [options]   (-opt and --opt are the same)

Standard options:
-h or -help     show this help and exit
-version        show the version and exit
-machine virt   the board: QEMU's virt, the only one (-M virt is the same)
-bios none      no firmware: every hart starts at the kernel's entry in M-mode
-kernel FILE    the kernel ELF to boot
-m SIZE         RAM at 0x80000000: 128M (the default), 1G, 128 (MiB), ...; at most 1G
-smp N          the number of harts, 1 to 8, also -smp cpus=N (default 1)
-nographic      the console is stdin/stdout: Ctrl-A x quits, Ctrl-A h lists the keys,
                Ctrl-A c switches to the monitor
-global virtio-mmio.force-legacy=on|off
                virtio-mmio register layout: legacy version 1 (on, the default)
                or modern version 2 (off)

Disk:
-drive file=FILE,if=none,format=raw,id=ID
                a raw disk image; the guest's writes go to the file as it makes them
-device virtio-blk-device,drive=ID,bus=virtio-mmio-bus.0
                the virtio disk, on transport N at 0x10001000 + N*0x1000 (IRQ 1 + N)
-snapshot       never write to disk images: the guest's writes are kept in memory

Debugging:
-S              do not start the harts until gdb continues them
-gdb tcp::PORT  accept a gdb connection on 127.0.0.1:PORT (tcp:localhost:PORT too)
-s              shorthand for -gdb tcp::1234
`;
}

/** Why a file the machine needs cannot be used, or null if it can. */
function fileProblem(path: string): string | null {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? null : "not a regular file";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "no such file";
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return "permission denied";
    }
    return e instanceof Error ? e.message.split("\n")[0] : String(e);
  }
}

/** The kernel and the disk image exist: say which one does not, as QEMU does at start-up. */
function checkFiles(cfg: QemuConfig): string | null {
  const k = fileProblem(cfg.kernel);
  if (k !== null) return `could not load kernel '${cfg.kernel}': ${k}`;
  if (cfg.disk !== null) {
    const d = fileProblem(cfg.disk.file);
    if (d !== null) return `-drive file=${cfg.disk.file}: could not open '${cfg.disk.file}': ${d}`;
  }
  return null;
}

/** Run `xv6lazy qemu ARGS`; returns the exit status (1 for a bad command line, as QEMU). */
export async function qemuMain(
  args: readonly string[],
  version: string,
  boot?: QemuBoot,
): Promise<number> {
  let cmd;
  try {
    cmd = parseQemuArgs(args);
  } catch (e) {
    if (!(e instanceof QemuArgError)) throw e;
    writeErr(`xv6lazy qemu: ${e.message}\n`);
    return 1;
  }
  if (cmd.kind === "help") writeOut(qemuHelp());
  if (cmd.kind === "version") writeOut(qemuVersion(version));
  if (cmd.kind !== "run") return 0;
  const bad = checkFiles(cmd.config);
  if (bad !== null) {
    writeErr(`xv6lazy qemu: ${bad}\n`);
    return 1;
  }
  if (boot === undefined) {
    writeErr("xv6lazy qemu: the full-system machine is not part of this build yet\n");
    return 1;
  }
  return await boot(cmd.config);
}
