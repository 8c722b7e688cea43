// Where the tool writes: results on standard output, errors and progress on standard error.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The tool's standard output and standard error.
enum Console {
    /// Writes `text` and a line break to standard output.
    ///
    /// - Parameter text: A result: a table, JSON, a key.
    static func print(_ text: String = "") {
        write(text + "\n", to: 1)
    }

    /// Writes `text` and a line break to standard error.
    ///
    /// - Parameter text: An error, a warning, a note beside the results.
    static func printError(_ text: String) {
        write(text + "\n", to: 2)
    }

    /// Writes `text` to standard error as it is (no line break), for a progress bar.
    ///
    /// - Parameter text: The text.
    static func writeError(_ text: String) {
        write(text, to: 2)
    }

    /// Whether standard error is a terminal (where a progress bar may be drawn).
    static var errorIsTerminal: Bool { isatty(2) == 1 }

    /// Writes every byte of `text` to the descriptor `fd`, unbuffered, so that output and errors keep
    /// their order and nothing is lost at exit.
    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                #if canImport(Darwin)
                    let written = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #elseif canImport(Glibc)
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                    let written = Musl.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // nothing more can be written (a closed pipe, where SIGPIPE is ignored)
                }
            }
        }
    }
}
