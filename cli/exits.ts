// xv6lazy's own exit codes, beside a run-mode program's status (0..255) and grade's 0/1.
// README.md and --help list them; keep the three in step.

/** A mistake on the command line or in its inputs (flag, --fs image, program name). */
export const EXIT_USAGE = 2;
/** The xv6 kernel panicked (while booting or later); the console shows `panic: ...`. */
export const EXIT_PANIC = 3;
/** A bug in xv6lazy itself: one line `xv6lazy: internal error: ...`. */
export const EXIT_INTERNAL = 70;
/** Standard output could not be written (a full disk, an I/O error). */
export const EXIT_IOERR = 74;
/** xv6lazy stopped a system that could not finish: its --timeout, or no progress possible. */
export const EXIT_STOPPED = 124;
/** Standard output was closed by its reader (`| head`): stop quietly, as a SIGPIPE would. */
export const EXIT_BROKEN_PIPE = 141;
