/* fsutil.h - the few filesystem steps every piece of saved state shares:
 * private folders, and files replaced atomically (write a temporary file,
 * fsync it, rename it over the old one, fsync the folder) so a crash leaves
 * either the old or the new content, never a mix. */
#ifndef VIGIL_FSUTIL_H
#define VIGIL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with mode for every folder created. 0, or -1 after logging. */
int fs_mkdirs(const char *path, mode_t mode);
/* Replaces path with data (mode 0600). 0, or -1 after logging. */
int fs_write_atomic(const char *path, const void *data, size_t len);
/* fsync of the folder holding path (after a rename or create). */
int fs_sync_dir(const char *path);
/* Moves a bad state file aside as PATH.corrupt (replacing an older one). */
void fs_set_aside(const char *path, const char *why);

#endif
