// File-system system calls: argument checking, then the file, inode and pipe layers.
// Every user pointer is checked (copyin/copyout/fetch* fail cleanly); errors are -1.

import {
  dirlink,
  dirlookup,
  ialloc,
  ilock,
  type Inode,
  iput,
  itrunc,
  iunlock,
  iunlockput,
  iupdate,
  namei,
  nameiparent,
  readi,
  writei,
} from "./fs.ts";
import { decodeDirent, DIRENT_SIZE, namecmp, T_DEVICE, T_DIR, T_FILE } from "./fslayout.ts";
import { type File, filealloc, fileclose, filedup, fileread, filestat, filewrite } from "./file.ts";
import { begin_op, end_op } from "./log.ts";
import { MAXARG, MAXPATH, NDEV, NOFILE, PGSIZE } from "./param.ts";
import { pipealloc } from "./pipe.ts";
import { type KGen, myproc } from "./proc.ts";
import { argaddr, argint, argstr, fetchaddr, fetchstr } from "./syscall.ts";
import { copyout } from "./vm.ts";
import { exec } from "./exec.ts";

export const O_RDONLY = 0x000;
export const O_WRONLY = 0x001;
export const O_RDWR = 0x002;
export const O_CREATE = 0x200;
export const O_TRUNC = 0x400;

/** The n'th argument as a file descriptor of the current process: [fd, file], or null. */
function argfd(n: number): [number, File] | null {
  const fd = argint(n);
  if (fd < 0 || fd >= NOFILE) return null;
  const f = myproc().ofile[fd];
  return f ? [fd, f] : null;
}

