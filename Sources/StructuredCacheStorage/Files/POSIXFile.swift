// Thin, EINTR-safe wrappers over the POSIX calls DiskCache makes (and the descriptor close RedisCache
// shares), and the mapping of errno to CacheError.

internal import CStructuredCacheFiles
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// POSIX file calls that retry on `EINTR` and report failures as ``CacheError``.
enum POSIXFile {
    /// Opens `path`, retrying when interrupted; returns the descriptor or -1 with `errno` set.
    static func open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            #if canImport(Darwin)
                let fd = Darwin.open(path, flags, mode)
            #elseif canImport(Glibc)
                let fd = Glibc.open(path, flags, mode)
            #else
                let fd = Musl.open(path, flags, mode)
            #endif
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// Opens `name` relative to the folder `directory`, retrying when interrupted; returns the descriptor
    /// or -1 with `errno` set.
    static func open(at directory: Int32, _ name: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            let fd = openat(directory, name, flags, mode)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// Makes the descriptor number `descriptor` refer to what `fresh` refers to, atomically (`dup2`), so
    /// that a thread using the number at that moment sees the old file or the new one, never a closed
    /// or reused descriptor; `fresh` stays open for the caller to close.
    static func replace(_ descriptor: Int32, with fresh: Int32) {
        while dup2(fresh, descriptor) < 0, errno == EINTR {}
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// Closes `fd`, ignoring errors: every descriptor closed here (files, sockets) is read-only, already
    /// fully written, or being abandoned.
    static func close(_ fd: Int32) {
        #if canImport(Darwin)
            _ = Darwin.close(fd)
        #elseif canImport(Glibc)
            _ = Glibc.close(fd)
        #else
            _ = Musl.close(fd)
        #endif
    }

    /// Reads up to `count` bytes at `offset`, looping over short reads; returns the bytes read (fewer only
    /// at end of file) or -1 with `errno` set.
    ///
    /// With `waiting` false it reads only pages already in memory: it also returns fewer bytes when the
    /// rest would have to come from the disk, and -1 when nothing could be read (`EAGAIN`: not in memory;
    /// `EOPNOTSUPP`, `ENOSYS` or `EINVAL`: not possible here).
    static func read(
        _ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int, waiting: Bool = true
    ) -> Int {
        var done = 0
        while done < count {
            let result =
                waiting
                ? pread(fd, buffer + done, count - done, off_t(offset + done))
                : structuredcache_read_cached(fd, buffer + done, count - done, Int64(offset + done))
            if result > 0 {
                done += result
            } else if result == 0 {
                break
            } else if !waiting {
                return done > 0 ? done : -1
            } else if errno != EINTR {
                return -1
            }
        }
        return done
    }

    /// Writes every byte of `first` then `second`, looping over short writes; returns false with `errno`
    /// set on failure.
    static func writeAll(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Bool {
        var parts = [first, second].filter { $0.count > 0 }
        while !parts.isEmpty {
            var vectors = parts.map {
                iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
            }
            let written = writev(fd, &vectors, Int32(vectors.count))
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            var remaining = written
            while remaining > 0, let head = parts.first {
                if remaining >= head.count {
                    remaining -= head.count
                    parts.removeFirst()
                } else {
                    parts[0] = UnsafeRawBufferPointer(rebasing: head[remaining...])
                    remaining = 0
                }
            }
            parts.removeAll { $0.count == 0 }
        }
        return true
    }

    /// The file status of `fd`, or nil with `errno` set.
    static func status(_ fd: Int32) -> stat? {
        var info = stat()
        return fstat(fd, &info) == 0 ? info : nil
    }

    /// The status of `path` itself (a symbolic link is not followed), or nil with `errno` set.
    static func linkStatus(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// The status of `name` itself in the folder `directory` (a symbolic link is not followed), or nil with
    /// `errno` set.
    static func status(_ name: UnsafePointer<CChar>, in directory: Int32) -> stat? {
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    /// Whether `current` describes the same file as `earlier`, unchanged since (a file rewritten in place
    /// has a later change time).
    static func isSameFile(_ current: stat, _ earlier: stat) -> Bool {
        current.st_ino == earlier.st_ino && current.st_dev == earlier.st_dev
            && changeTime(current) == changeTime(earlier)
    }

    /// Whether `info` describes a regular file.
    static func isRegularFile(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `info` describes a symbolic link.
    static func isSymbolicLink(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Whether `info` describes a directory.
    static func isDirectory(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The status change time in `info`, as seconds and nanoseconds.
    static func changeTime(_ info: stat) -> (Int, Int) {
        #if canImport(Darwin)
            (Int(info.st_ctimespec.tv_sec), Int(info.st_ctimespec.tv_nsec))
        #else
            (Int(info.st_ctim.tv_sec), Int(info.st_ctim.tv_nsec))
        #endif
    }

    /// The modification time in `info`, in milliseconds since the Unix epoch.
    static func modificationMilliseconds(_ info: stat) -> Int64 {
        #if canImport(Darwin)
            let time = info.st_mtimespec
        #else
            let time = info.st_mtim
        #endif
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Creates `path` as a directory with `mode` (the umask may narrow it); an existing directory (or a
    /// link to one) is fine.
    ///
    /// - Returns: 0, or the `errno` of the failure.
    static func makeDirectory(_ path: String, mode: mode_t) -> Int32 {
        if mkdir(path, mode) == 0 { return 0 }
        let error = errno
        var info = stat()
        if error == EEXIST, stat(path, &info) == 0, isDirectory(info) { return 0 }
        return error
    }

    /// Creates `path` and any missing parents, each with `mode`.
    ///
    /// - Returns: 0, or the `errno` of the failure.
    static func makeDirectories(_ path: String, mode: mode_t) -> Int32 {
        let code = makeDirectory(path, mode: mode)
        guard code == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return code }
        let parentCode = makeDirectories(String(path[..<slash]), mode: mode)
        return parentCode == 0 ? makeDirectory(path, mode: mode) : parentCode
    }

    /// The CacheError for a failed system call.
    ///
    /// - Parameters:
    ///   - code: The `errno` value.
    ///   - operation: What was being done, for the message.
    ///   - path: The path involved.
    static func error(_ code: Int32, _ operation: String, _ path: String) -> CacheError {
        let underlying = POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        let reason = String(cString: strerror(code))
        switch code {
        case EACCES, EPERM, EROFS:
            return .permissionDenied("cannot \(operation) \(path): \(reason)", underlying: underlying)
        default:
            return .ioFailure("cannot \(operation) \(path): \(reason)", underlying: underlying)
        }
    }
}
