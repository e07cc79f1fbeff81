// malloc/free over sbrk: a circular, address-ordered free list of blocks in
// the style of Kernighan & Ritchie. Sizes are counted in 16-byte units (one
// header's worth), every block starts with a header, and free() merges a
// block with its free neighbours.
//
// When no free block fits, the heap grows by max(request, 4096 units), i.e. at
// least 64 KiB per sbrk call. If sbrk fails (returns -1) malloc returns 0.
#include "user.h"

typedef union header {
  struct {
    union header *next; // next free block (free list only)
    uint units;         // block size, header included, in 16-byte units
  } h;
  char raw[16];
} __attribute__((aligned(16))) Header;

#define MIN_GROW_UNITS 4096

static Header anchor;        // zero-size block that keeps the list non-empty
static Header *cursor = 0;   // where the next search starts (next-fit)

void free(void *ptr) {
  if (ptr == 0)
    return;
  Header *blk = (Header *)ptr - 1;
  // Find the free block p with p < blk < p->next, allowing for wrap-around
  // at the highest address of the list.
  Header *p = cursor;
  while (!(blk > p && blk < p->h.next)) {
    if (p >= p->h.next && (blk > p || blk < p->h.next))
      break;
    p = p->h.next;
  }
  // Merge with the following block when they touch.
  if (blk + blk->h.units == p->h.next) {
    blk->h.units += p->h.next->h.units;
    blk->h.next = p->h.next->h.next;
  } else {
    blk->h.next = p->h.next;
  }
  // Merge with the preceding block when they touch.
  if (p + p->h.units == blk) {
    p->h.units += blk->h.units;
    p->h.next = blk->h.next;
  } else {
    p->h.next = blk;
  }
  cursor = p;
}

// Ask the kernel for more heap and put it on the free list.
static Header *grow(uint units) {
  if (units < MIN_GROW_UNITS)
    units = MIN_GROW_UNITS;
  uint64 bytes = (uint64)units * sizeof(Header);
  if (bytes > 0x7fffffffUL)
    return 0;
  char *mem = sbrk((int)bytes);
  if (mem == (char *)-1)
    return 0;
  Header *blk = (Header *)mem;
  blk->h.units = units;
  free((void *)(blk + 1));
  return cursor;
}

void *malloc(uint nbytes) {
  uint64 units64 = ((uint64)nbytes + sizeof(Header) - 1) / sizeof(Header) + 1;
  if (units64 > 0xffffffffUL)
    return 0;
  uint units = (uint)units64;
  if (cursor == 0) {
    anchor.h.next = &anchor;
    anchor.h.units = 0;
    cursor = &anchor;
  }
  Header *prev = cursor;
  for (Header *p = prev->h.next;; prev = p, p = p->h.next) {
    if (p->h.units >= units) {
      if (p->h.units == units) {
        prev->h.next = p->h.next;
      } else {
        // Carve the request from the top of the block; the rest stays free.
        p->h.units -= units;
        p += p->h.units;
        p->h.units = units;
      }
      cursor = prev;
      return (void *)(p + 1);
    }
    if (p == cursor) {
      // Went all the way round without a fit.
      p = grow(units);
      if (p == 0)
        return 0;
    }
  }
}
