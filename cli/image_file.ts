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
  return "not a regular file";
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

/** The bytes of the image file at path; a UsageError says why it cannot be used. */
export function readImageFile(path: string): Uint8Array {
  if (path === "") throw new UsageError("--fs needs a file name");
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read disk image ${path}: ${reason(e)}`);
  }
  if (!info.isFile) {
    throw new UsageError(`cannot use ${path} as a disk image: it is ${kindOf(info)}`);
  }
  if (info.size > MAX_IMAGE_BYTES) {
    throw new UsageError(
      `cannot use ${path} as a disk image: it is ${info.size} bytes, more than the ` +
        `${MAX_IMAGE_BYTES / 1024 / 1024} MiB an xv6 image can sensibly have`,
    );
  }
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read disk image ${path}: ${reason(e)}`);
  }
}
