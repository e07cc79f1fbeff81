// sh: the xv6lazy shell.
//
// Reads one line at a time (prompt "$ "), parses it into a small command
// tree with a recursive-descent parser, and runs the tree in a child process.
//
// Grammar (lowest precedence first):
//   list     := pipeline { (';' | '&') [pipeline] }
//   pipeline := unit { '|' unit }
//   unit     := '(' list ')' { redir }  |  simple
//   simple   := { word | redir }
//   redir    := '<' word | '>' word
// A pipeline followed by '&' runs in the background. `cd DIR` on its own is
// handled by the shell itself.
#include "user.h"

#define LINE_MAX 512
#define MAX_TOKENS 128
#define MAX_NODES 64
#define MAX_WORDS 32 // arguments per simple command (MAXARG)

// ---- tokens ----------------------------------------------------------------

enum tok_kind { TK_WORD, TK_PIPE, TK_SEMI, TK_AMP, TK_LT, TK_GT, TK_LPAREN, TK_RPAREN, TK_END };

struct token {
  enum tok_kind kind;
  char *text; // TK_WORD only: NUL-terminated copy in word_store
};

static struct token tokens[MAX_TOKENS];
static int ntokens;
static int tpos; // parser position in tokens[]
static char word_store[LINE_MAX * 2];

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

static int is_special(char c) {
  return c == '|' || c == ';' || c == '&' || c == '<' || c == '>' || c == '(' || c == ')';
}

// Split the line into tokens. Returns 0 on success, -1 if there are too many.
static int tokenize(const char *line) {
  int store = 0;
  ntokens = 0;
  const char *p = line;
  for (;;) {
    while (is_space(*p))
      p++;
    if (ntokens == MAX_TOKENS - 1)
      return -1;
    struct token *t = &tokens[ntokens++];
    t->text = 0;
    char c = *p;
    if (c == 0 || c == '#') {
      t->kind = TK_END;
      return 0;
    }
    if (is_special(c)) {
      p++;
      switch (c) {
      case '|': t->kind = TK_PIPE; break;
      case ';': t->kind = TK_SEMI; break;
      case '&': t->kind = TK_AMP; break;
      case '<': t->kind = TK_LT; break;
      case '>': t->kind = TK_GT; break;
      case '(': t->kind = TK_LPAREN; break;
      default: t->kind = TK_RPAREN; break;
      }
      continue;
    }
    t->kind = TK_WORD;
    t->text = &word_store[store];
    while (*p != 0 && !is_space(*p) && !is_special(*p))
      word_store[store++] = *p++;
    word_store[store++] = 0;
  }
}

// ---- command tree ----------------------------------------------------------

enum node_kind { N_EXEC, N_REDIR, N_PIPE, N_LIST, N_BACK };

struct node {
  enum node_kind kind;
  // N_EXEC
  char *argv[MAX_WORDS + 1];
  int argc;
  // N_REDIR: apply (fd <- open(file, mode)) then run `left`
  char *file;
  int mode;
  int fd;
  // N_REDIR, N_BACK: left only; N_PIPE, N_LIST: left then right
  struct node *left;
  struct node *right;
};

static struct node nodes[MAX_NODES];
static int nnodes;
static int parse_failed;

static void fail(const char *why) {
  if (!parse_failed)
    fprintf(2, "sh: syntax error: %s\n", why);
  parse_failed = 1;
}

static struct node *new_node(enum node_kind kind) {
  if (nnodes == MAX_NODES) {
    fail("command too complex");
    return 0;
  }
  struct node *n = &nodes[nnodes++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  return n;
}

static enum tok_kind peek(void) {
  return tokens[tpos].kind;
}

static struct node *parse_list(void);

// A redirection node for the '<' or '>' at tpos, wrapped around `inner`.
static struct node *parse_redir(struct node *inner) {
  enum tok_kind k = tokens[tpos++].kind;
  if (peek() != TK_WORD) {
    fail("missing file name after redirection");
    return 0;
  }
  struct node *r = new_node(N_REDIR);
  if (r == 0)
    return 0;
  r->file = tokens[tpos++].text;
  if (k == TK_LT) {
    r->fd = 0;
    r->mode = O_RDONLY;
  } else {
    r->fd = 1;
    r->mode = O_WRONLY | O_CREATE | O_TRUNC;
  }
  r->left = inner;
  return r;
}

static struct node *parse_unit(void) {
  if (peek() == TK_LPAREN) {
    tpos++;
    struct node *inner = parse_list();
    if (peek() != TK_RPAREN) {
      fail("missing )");
      return inner;
    }
    tpos++;
    // Each further redirection goes inside the previous ones (applied later).
    struct node *top = inner;
    struct node **slot = &top;
    while (!parse_failed && (peek() == TK_LT || peek() == TK_GT)) {
      struct node *r = parse_redir(inner);
      if (r == 0 || parse_failed)
        return 0;
      *slot = r;
      slot = &r->left;
    }
    return top;
  }
  struct node *cmd = new_node(N_EXEC);
  if (cmd == 0)
    return 0;
  // Redirections are collected in order and then wrapped around the command
  // with the first one outermost, so they are applied left to right and the
  // last one for a given fd wins (`cat < a < b` reads b).
  struct node *redirs[MAX_WORDS];
  int nredirs = 0;
  for (;;) {
    enum tok_kind k = peek();
    if (k == TK_WORD) {
      if (cmd->argc == MAX_WORDS) {
        fail("too many arguments");
        return 0;
      }
      cmd->argv[cmd->argc++] = tokens[tpos++].text;
    } else if (k == TK_LT || k == TK_GT) {
      if (nredirs == MAX_WORDS) {
        fail("too many redirections");
        return 0;
      }
      struct node *r = parse_redir(0);
      if (parse_failed || r == 0)
        return 0;
      redirs[nredirs++] = r;
    } else {
      break;
    }
  }
  if (cmd->argc == 0 && nredirs == 0) {
    fail("missing command");
    return 0;
  }
  struct node *top = cmd;
  while (nredirs > 0) {
    struct node *r = redirs[--nredirs];
    r->left = top;
    top = r;
  }
  return top;
}

static struct node *parse_pipeline(void) {
  struct node *left = parse_unit();
  while (!parse_failed && peek() == TK_PIPE) {
    tpos++;
    struct node *p = new_node(N_PIPE);
    if (p == 0)
      return left;
    p->left = left;
    p->right = parse_unit();
    left = p;
  }
  return left;
}

static struct node *parse_list(void) {
  struct node *first = parse_pipeline();
  if (parse_failed)
    return first;
  enum tok_kind k = peek();
  if (k != TK_SEMI && k != TK_AMP)
    return first;
  tpos++;
  if (k == TK_AMP) {
    struct node *b = new_node(N_BACK);
    if (b == 0)
      return first;
    b->left = first;
    first = b;
  }
  enum tok_kind after = peek();
  if (after == TK_END || after == TK_RPAREN)
    return first;
  struct node *l = new_node(N_LIST);
  if (l == 0)
    return first;
  l->left = first;
  l->right = parse_list();
  return l;
}

// Parse the whole line. Returns 0 for an empty line or a syntax error.
static struct node *parse_line(const char *line) {
  nnodes = 0;
  tpos = 0;
  parse_failed = 0;
  if (tokenize(line) < 0) {
    fail("too many words and operators");
    return 0;
  }
  if (peek() == TK_END)
    return 0;
  struct node *tree = parse_list();
  if (!parse_failed && peek() != TK_END)
    fail("unexpected token");
  return parse_failed ? 0 : tree;
}

// ---- execution -------------------------------------------------------------

static int fork_or_die(void) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "sh: fork failed\n");
    exit(1);
  }
  return pid;
}

