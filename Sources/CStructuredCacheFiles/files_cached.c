// Linux: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (5.6), RESOLVE_CACHED (5.12), and preadv2(2)
// with RWF_NOWAIT (buffered reads: 5.9). Elsewhere both report ENOSYS and the caller takes its portable
// path.

#if defined(__linux__)
#define _GNU_SOURCE
#endif

#include "CStructuredCacheFiles.h"

#include <errno.h>

#if defined(__linux__)
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20
#endif
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

// The layout of struct open_how (linux/openat2.h), spelled out so older kernel headers build too.
struct structuredcache_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

int structuredcache_open_beneath(int directory, const char *path, int cached) {
    struct structuredcache_open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
        .mode = 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | (cached ? RESOLVE_CACHED : 0),
    };
    long fd;
    do {
        fd = syscall(SYS_openat2, directory, path, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return (int)fd;
}

long structuredcache_read_cached(int fd, void *buffer, size_t count, long long offset) {
    struct iovec vector = {.iov_base = buffer, .iov_len = count};
    ssize_t result;
    do {
        result = preadv2(fd, &vector, 1, (off_t)offset, RWF_NOWAIT);
    } while (result < 0 && errno == EINTR);
    return (long)result;
}

#else

int structuredcache_open_beneath(int directory, const char *path, int cached) {
    (void)directory;
    (void)path;
    (void)cached;
    errno = ENOSYS;
    return -1;
}

long structuredcache_read_cached(int fd, void *buffer, size_t count, long long offset) {
    (void)fd;
    (void)buffer;
    (void)count;
    (void)offset;
    errno = ENOSYS;
    return -1;
}

#endif
