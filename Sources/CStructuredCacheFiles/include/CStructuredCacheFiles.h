// File calls Swift cannot make through the C library: an open that resolves a path beneath a folder
// without following any symbolic link, and calls that never wait for the disk (they succeed only when
// the kernel already holds what they need, the path's directory entries and the file's pages, and fail
// with EAGAIN otherwise, so a caller may run them on a thread that must not block and fall back to a
// thread that may).
#ifndef CSTRUCTUREDCACHE_FILES_H
#define CSTRUCTUREDCACHE_FILES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens `path`, relative to the folder `directory`, read-only (close-on-exec, non-blocking), failing
/// with ELOOP if any component of it is a symbolic link and with EXDEV if it would leave the folder.
/// With `cached` non-zero, it also fails with EAGAIN unless every component is in the kernel's lookup
/// cache. Returns the descriptor, or -1 with errno: ENOSYS, EINVAL or EPERM when this kernel (or its
/// sandbox) has no such call, or no such `cached` mode; otherwise what open(2) reports (ENOENT,
/// ENOTDIR, ...).
int structuredcache_open_beneath(int directory, const char *path, int cached);

/// Reads up to `count` bytes at `offset` of `fd` only from pages already in memory. Returns the bytes
/// read (fewer than asked when only some were in memory, or at end of file), or -1 with errno: EAGAIN
/// when none were in memory; EOPNOTSUPP, ENOSYS or EINVAL when the call or the file system cannot do it.
long structuredcache_read_cached(int fd, void *buffer, size_t count, long long offset);

#ifdef __cplusplus
}
#endif

#endif
