// memtouch: grow the heap by N MiB with one sbrk and store to every page of it,
// so every page is served by a lazy page fault. Used by `deno task bench`.
//   memtouch [MiB]   (default 100)
#include "user.h"

int main(int argc, char *argv[]) {
  int mib = argc > 1 ? atoi(argv[1]) : 100;
  long bytes = (long)mib * 1024 * 1024;
  char *p = sbrk((int)bytes);
  if (p == (char *)-1) {
    fprintf(2, "memtouch: sbrk(%d MiB) failed\n", mib);
    exit(1);
  }
  for (long off = 0; off < bytes; off += PGSIZE)
    p[off] = (char)off;
  printf("memtouch: touched %d pages\n", (int)(bytes / PGSIZE));
  exit(0);
}
