// `structured-cache purge`: removes the entries that match every filter given, or says which it would.

import Foundation

/// Removes entries of a cache.
enum PurgeCommand: ToolCommand {
    static let arguments = ArgumentParser(
        command: "purge",
        summary: "Remove the entries that match every filter given, or with --dry-run list them.",
        usage: [
            "purge \(CacheSource.usage) (--expired | --older-than DURATION | --model NAME)… [--dry-run]",
            "purge \(CacheSource.usage) --all [--dry-run]",
        ],
        positionals: ("", 0...0),
        options: CacheSource.options + [
            .init(name: "expired", value: nil, help: "Entries that have expired."),
            .init(
                name: "older-than", value: "DURATION",
                help: "Entries written longer ago than DURATION (90s, 10m, 2h, 7d, 1h30m); DiskCache only."),
            .init(name: "model", value: "NAME", help: "Entries whose stored completion names the model NAME."),
            .init(name: "all", value: nil, help: "Every entry (alone: it takes no other filter)."),
            .init(name: "dry-run", value: nil, help: "List what would be removed, and remove nothing."),
        ],
        discussion: """
            At least one filter is needed; an entry is removed when it matches all of them. A DiskCache \
            file written again since it was read is left alone. Redis keys are found with SCAN on the \
            prefix (never KEYS or FLUSHDB) and removed with UNLINK; a key rewritten in between is removed \
            all the same. On a terminal, a progress bar on standard error follows long purges.

            \(CacheSource.discussion)

            Examples:
              \(ArgumentParser.tool) purge --disk .structured_cache --older-than 7d --dry-run
              \(ArgumentParser.tool) purge --redis redis://localhost:6379 --model gpt-4o-mini
            """)

    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError) {
        let filters = ["expired", "older-than", "model", "all"].filter {
            arguments.isSet($0) || arguments.value($0) != nil
        }
        guard !filters.isEmpty else {
            throw .usage(
                "'\(ArgumentParser.tool) purge' needs a filter: --expired, --older-than DURATION, --model NAME or --all",
                command: "purge")
        }
        guard !arguments.isSet("all") || filters.count == 1 else {
            throw .usage("--all takes no other filter", command: "purge")
        }
        guard arguments.value("prefix") != "" else {
            throw .usage("purge needs a non-empty --prefix: it would walk the whole database", command: "purge")
        }
        let olderThan = try arguments.duration("older-than")
        let model = arguments.value("model")
        let source = try CacheSource.open(arguments)
        defer { source.close() }
        if olderThan != nil, !source.knowsAge {
            throw .usage("--older-than needs write times, which Redis does not keep", command: "purge")
        }
        let (entries, _) = try await source.entries()
        let now = Date()
        let matching = CacheEntry.ordered(entries).filter { entry in
            if arguments.isSet("expired"), !entry.isExpired(at: now) { return false }
            if let olderThan, (entry.age(at: now) ?? 0) <= olderThan.timeInterval { return false }
            if let model, entry.model != model { return false }
            return true
        }
        let bytes = matching.reduce(0) { $0 + $1.bytes }
        let counted = "\(NumberText.grouped(matching.count)) of \(NumberText.grouped(entries.count)) entries"
        if arguments.isSet("dry-run") {
            if !matching.isEmpty {
                var table = TextTable(CacheEntry.columns)
                for entry in matching { table.add(entry.row(at: now)) }
                Console.print(table.text)
            }
            Console.print("would remove \(counted) (\(NumberText.grouped(bytes)) bytes) from \(source.description)")
            return
        }
        let progress = ProgressBar("removing", total: matching.count)
        let removed = try await source.remove(matching, progress: progress)
        progress.finish()
        Console.print(
            "removed \(NumberText.grouped(removed.count)) of \(NumberText.grouped(entries.count)) entries "
                + "(\(NumberText.grouped(removed.bytes)) bytes) from \(source.description)")
        if removed.count < matching.count {
            Console.printError(
                "\(NumberText.grouped(matching.count - removed.count)) matching entries were written again or removed "
                    + "since they were read, and were left alone")
        }
    }
}
