// What every command of the tool is: its declared arguments, and what it does with them.

/// One command of `structured-cache` (`stats`, `list`, `show`, `purge`, `key`).
protocol ToolCommand: Sendable {
    /// The command's arguments and help.
    static var arguments: ArgumentParser { get }

    /// Does the command's work, writing its results to standard output.
    ///
    /// - Parameter arguments: The parsed command line.
    /// - Throws: A ``ToolError``: a usage error, or a failure to do the work.
    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError)
}
