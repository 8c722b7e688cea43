// Why a command did not do what it was asked: a usage error (exit status 2) or a failure (exit status 1).

/// A failure of `structured-cache`, with the exit status it ends the process with.
struct ToolError: Error, CustomStringConvertible {
    /// What kind of failure.
    enum Kind {
        /// The command line is wrong: exit status 2, with a pointer to the command's help.
        case usage
        /// The command could not do its work (no such entry, a cache that cannot be read): exit status 1.
        case failure
    }

    let kind: Kind
    /// What went wrong, for people; never a credential.
    let message: String
    /// The command whose help a usage error points to (`list`), or `nil` for the tool's.
    let command: String?

    /// A usage error.
    ///
    /// - Parameters:
    ///   - message: What was expected, and what was given.
    ///   - command: The command whose help explains the usage; `nil` for the tool's.
    static func usage(_ message: String, command: String? = nil) -> ToolError {
        ToolError(kind: .usage, message: message, command: command)
    }

    /// A failure to do the work.
    ///
    /// - Parameter message: What failed.
    static func failure(_ message: String) -> ToolError {
        ToolError(kind: .failure, message: message, command: nil)
    }

    /// The process's exit status for this error.
    var exitStatus: Int32 { kind == .usage ? 2 : 1 }

    var description: String { message }
}