static int is_cd(struct node *n) {
  return n->kind == N_EXEC && n->argc > 0 && strcmp(n->argv[0], "cd") == 0;
}

// Change directory (default "/"); prints the xv6 message on failure.
static int do_cd(struct node *n) {
  const char *dir = n->argc > 1 ? n->argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "cannot cd %s\n", dir);
    return -1;
  }
  return 0;
}

// Run a command tree in the current (child) process; never returns.
static void run(struct node *n) __attribute__((noreturn));

static void run(struct node *n) {
  int p[2];
  int status = 0;
  int right;
  switch (n->kind) {
  case N_EXEC:
    if (n->argc == 0)
      exit(0);
    n->argv[n->argc] = 0;
    if (is_cd(n))
      exit(do_cd(n) < 0 ? 1 : 0); // e.g. `cd d | cat`: nothing to run after it
    exec(n->argv[0], n->argv);
    // Programs live in the root directory; try there too for bare names.
    if (strchr(n->argv[0], '/') == 0 && strlen(n->argv[0]) + 2 < MAXPATH) {
      char path[MAXPATH];
      path[0] = '/';
      strcpy(path + 1, n->argv[0]);
      exec(path, n->argv);
    }
    fprintf(2, "exec %s failed\n", n->argv[0]);
    exit(1);
  case N_REDIR:
    close(n->fd);
    if (open(n->file, n->mode) != n->fd) {
      fprintf(2, "open %s failed\n", n->file);
      exit(1);
    }
    run(n->left);
  case N_PIPE:
    if (pipe(p) < 0) {
      fprintf(2, "sh: pipe failed\n");
      exit(1);
    }
    if (fork_or_die() == 0) {
      close(1);
      dup(p[1]);
      close(p[0]);
      close(p[1]);
      run(n->left);
    }
    right = fork_or_die();
    if (right == 0) {
      close(0);
      dup(p[0]);
      close(p[0]);
      close(p[1]);
      run(n->right);
    }
    close(p[0]);
    close(p[1]);
    // Reap both sides; the pipeline's status is that of its right end.
    for (int left_to_reap = 2; left_to_reap > 0; left_to_reap--) {
      int st = 0;
      if (wait(&st) == right)
        status = st;
    }
    exit(status);
  case N_LIST:
    if (is_cd(n->left)) {
      // `cd d; cmd` changes this process's directory, so cmd runs in d.
      do_cd(n->left);
    } else {
      if (fork_or_die() == 0)
        run(n->left);
      wait(0);
    }
    run(n->right);
  case N_BACK:
    // The job's process is orphaned when we exit; init reaps it.
    if (fork_or_die() == 0)
      run(n->left);
    exit(0);
  }
  exit(1);
}

// `cd DIR` must change the shell's own directory, so it is never forked.
static int try_builtin(struct node *tree) {
  if (!is_cd(tree))
    return 0;
  do_cd(tree);
  return 1;
}

int main(void) {
  static char line[LINE_MAX];
  // Make sure fds 0, 1 and 2 are open (on the console) before anything else.
  for (;;) {
    int fd = open("console", O_RDWR);
    if (fd < 0)
      break;
    if (fd >= 3) {
      close(fd);
      break;
    }
  }
  for (;;) {
    write(2, "$ ", 2);
    memset(line, 0, sizeof(line));
    gets(line, sizeof(line));
    if (line[0] == 0)
      break; // end of input
    struct node *tree = parse_line(line);
    if (tree == 0)
      continue;
    if (try_builtin(tree))
      continue;
    if (fork_or_die() == 0)
      run(tree);
    wait(0);
  }
  exit(0);
}