/** Give f the lowest free descriptor of the current process; -1 if none. */
function fdalloc(f: File): number {
  const p = myproc();
  for (let fd = 0; fd < NOFILE; fd++) {
    if (p.ofile[fd] === null) {
      p.ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

/** dup(fd): a second descriptor for the same open file. */
export function sys_dup(): number {
  const a = argfd(0);
  if (a === null) return -1;
  const fd = fdalloc(a[1]);
  if (fd < 0) return -1;
  filedup(a[1]);
  return fd;
}

/** read(fd, buf, n): may block on pipes and the console. */
export function* sys_read(): KGen<number> {
  const a = argfd(0);
  const addr = argaddr(1);
  const n = argint(2);
  if (a === null || n < 0) return -1;
  return yield* fileread(a[1], addr, n);
}

/** write(fd, buf, n): may block on pipes. */
export function* sys_write(): KGen<number> {
  const a = argfd(0);
  const addr = argaddr(1);
  const n = argint(2);
  if (a === null || n < 0) return -1;
  return yield* filewrite(a[1], addr, n);
}

/** close(fd). */
export function sys_close(): number {
  const a = argfd(0);
  if (a === null) return -1;
  myproc().ofile[a[0]] = null;
  fileclose(a[1]);
  return 0;
}

/** fstat(fd, struct stat *st). */
export function sys_fstat(): number {
  const a = argfd(0);
  const addr = argaddr(1);
  if (a === null) return -1;
  return filestat(a[1], addr);
}

/** link(old, new): another directory entry for the inode old names (not for directories). */
export function sys_link(): number {
  const oldp = argstr(0, MAXPATH);
  const newp = argstr(1, MAXPATH);
  if (oldp === null || newp === null) return -1;
  begin_op();
  const ip = namei(oldp);
  if (ip === null) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip.type === T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  ip.nlink++;
  iupdate(ip);
  iunlock(ip);

  const par = nameiparent(newp);
  if (par !== null) {
    const dp = par.ip;
    ilock(dp);
    if (dp.dev === ip.dev && dirlink(dp, par.name, ip.inum) === 0) {
      iunlockput(dp);
      iput(ip);
      end_op();
      return 0;
    }
    iunlockput(dp);
  }
  // Undo the extra link.
  ilock(ip);
  ip.nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

/** Whether directory dp holds nothing but "." and "..". */
function isdirempty(dp: Inode): boolean {
  const buf = new Uint8Array(DIRENT_SIZE);
  for (let off = 2 * DIRENT_SIZE; off < dp.size; off += DIRENT_SIZE) {
    if (readi(dp, buf, off, DIRENT_SIZE) !== DIRENT_SIZE) {
      throw new Error("panic: isdirempty: readi");
    }
    if (decodeDirent(buf).inum !== 0) return false;
  }
  return true;
}

/** unlink(path): remove a directory entry; never "." or "..", directories only when empty. */
export function sys_unlink(): number {
  const path = argstr(0, MAXPATH);
  if (path === null) return -1;
  begin_op();
  const par = nameiparent(path);
  if (par === null) {
    end_op();
    return -1;
  }
  const dp = par.ip;
  ilock(dp);
  const poff = { off: 0 };
  const ip = namecmp(par.name, ".") || namecmp(par.name, "..")
    ? null
    : dirlookup(dp, par.name, poff);
  if (ip === null) {
    iunlockput(dp);
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip.nlink < 1) throw new Error("panic: unlink: nlink < 1");
  if (ip.type === T_DIR && !isdirempty(ip)) {
    iunlockput(ip);
    iunlockput(dp);
    end_op();
    return -1;
  }
  if (writei(dp, new Uint8Array(DIRENT_SIZE), poff.off, DIRENT_SIZE) !== DIRENT_SIZE) {
    throw new Error("panic: unlink: writei");
  }
  if (ip.type === T_DIR) {
    dp.nlink--; // the child's ".." no longer refers to dp
    iupdate(dp);
  }
  iunlockput(dp);
  ip.nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return 0;
}

/** Make (or, for plain files, reuse) the inode path names; returned locked, or null. In a transaction. */
export function create(path: string, type: number, major: number, minor: number): Inode | null {
  const par = nameiparent(path);
  if (par === null) return null;
  const dp = par.ip;
  const name = par.name;
  ilock(dp);
  const old = dirlookup(dp, name);
  if (old !== null) {
    iunlockput(dp);
    ilock(old);
    if (type === T_FILE && (old.type === T_FILE || old.type === T_DEVICE)) return old;
    iunlockput(old);
    return null;
  }
  const ip = ialloc(dp.dev, type);
  if (ip === null) {
    iunlockput(dp);
    return null;
  }
  ilock(ip);
  ip.major = (major << 16) >> 16; // stored as a short
  ip.minor = (minor << 16) >> 16;
  ip.nlink = 1;
  iupdate(ip);
  let ok = true;
  if (type === T_DIR) {
    // "." and ".." do not count as links to ip, to avoid a cyclic count.
    ok = dirlink(ip, ".", ip.inum) === 0 && dirlink(ip, "..", dp.inum) === 0;
  }
  ok = ok && dirlink(dp, name, ip.inum) === 0;
  if (!ok) {
    // Give the inode back: iput frees it once nlink is 0.
    ip.nlink = 0;
    iupdate(ip);
    iunlockput(ip);
    iunlockput(dp);
    return null;
  }
  if (type === T_DIR) {
    dp.nlink++; // for the child's ".."
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;
}

/** open(path, omode): a new descriptor; O_CREATE makes a file, O_TRUNC empties it. */
export function sys_open(): number {
  const path = argstr(0, MAXPATH);
  const omode = argint(1);
  if (path === null) return -1;
  begin_op();
  let ip: Inode | null;
  if (omode & O_CREATE) {
    ip = create(path, T_FILE, 0, 0);
    if (ip === null) {
      end_op();
      return -1;
    }
  } else {
    ip = namei(path);
    if (ip === null) {
      end_op();
      return -1;
    }
    ilock(ip);
    if (ip.type === T_DIR && omode !== O_RDONLY) {
      iunlockput(ip);
      end_op();
      return -1;
    }
  }
  if (ip.type === T_DEVICE && (ip.major < 0 || ip.major >= NDEV)) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  const f = filealloc();
  const fd = f === null ? -1 : fdalloc(f);
  if (f === null || fd < 0) {
    if (f !== null) fileclose(f); // still type "none": just drops the slot
    iunlockput(ip);
    end_op();
    return -1;
  }
  if (ip.type === T_DEVICE) {
    f.type = "device";
    f.major = ip.major;
  } else {
    f.type = "inode";
    f.off = 0;
  }
  f.ip = ip;
  f.readable = !(omode & O_WRONLY);
  f.writable = (omode & O_WRONLY) !== 0 || (omode & O_RDWR) !== 0;
  if ((omode & O_TRUNC) && ip.type === T_FILE) itrunc(ip);
  iunlock(ip);
  end_op();
  return fd;
}

/** mkdir(path). */
export function sys_mkdir(): number {
  const path = argstr(0, MAXPATH);
  if (path === null) return -1;
  begin_op();
  const ip = create(path, T_DIR, 0, 0);
  if (ip === null) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

/** mknod(path, major, minor): a device file. */
export function sys_mknod(): number {
  const path = argstr(0, MAXPATH);
  const major = argint(1);
  const minor = argint(2);
  if (path === null) return -1;
  begin_op();
  const ip = create(path, T_DEVICE, major, minor);
  if (ip === null) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

/** chdir(path): path must be a directory. */
export function sys_chdir(): number {
  const p = myproc();
  const path = argstr(0, MAXPATH);
  if (path === null) return -1;
  begin_op();
  const ip = namei(path);
  if (ip === null) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip.type !== T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  if (p.cwd !== null) iput(p.cwd);
  end_op();
  p.cwd = ip;
  return 0;
}

/** exec(path, argv): fetch the argument strings, then load the program. */
export function sys_exec(): number {
  const path = argstr(0, MAXPATH);
  const uargv = argaddr(1);
  if (path === null) return -1;
  const argv: string[] = [];
  for (let i = 0;; i++) {
    if (i >= MAXARG) return -1;
    const uarg = fetchaddr(uargv + 8 * i);
    if (uarg === null) return -1;
    if (uarg === 0) break;
    const s = fetchstr(uarg, PGSIZE);
    if (s === null) return -1;
    argv.push(s);
  }
  return exec(path, argv);
}

/** pipe(int fd[2]): a pipe's read and write descriptors, stored at fdarray. */
export function sys_pipe(): number {
  const p = myproc();
  const fdarray = argaddr(0);
  const ends = pipealloc();
  if (ends === null) return -1;
  const [rf, wf] = ends;
  const fd0 = fdalloc(rf);
  const fd1 = fd0 < 0 ? -1 : fdalloc(wf);
  let ok = fd0 >= 0 && fd1 >= 0;
  if (ok) {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setInt32(0, fd0, true);
    v.setInt32(4, fd1, true);
    ok = copyout(p.pagetable, fdarray, b) === 0;
  }
  if (!ok) {
    if (fd0 >= 0) p.ofile[fd0] = null;
    if (fd1 >= 0) p.ofile[fd1] = null;
    fileclose(rf);
    fileclose(wf);
    return -1;
  }
  return 0;
}
