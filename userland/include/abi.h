// Constants of the xv6 ABI that user programs rely on: limits, open flags,
// struct stat, on-disk directory entries and the memory layout.
#ifndef XV6_ABI_H
#define XV6_ABI_H
#include "types.h"

// Limits (kernel/param.h in xv6).
#define NPROC 64
#define NOFILE 16
#define NFILE 100
#define NINODE 50
#define MAXARG 32
#define MAXOPBLOCKS 10
#define LOGSIZE (MAXOPBLOCKS * 3)
#define NBUF (MAXOPBLOCKS * 3)
#define FSSIZE 2000
#define MAXPATH 128

// File system (kernel/fs.h).
#define ROOTINO 1
#define BSIZE 1024
#define NDIRECT 12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE (NDIRECT + NINDIRECT)
#define DIRSIZ 14
struct dirent {
  ushort inum;
  char name[DIRSIZ];
};

// open() flags (kernel/fcntl.h).
#define O_RDONLY 0x000
#define O_WRONLY 0x001
#define O_RDWR 0x002
#define O_CREATE 0x200
#define O_TRUNC 0x400

// File types and struct stat (kernel/stat.h).
#define T_DIR 1
#define T_FILE 2
#define T_DEVICE 3
struct stat {
  int dev;
  uint ino;
  short type;
  short nlink;
  uint64 size;
};

// Console device major number.
#define CONSOLE 1

// Memory layout (kernel/riscv.h, kernel/memlayout.h).
#define PGSIZE 4096
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))
#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128 * 1024 * 1024)
#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME (TRAMPOLINE - PGSIZE)
#endif
