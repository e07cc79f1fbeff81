// Reading the --fs disk image: only a regular file of a size an xv6 image can have,
// so that /dev/zero, a FIFO or a huge sparse file is refused in one line, at once.

import { firstLine, UsageError } from "./usage_error.ts";

/** The largest image accepted: 256 MiB, far above any xv6 lab's (2000 blocks in this lab). */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

/** What kind of non-regular file info describes, for the message. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  return "something else";
}

/** Why a file could not be looked at or read, in a few words. */
function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return "permission denied";
  }
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return firstLine(e);
}

/**
 * The bytes of a regular file of at most maxBytes, named on the command line by
 * `flag` as a `noun` ("disk image", "kernel"); a UsageError says why it cannot be used.
 */
export function readInputFile(
  path: string,
  flag: string,
  noun: string,
  maxBytes: number,
): Uint8Array {
  if (path === "") throw new UsageError(`${flag} needs a file name`);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${noun} ${path}: ${reason(e)}`);
  }
  if (!info.isFile) {
    throw new UsageError(
      `cannot use ${path} as a ${noun}: not a regular file (it is ${kindOf(info)})`,
    );
  }
  if (info.size > maxBytes) {
    throw new UsageError(
      `cannot use ${path} as a ${noun}: it is ${info.size} bytes, more than the ` +
        `${maxBytes / 1024 / 1024} MiB a ${noun} can sensibly have`,
    );
  }
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${noun} ${path}: ${reason(e)}`);
  }
}

/** The bytes of the image file at path; a UsageError says why it cannot be used. */
export function readImageFile(path: string): Uint8Array {
  return readInputFile(path, "--fs", "disk image", MAX_IMAGE_BYTES);
}
