// The session loop against hostile guests and hosts (issue 11): a deadlocked guest
// leaves the host responsive and ends piped and run-mode sessions with a message; a
// livelocked one stops at --timeout; stdout failures end the run without an internal
// error; arguments reach the guest as UTF-8 and cannot smuggle in a second command.

import { assert, assertEquals } from "./deps.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import { assertOneErrorLine, ROOT, tempImage, xv6lazy } from "./cli_harness.ts";
import { bytes, code, elf, pipeWaitProgram } from "./tiny_elf.ts";
import * as E from "./encode.ts";
import { join } from "../machine/deps.ts";

const STOPPED = 124;

/** An image with the built-in programs plus extra files. */
function imageWith(extra: { name: string; bytes: Uint8Array }[]): Promise<string> {
  return tempImage(mkfs([...fsFiles, ...extra]));
}

/** An image whose /init is not xv6lazy's own, so commands are typed into its shell. */
function foreignImage(): Promise<string> {
  const files = fsFiles.map((f) =>
    f.name === "init" ? { name: f.name, bytes: Uint8Array.of(...f.bytes, 0) } : f
  );
  return tempImage(mkfs(files));
}

Deno.test("item 1: a deadlocked run-mode guest ends with a message and exit 124, stdin still open", async () => {
  const img = await imageWith([{ name: "pipewait", bytes: pipeWaitProgram() }]);
  try {
    // Typed input is queued that nobody will read, and stdin has not even ended.
    const r = await xv6lazy(["--fs", img, "pipewait"], {
      input: "queued\n",
      keepStdinOpen: true,
      timeoutMs: 30_000,
    });
    assert(!r.timedOut, "the session hung on a deadlocked guest");
    assertEquals(r.code, STOPPED, r.stderr);
    assertOneErrorLine(r, "no process can make progress");
  } finally {
    await Deno.remove(img);
  }
});

Deno.test("item 1: a deadlocked guest under a piped shell ends the session, exit 124", async () => {
  const img = await imageWith([{ name: "pipewait", bytes: pipeWaitProgram() }]);
  try {
    const r = await xv6lazy(["--fs", img], {
      input: "pipewait\necho after\n",
      timeoutMs: 30_000,
    });
    assert(!r.timedOut, "the session hung on a deadlocked guest");
    assertEquals(r.code, STOPPED, r.stderr);
    assertOneErrorLine(r, "no process can make progress");
    assert(r.stdout.includes("$ pipewait\n"), r.stdout);
    assert(!r.stdout.includes("after"), "the second command never ran");
  } finally {
    await Deno.remove(img);
  }
});

