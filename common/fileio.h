/* fileio.h: writing files so that a crash leaves either the old or the new content.
 *
 *   if ((rc = file_write_atomic("/data/checkd/state.json", buf.data, buf.len)) < 0)
 *           log_warnx("state: %s", strerror(-rc));
 */
#ifndef COMMON_FILEIO_H
#define COMMON_FILEIO_H

#include <stddef.h>

/* Writes all of data to fd, retrying short writes and EINTR. Returns 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/* fsyncs a directory, making renames and creations in it durable. Returns 0 or -errno. */
int fsync_dir(const char *dir);
/* Writes path.tmp (mode 0600), fsyncs it, renames it over path and fsyncs the directory.
 * Returns 0, or -errno with path left as it was. */
int file_write_atomic(const char *path, const void *data, size_t len);

#endif
