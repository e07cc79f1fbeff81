// A console shell in miniature, for the tests of `xv6lazy --kernel`: hart 0 prints
// `$ ` prompts and reads lines through the UART (polled, echoing each byte as xv6's
// console does), and answers a few commands:
//   echo WORDS   print WORDS
//   halt N       power the board off with exit status N
//   panic        print a kernel-style panic line, then hang as xv6's panic does
//   spin         loop for ever without printing (a livelocked guest)
// anything else is answered with `you typed: LINE`. The other harts wait in WFI.

#include "lib/metal.h"

#define RBR 0
#define LSR 5
#define LSR_DATA_READY 0x01

// Wait for one byte of console input and return it.
static int getc(void) {
  while ((REG8(UART0 + LSR) & LSR_DATA_READY) == 0)
    ;
  return REG8(UART0 + RBR);
}

// Read one line into buf (without its newline), echoing what arrives.
static void getline(char *buf, int max) {
  int n = 0;
  for (;;) {
    int c = getc();
    if (c == '\r')
      c = '\n';
    putc(c);
    if (c == '\n')
      break;
    if (n < max - 1)
      buf[n++] = c;
  }
  buf[n] = 0;
}

// Whether s starts with prefix.
static int startswith(const char *s, const char *prefix) {
  while (*prefix)
    if (*s++ != *prefix++)
      return 0;
  return 1;
}

// A decimal number at the start of s.
static int atoi(const char *s) {
  int n = 0;
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return n;
}

// Carry out one command line.
static void run(const char *line) {
  if (line[0] == 0)
    return;
  if (startswith(line, "echo ")) {
    printf("%s\n", line + 5);
  } else if (startswith(line, "halt ")) {
    exit(atoi(line + 5));
  } else if (startswith(line, "panic")) {
    printf("panic: asked to panic\n");
    for (;;)
      ;
  } else if (startswith(line, "spin")) {
    for (;;)
      ;
  } else {
    printf("you typed: %s\n", line);
  }
}

int main(int hartid) {
  char line[128];
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  printf("metal shell on hart %d\n", hartid);
  for (;;) {
    puts("$ ");
    getline(line, sizeof(line));
    run(line);
  }
}
