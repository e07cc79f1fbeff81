// ls: list directories (one line per entry: name type inode size) or, for a
// plain file or device, a single line describing it.
#include "user.h"

// The last component of a path, padded with spaces to DIRSIZ columns.
static const char *column(const char *path) {
  static char out[DIRSIZ + 1];
  const char *base = path + strlen(path);
  while (base > path && base[-1] != '/')
    base--;
  int len = (int)strlen(base);
  if (len >= DIRSIZ)
    return base;
  memmove(out, base, len);
  memset(out + len, ' ', DIRSIZ - len);
  out[DIRSIZ] = 0;
  return out;
}

static void list(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: cannot open %s\n", path);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: cannot stat %s\n", path);
    close(fd);
    return;
  }
  if (st.type != T_DIR) {
    printf("%s %d %d %lu\n", column(path), st.type, st.ino, st.size);
    close(fd);
    return;
  }
  // Build "path/NAME" for each entry in a local buffer.
  char full[MAXPATH + DIRSIZ + 2];
  uint plen = strlen(path);
  if (plen + 1 + DIRSIZ + 1 > sizeof(full)) {
    printf("ls: path too long\n");
    close(fd);
    return;
  }
  strcpy(full, path);
  char *name = full + plen;
  *name++ = '/';
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    struct stat est;
    if (stat(full, &est) < 0) {
      printf("ls: cannot stat %s\n", full);
      continue;
    }
    printf("%s %d %d %lu\n", column(full), est.type, est.ino, est.size);
  }
  close(fd);
}

int main(int argc, char *argv[]) {
  if (argc < 2)
    list(".");
  for (int i = 1; i < argc; i++)
    list(argv[i]);
  return 0;
}
