// lazytests: checks for the lazy page allocation lab, written for this
// project from the description in shared/TESTS.md.
//
// Output protocol (matched by the grader):
//   lazytests starting
//   running test NAME
//   test NAME: OK            (or FAILED)
//   ALL TESTS PASSED         (or SOME TESTS FAILED)
//
// `lazytests NAME` runs only the test called NAME. The exit status is 0 when every
// test run passed, and 1 when one failed or no test is called NAME.

#include "types.h"
#include "abi.h"
#include "user.h"

#define REGION (1024 * 1024 * 1024)          // 1 GiB of lazily grown heap
#define NOADDR 0xffffffffffffffffUL

// Grow the heap by REGION bytes; returns the old break or exits.
static char *grow_region(void) {
  char *old = sbrk(REGION);
  if ((uint64)old == NOADDR) {
    printf("sbrk(%d) failed\n", REGION);
    exit(1);
  }
  return old;
}

// Touch a sparse sample of a 1 GiB heap: every 64th page, starting one page
// above the old break. Each touched word holds its own address.
static void lazy_alloc(void) {
  char *base = grow_region();
  char *limit = base + REGION;
  const uint64 stride = 64 * PGSIZE;

  for (char *q = base + PGSIZE; q < limit; q += stride)
    *(char *volatile *)q = q;
  for (char *q = base + PGSIZE; q < limit; q += stride) {
    if (*(char *volatile *)q != q) {
      printf("lazy alloc: wrong value at %p\n", q);
      exit(1);
    }
  }
  exit(0);
}

// Populate one word every 16 MiB, then for each of them fork a child that
// gives the whole region back and stores to that word. Each child must die.
static void lazy_unmap(void) {
  char *base = grow_region();
  char *limit = base + REGION;
  const uint64 stride = (uint64)PGSIZE * PGSIZE;

  for (char *q = base + PGSIZE; q < limit; q += stride)
    *(char *volatile *)q = q;

  for (char *q = base + PGSIZE; q < limit; q += stride) {
    int pid = fork();
    if (pid < 0) {
      printf("lazy unmap: fork failed\n");
      exit(1);
    }
    if (pid == 0) {
      sbrk(-REGION);
      *(char *volatile *)q = q;  // must be fatal: the page is gone
      exit(0);
    }
    int st = 0;
    wait(&st);
    if (st == 0) {
      printf("lazy unmap: memory at %p was not unmapped\n", q);
      exit(1);
    }
  }
  exit(0);
}

// Allocate 16 MiB blocks until the kernel runs out of physical pages. The
// child must be killed; a child that sees malloc fail exits 0, which fails.
static void out_of_memory(void) {
  int pid = fork();
  if (pid < 0) {
    printf("out of memory: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    void *prev = 0;
    for (;;) {
      void *blk = malloc(PGSIZE * PGSIZE);
      if (blk == 0)
        exit(0);
      *(void *volatile *)blk = prev;
      prev = blk;
    }
  }
  int st = 0;
  wait(&st);
  exit(st == 0 ? 1 : 0);
}

struct ltest {
  const char *name;
  void (*body)(void);
};

static const struct ltest tests[] = {
    {"lazy alloc", lazy_alloc},
    {"lazy unmap", lazy_unmap},
    {"out of memory", out_of_memory},
};

int main(int argc, char *argv[]) {
  const char *only = argc > 1 ? argv[1] : 0;
  int all_ok = 1;
  int ran = 0;

  printf("lazytests starting\n");
  for (int i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    const struct ltest *t = &tests[i];
    if (only && strcmp(only, t->name) != 0)
      continue;
    ran++;
    printf("running test %s\n", t->name);
    int pid = fork();
    if (pid < 0) {
      printf("runtest: fork error\n");
      exit(1);
    }
    if (pid == 0) {
      t->body();
      exit(0);
    }
    int st = -1;
    wait(&st);
    if (st == 0) {
      printf("test %s: OK\n", t->name);
    } else {
      printf("test %s: FAILED\n", t->name);
      all_ok = 0;
    }
  }
  if (ran == 0) {
    printf("lazytests: no test called %s\n", only);
    exit(1);
  }
  printf(all_ok ? "ALL TESTS PASSED\n" : "SOME TESTS FAILED\n");
  exit(all_ok ? 0 : 1);
}
