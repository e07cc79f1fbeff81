// The write-ahead log: every file-system system call runs its disk writes as one
// transaction, so after a crash either all of its blocks reach their home
// locations or none do.
//
// On disk: a header block at logstart {n: int32, block[LOGSIZE]: int32}, followed by
// the logged copies of the blocks. A commit writes the copies, then the header (the
// commit point), then installs the blocks at home, then clears the header. Boot
// replays a committed header that was never cleared.
//
// The kernel is not preemptive and a transaction never sleeps, so begin_op never
// has to wait; the reservation accounting is kept as xv6 keeps it and a request
// that xv6 would have to sleep on is a kernel bug here (panic).

import { bpin, bread, brelse, Buf, bunpin, bwrite } from "./bio.ts";
import { LOGSIZE, MAXOPBLOCKS } from "./param.ts";
import type { SuperBlock } from "./fslayout.ts";
import { BSIZE } from "../machine/disk.ts";

interface Log {
  start: number; // block number of the header
  size: number; // log blocks, header included
  outstanding: number; // file-system calls executing
  committing: boolean;
  dev: number;
  lh: number[]; // home block numbers of the logged blocks (the header's block[])
}

const log: Log = { start: 0, size: 0, outstanding: 0, committing: false, dev: 0, lh: [] };

/** Test hook: make commit stop (throw) right after the commit point, as a crash would. */
export const logcrash = { afterCommit: false };

/** Set up the log from the superblock and replay any committed transaction. */
export function initlog(dev: number, sb: SuperBlock): void {
  if (4 * (LOGSIZE + 1) > BSIZE) throw new Error("panic: initlog: too big logheader");
  log.start = sb.logstart;
  log.size = sb.nlog;
  log.dev = dev;
  log.outstanding = 0;
  log.committing = false;
  log.lh = [];
  recover_from_log();
}

/** Copy each committed block from the log to its home location. */
function install_trans(recovering: boolean): void {
  for (let tail = 0; tail < log.lh.length; tail++) {
    const lbuf = bread(log.dev, log.start + tail + 1);
    const dbuf = bread(log.dev, log.lh[tail]);
    dbuf.data.set(lbuf.data);
    bwrite(dbuf);
    if (!recovering) bunpin(dbuf);
    brelse(lbuf);
    brelse(dbuf);
  }
}

/** Load the on-disk log header into log.lh. */
function read_head(): void {
  const buf = bread(log.dev, log.start);
  const v = new DataView(buf.data.buffer, buf.data.byteOffset, BSIZE);
  const n = v.getInt32(0, true);
  if (n < 0 || n > LOGSIZE || n > log.size - 1) {
    brelse(buf);
    throw new Error(`panic: read_head: bad log header n=${n}`);
  }
  log.lh = [];
  for (let i = 0; i < n; i++) log.lh.push(v.getInt32(4 + 4 * i, true));
  brelse(buf);
}

/** Write log.lh to the header block: with n > 0 this is the commit point. */
function write_head(): void {
  const buf = bread(log.dev, log.start);
  const v = new DataView(buf.data.buffer, buf.data.byteOffset, BSIZE);
  v.setInt32(0, log.lh.length, true);
  for (let i = 0; i < log.lh.length; i++) v.setInt32(4 + 4 * i, log.lh[i], true);
  bwrite(buf);
  brelse(buf);
}

/** Boot-time recovery: install a committed transaction and clear the log. */
export function recover_from_log(): void {
  read_head();
  install_trans(true);
  log.lh = [];
  write_head();
}

/** Start a file-system call: reserve room in the log for MAXOPBLOCKS writes. */
export function begin_op(): void {
  if (log.committing) throw new Error("panic: begin_op: log is committing");
  if (log.lh.length + (log.outstanding + 1) * MAXOPBLOCKS > LOGSIZE) {
    // xv6 sleeps here until a commit frees the log; nothing here could wake it.
    throw new Error("panic: begin_op: log full");
  }
  log.outstanding++;
}

/** End a file-system call; the last one out commits the transaction. */
export function end_op(): void {
  if (log.outstanding < 1) throw new Error("panic: end_op: no op outstanding");
  if (log.committing) throw new Error("panic: log.committing");
  log.outstanding--;
  if (log.outstanding === 0) {
    log.committing = true;
    try {
      commit();
    } finally {
      log.committing = false;
    }
  }
}

/** Copy the modified blocks from the cache into the log area. */
function write_log(): void {
  for (let tail = 0; tail < log.lh.length; tail++) {
    const to = bread(log.dev, log.start + tail + 1);
    const from = bread(log.dev, log.lh[tail]);
    to.data.set(from.data);
    bwrite(to);
    brelse(from);
    brelse(to);
  }
}

/** Commit: log the blocks, write the header, install, then clear the header. */
function commit(): void {
  if (log.lh.length === 0) return;
  write_log();
  write_head();
  if (logcrash.afterCommit) throw new Error("crash: simulated after commit");
  install_trans(false);
  log.lh = [];
  write_head();
}

/** Record that b was modified in this transaction: pin it and note its block number. */
export function log_write(b: Buf): void {
  if (log.lh.length >= LOGSIZE || log.lh.length >= log.size - 1) {
    throw new Error("panic: too big a transaction");
  }
  if (log.outstanding < 1) throw new Error("panic: log_write outside of trans");
  if (log.lh.includes(b.blockno)) return; // absorbed: already in this transaction
  log.lh.push(b.blockno);
  bpin(b);
}

/** Transaction state, for tests. */
export function logstate(): { n: number; outstanding: number } {
  return { n: log.lh.length, outstanding: log.outstanding };
}
