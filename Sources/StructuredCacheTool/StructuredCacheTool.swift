// structured-cache: what is in a StructuredCache cache (a DiskCache folder, a Redis prefix), purging
// it, and the keys requests get. Exit status 0 on success, 1 for a failure, 2 for a wrong command line.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The command-line tool: finds the command, runs it, and turns its errors into messages and exit
/// statuses.
@main
enum StructuredCacheTool {
    /// One command: its arguments, and what runs it.
    struct Command: Sendable {
        let arguments: ArgumentParser
        let run: @Sendable (ArgumentParser.Parsed) async throws(ToolError) -> Void

        init<Declared: ToolCommand>(_ declared: Declared.Type) {
            arguments = declared.arguments
            run = { parsed throws(ToolError) in try await declared.run(parsed) }
        }
    }

    /// The commands, in the order the help lists them.
    static let commands = [
        Command(StatsCommand.self), Command(ListCommand.self), Command(ShowCommand.self), Command(PurgeCommand.self),
        Command(KeyCommand.self),
    ]

    static func main() async {
        do {
            try await run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            Console.printError("\(ArgumentParser.tool): error: \(error.message)")
            if error.kind == .usage {
                let command = error.command.map { " " + $0 } ?? ""
                Console.printError("Run '\(ArgumentParser.tool)\(command) --help' for usage.")
            }
            exit(error.exitStatus)
        }
    }

    /// Runs the command `arguments` name.
    ///
    /// - Throws: What the command throws; a usage error when no command or an unknown one is named.
    static func run(_ arguments: [String]) async throws(ToolError) {
        guard let name = arguments.first else {
            Console.printError(help)
            exit(2)
        }
        if name == "--help" || name == "-h" {
            Console.print(help)
            return
        }
        if name == "help" {
            guard let topic = arguments.dropFirst().first else {
                Console.print(help)
                return
            }
            Console.print(try command(named: topic).arguments.help)
            return
        }
        let command = try command(named: name)
        guard let parsed = try command.arguments.parse(Array(arguments.dropFirst())) else {
            Console.print(command.arguments.help)
            return
        }
        try await command.run(parsed)
    }

    /// The command called `name`.
    ///
    /// - Throws: A usage error naming the commands there are.
    private static func command(named name: String) throws(ToolError) -> Command {
        guard let command = commands.first(where: { $0.arguments.command == name }) else {
            let names = commands.map(\.arguments.command).joined(separator: ", ")
            throw .usage(
                name.hasPrefix("-")
                    ? "expected a command (\(names)) before the option '\(name)'"
                    : "unknown command '\(name)'; the commands are \(names)")
        }
        return command
    }

    /// The tool's help: its commands and exit statuses.
    static var help: String {
        let width = commands.map(\.arguments.command.count).max() ?? 0
        let list = commands.map { command in
            let name = command.arguments.command
            return "  " + name + String(repeating: " ", count: width - name.count + 2) + command.arguments.summary
        }
        let text = """
            \(ArgumentParser.tool): what a StructuredCache cache holds (a DiskCache folder, or the keys under a \
            Redis prefix), purging it, and the cache keys requests get.

            Usage:
              \(ArgumentParser.tool) <command> [options]
              \(ArgumentParser.tool) <command> --help
              \(ArgumentParser.tool) help [<command>]

            Commands:
            \(list.joined(separator: "\n"))

            Exit status: 0 on success; 1 when the work failed (no such entry, a cache that cannot be read); \
            2 for a command line that is wrong.
            """
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(ArgumentParser.wrapped)
            .joined(separator: "\n")
    }
}
