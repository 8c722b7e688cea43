// The command line of one command, declared once: what it parses (options with values, flags,
// positional arguments) and the help it prints from the same declaration.

/// The arguments one command takes, and their parsing.
///
/// Options are long (`--name`); one that takes a value is written `--name value` or `--name=value`,
/// a flag alone (`--json`). `--help` (or `-h`) anywhere asks for the command's help; `--` ends the
/// options, so that a positional argument may begin with a dash. Every mistake is a usage error that
/// says what was expected.
struct ArgumentParser: Sendable {
    /// One option the command takes.
    struct Option: Sendable {
        /// The name, without the leading dashes.
        let name: String
        /// What its value is called in the help (`N`, `PATH`), or `nil` for a flag.
        let value: String?
        /// One line on what it does.
        let help: String

        /// The option as the help shows it: `--limit N`, `--json`.
        var spelled: String { "--" + name + (value.map { " " + $0 } ?? "") }
    }

    /// What was given on the command line.
    struct Parsed: Sendable {
        /// The values of the options given, by name.
        fileprivate(set) var values: [String: String] = [:]
        /// The flags given.
        fileprivate(set) var flags: Set<String> = []
        /// The positional arguments, in order.
        fileprivate(set) var positionals: [String] = []
        /// The command, for usage errors about a value.
        let command: String

        /// The value of the option `name`, if it was given.
        func value(_ name: String) -> String? { values[name] }

        /// Whether the flag `name` was given.
        func isSet(_ name: String) -> Bool { flags.contains(name) }

        /// The value of the option `name` as a whole number of at least `minimum`.
        ///
        /// - Throws: A usage error when the value is not such a number.
        func integer(_ name: String, minimum: Int = 0) throws(ToolError) -> Int? {
            guard let text = values[name] else { return nil }
            guard let number = Int(text), number >= minimum else {
                throw .usage("--\(name) expects a whole number of at least \(minimum), got '\(text)'", command: command)
            }
            return number
        }

        /// The value of the option `name` as a duration (`90s`, `10m`, `2h`, `7d`).
        ///
        /// - Throws: A usage error when the value is not a duration.
        func duration(_ name: String) throws(ToolError) -> Duration? {
            guard let text = values[name] else { return nil }
            guard let duration = DurationText.parse(text) else {
                throw .usage(
                    "--\(name) expects a duration such as 90s, 10m, 2h or 7d, got '\(text)'", command: command)
            }
            return duration
        }
    }

    /// The command's name (`list`), empty for the tool itself.
    let command: String
    /// One line on what the command does.
    let summary: String
    /// The usage lines, after the tool's name (`list (--disk PATH | --redis URL) [--json]`).
    let usage: [String]
    /// The positional arguments' names for messages (`KEY`), and how many may be given.
    let positionals: (name: String, count: ClosedRange<Int>)
    /// The options.
    let options: [Option]
    /// Paragraphs after the options: what the output holds, examples.
    let discussion: String

    /// - Parameters:
    ///   - command: The command's name.
    ///   - summary: One line on what it does.
    ///   - usage: The usage lines.
    ///   - positionals: The positional arguments' name and how many may be given.
    ///   - options: The options.
    ///   - discussion: Text for the end of the help.
    init(
        command: String, summary: String, usage: [String], positionals: (name: String, count: ClosedRange<Int>),
        options: [Option], discussion: String = ""
    ) {
        self.command = command
        self.summary = summary
        self.usage = usage
        self.positionals = positionals
        self.options = options
        self.discussion = discussion
    }

    /// The command's name as a user types it: `structured-cache list`.
    var invocation: String { command.isEmpty ? Self.tool : Self.tool + " " + command }

    /// The tool's name.
    static let tool = "structured-cache"

    /// Parses `arguments` (those after the command's name).
    ///
    /// - Returns: What was given, or `nil` when help was asked for.
    /// - Throws: A usage error: an unknown option, a missing or unexpected value, an option given twice,
    ///   too few or too many positional arguments.
    func parse(_ arguments: [String]) throws(ToolError) -> Parsed? {
        var parsed = Parsed(command: command)
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            if argument == "--help" || argument == "-h" { return nil }
            guard argument.hasPrefix("--") else {
                throw .usage(
                    "unknown option '\(argument)'; options are spelled --name (\(optionList))", command: command)
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inlineValue = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let option = options.first(where: { $0.name == name }) else {
                throw .usage(
                    "unknown option '--\(name)' for '\(invocation)'; expected one of \(optionList)", command: command)
            }
            guard parsed.values[name] == nil, !parsed.flags.contains(name) else {
                throw .usage("--\(name) is given twice", command: command)
            }
            guard let valueName = option.value else {
                if inlineValue != nil { throw .usage("--\(name) takes no value", command: command) }
                parsed.flags.insert(name)
                continue
            }
            if let inlineValue {
                parsed.values[name] = inlineValue
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                parsed.values[name] = arguments[index]
                index += 1
            } else {
                throw .usage("--\(name) expects a value (\(valueName))", command: command)
            }
        }
        let count = parsed.positionals.count
        if count < positionals.count.lowerBound {
            let expected =
                positionals.count.lowerBound == 1
                ? positionals.name : "\(positionals.count.lowerBound) \(positionals.name)"
            throw .usage("'\(invocation)' expects \(expected)", command: command)
        }
        if count > positionals.count.upperBound {
            let extra = parsed.positionals[positionals.count.upperBound]
            throw .usage(
                positionals.count.upperBound == 0
                    ? "'\(invocation)' takes no argument, got '\(extra)'"
                    : "'\(invocation)' takes at most \(positionals.count.upperBound) \(positionals.name), got '\(extra)'",
                command: command)
        }
        return parsed
    }

    /// The options' spellings, for messages.
    private var optionList: String {
        (options.map { "--" + $0.name } + ["--help"]).joined(separator: ", ")
    }

    /// The help text: summary, usage, options and discussion.
    var help: String {
        var text = "\(summary)\n\nUsage:\n"
        for line in usage { text += "  \(Self.tool) \(line)\n" }
        let rows = options.map { ($0.spelled, $0.help) } + [("--help", "Show this help.")]
        let width = rows.map(\.0.count).max() ?? 0
        text += "\nOptions:\n"
        for (spelled, help) in rows {
            text += "  " + spelled + String(repeating: " ", count: width - spelled.count + 2) + help + "\n"
        }
        if !discussion.isEmpty {
            text +=
                "\n"
                + discussion.split(separator: "\n", omittingEmptySubsequences: false).map(Self.wrapped)
                .joined(separator: "\n") + "\n"
        }
        return text
    }

    /// The width help text is wrapped to.
    static let width = 100

    /// `line` broken at spaces into lines of at most ``width`` characters; an indented line (an example,
    /// a sample of JSON) is kept as it is.
    static func wrapped(_ line: Substring) -> String {
        guard !line.hasPrefix(" "), line.count > width else { return String(line) }
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }
}
