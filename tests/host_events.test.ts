// letEventsIn: a busy run loop that calls it now and then must see the host's I/O
// (here a TCP connection to itself) at once, not one visit in many.

import { assert } from "./deps.ts";
import { letEventsIn } from "../machine/host.ts";

/** Spin for ms milliseconds, as a slice of guest instructions would. */
function busy(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // the board's work
  }
}

Deno.test("letEventsIn: a connection made during a busy loop is accepted within a few visits", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = false;
  const accepting = listener.accept().then((c) => {
    accepted = true;
    c.close();
  });
  const connecting = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  let visits = 0;
  while (!accepted && visits < 200) {
    busy(1);
    await letEventsIn();
    visits++;
  }
  (await connecting).close();
  await accepting;
  listener.close();
  // An immediate (setImmediate) needs about 60 visits here: Deno polls I/O every 61st task.
  assert(visits <= 5, `${visits} visits before the connection was accepted`);
});