/** Run xv6lazy on a pseudo-terminal (util-linux script), typing keys at given times. */
async function onTerminal(
  args: string[],
  keys: [number, string][],
  signalAt?: [number, Deno.Signal],
): Promise<{ code: number; ms: number; killed: boolean; output: string }> {
  const pidFile = await Deno.makeTempFile();
  const inner = `echo $$ > ${pidFile}; exec '${Deno.execPath()}' run -A '${
    join(ROOT, "main.ts")
  }' ${args.map((a) => `'${a}'`).join(" ")}`;
  const child = new Deno.Command("script", {
    args: ["-qec", inner, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const output = new Response(child.stdout).text();
  const w = child.stdin.getWriter();
  const enc = new TextEncoder();
  const timers = keys.map(([at, k]) =>
    setTimeout(() => w.write(enc.encode(k)).catch(() => {}), at)
  );
  const pid = async () => Number((await Deno.readTextFile(pidFile)).trim());
  if (signalAt) {
    timers.push(setTimeout(async () => Deno.kill(await pid(), signalAt[1]), signalAt[0]));
  }
  let killed = false;
  // A hung xv6lazy ignores the hang-up when script goes, so kill it by its pid.
  const guard = setTimeout(async () => {
    killed = true;
    try {
      Deno.kill(await pid(), "SIGKILL");
    } catch {
      // already gone
    }
  }, 25_000);
  const t0 = performance.now();
  const st = await child.status;
  const ms = performance.now() - t0;
  for (const t of timers) clearTimeout(t);
  clearTimeout(guard);
  await w.close().catch(() => {});
  await Deno.remove(pidFile);
  return { code: st.code, ms, killed, output: await output };
}

Deno.test("item 1: on a terminal, Ctrl-A x and SIGTERM still work while the guest is deadlocked", async () => {
  const img = await imageWith([{ name: "pipewait", bytes: pipeWaitProgram() }]);
  try {
    // Keys typed after the deadlock stay queued: the old loop spun on them for ever.
    const keys: [number, string][] = [[1500, "pipewait\r"], [2500, "more\r"]];
    const [quit, term] = await Promise.all([
      onTerminal(["--fs", img], [...keys, [3500, "\x01x"]]),
      onTerminal(["--fs", img], keys, [3500, "SIGTERM"]),
    ]);
    assert(!quit.killed, "Ctrl-A x was ignored");
    assertEquals(quit.code, 0);
    assert(quit.output.includes("every process is blocked"), quit.output.slice(-300));
    assert(!term.killed, "SIGTERM was ignored");
    assertEquals(term.code, 143);
  } finally {
    await Deno.remove(img);
  }
});

Deno.test("item 4: a full stdout is one line and exit 74, a closed pipe a quiet exit 141", async () => {
  const full = await new Deno.Command("sh", {
    args: ["-c", `exec '${Deno.execPath()}' run -A main.ts echo hi > /dev/full`],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(full.stderr);
  assertEquals(full.code, 74, err);
  assertEquals(err.split("\n").filter((l) => l).length, 1, err);
  assert(err.startsWith("xv6lazy: cannot write to standard output: "), err);

  // The reader takes the first chunk of usertests' output and goes away.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "usertests"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  await reader.cancel();
  const st = await child.status;
  const stderr = new TextDecoder().decode(
    (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
  );
  assertEquals(st.code, 141, stderr);
  assertEquals(stderr, "");
});

Deno.test("item 5: arguments reach the guest as UTF-8 bytes", async () => {
  const r = await xv6lazy(["echo", "héllo", "😀x", "日本"]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.endsWith("\nhéllo 😀x 日本\n"), JSON.stringify(r.stdout.slice(-40)));
});

Deno.test("item 5: in typed mode a newline inside an argument is refused, not run", async () => {
  const img = await foreignImage();
  try {
    const r = await xv6lazy(["--fs", img, "echo", "a\nls"]);
    assertEquals(r.code, 2, r.stderr);
    assertOneErrorLine(r, "newline");
    assertEquals(r.stdout, "");
  } finally {
    await Deno.remove(img);
  }
});

Deno.test("item 6: a livelocked guest stops at --timeout with a clear message, exit 124", async () => {
  // init restarts a corrupt /sh for ever; a user program spins in a loop.
  const badsh = await tempImage(
    mkfs(fsFiles.map((f) => (f.name === "sh" ? { name: "sh", bytes: bytes(5, 3000) } : f))),
  );
  const spin = await imageWith([
    { name: "spin", bytes: elf(code([E.jal(0, 0)])) },
    // sleep(0x7fffffff): years of emulated time, which pass without instructions
    {
      name: "sleepy",
      bytes: elf(code([E.lui(10, 0x80000), E.addi(10, 10, -1), E.addi(17, 0, 13), E.ecall()])),
    },
  ]);
  try {
    const a = await xv6lazy(["--fs", badsh, "--timeout", "5"], { input: "ls\n" });
    assertEquals(a.code, STOPPED, a.stderr);
    assertOneErrorLine(a, "--timeout 5");
    assert(a.stdout.includes("init: exec sh failed\n"), a.stdout.slice(0, 300));
    const b = await xv6lazy(["--fs", spin, "--timeout", "3", "spin"]);
    assertEquals(b.code, STOPPED, b.stderr);
    assertOneErrorLine(b, "3 s of emulated time");
    const c = await xv6lazy(["--fs", spin, "--timeout", "2", "sleepy"], { timeoutMs: 20_000 });
    assertEquals(c.code, STOPPED, c.stderr);
    assertOneErrorLine(c, "2 s of emulated time");
    const bad = await xv6lazy(["--timeout", "soon", "echo"]);
    assertEquals(bad.code, 2);
    assertOneErrorLine(bad, "--timeout");
    const help = await xv6lazy(["--help"]);
    assert(/--timeout SECONDS[^]*default 600/.test(help.stdout), "help states the default");
  } finally {
    await Deno.remove(badsh);
    await Deno.remove(spin);
  }
});
