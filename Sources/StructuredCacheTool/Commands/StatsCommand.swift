// `structured-cache stats`: what a cache holds, counted: entries, bytes, expired entries, the oldest and
// newest, and the entries by LLM model and by response type.

import Foundation
import StructuredCacheCore

/// Counts a cache's entries.
enum StatsCommand: ToolCommand {
    static let arguments = ArgumentParser(
        command: "stats",
        summary: "Count a cache's entries: bytes, expired entries, oldest and newest, by model and by response type.",
        usage: ["stats \(CacheSource.usage) [--json]"],
        positionals: ("", 0...0),
        options: CacheSource.options + [.init(name: "json", value: nil, help: "Write JSON, for scripts.")],
        discussion: """
            Bytes are file sizes for a DiskCache folder (header, key and value: what maxBytes counts) and \
            value sizes in Redis. The model is the one the stored completion names, the response type the \
            function the answer was asked through in tools mode; "?" where the stored value does not tell \
            (another mode, or no completion stored). Files of a DiskCache folder that are not readable \
            entries are counted as skipped.

            \(CacheSource.discussion)

            Examples:
              \(ArgumentParser.tool) stats --disk .structured_cache
              \(ArgumentParser.tool) stats --redis redis://localhost:6379 --prefix myapp:llm: --json
            """)

    /// Entries and bytes of one model or response type.
    private struct Group {
        var entries = 0
        var bytes = 0
    }

    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError) {
        let source = try CacheSource.open(arguments)
        defer { source.close() }
        let (entries, skipped) = try await source.entries()
        let now = Date()
        let bytes = entries.reduce(0) { $0 + $1.bytes }
        let expired = entries.count { $0.isExpired(at: now) }
        let dates = entries.compactMap(\.modified)
        var models: [String: Group] = [:]
        var types: [String: Group] = [:]
        for entry in entries {
            models[entry.model ?? CacheEntry.unknown, default: Group()].entries += 1
            models[entry.model ?? CacheEntry.unknown, default: Group()].bytes += entry.bytes
            types[entry.responseType ?? CacheEntry.unknown, default: Group()].entries += 1
            types[entry.responseType ?? CacheEntry.unknown, default: Group()].bytes += entry.bytes
        }
        /// Largest group first, then by name.
        func ordered(_ groups: [String: Group]) -> [(name: String, group: Group)] {
            groups.map { ($0.key, $0.value) }.sorted {
                $0.group.entries != $1.group.entries ? $0.group.entries > $1.group.entries : $0.name < $1.name
            }
        }

        if arguments.isSet("json") {
            func object(_ groups: [String: Group]) -> JSONValue {
                var object = JSONObject()
                for (name, group) in ordered(groups) {
                    object[name] = ["entries": .int(group.entries), "bytes": .int(group.bytes)]
                }
                return .object(object)
            }
            JSONOutput.print([
                "cache": .string(source.description), "entries": .int(entries.count), "bytes": .int(bytes),
                "expired": .int(expired), "oldest": JSONOutput.timestamp(dates.min()),
                "newest": JSONOutput.timestamp(dates.max()), "models": object(models),
                "responseTypes": object(types), "skipped": .int(skipped),
            ])
            return
        }

        var summary = TextTable([("", .left), ("", .left)], showsHeaders: false)
        summary.add(["cache", source.description])
        summary.add(["entries", NumberText.grouped(entries.count)])
        summary.add(["bytes", "\(NumberText.grouped(bytes)) (\(NumberText.bytes(bytes)))"])
        summary.add(["expired", NumberText.grouped(expired)])
        for (label, date) in [("oldest", dates.min()), ("newest", dates.max())] {
            guard let date else { continue }
            let ago = DurationText.format(seconds: now.timeIntervalSince(date))
            summary.add([label, "\(ago) ago (\(JSONOutput.timestamp(date).stringValue ?? ""))"])
        }
        if skipped > 0 { summary.add(["skipped files", NumberText.grouped(skipped)]) }
        var text = summary.text
        for (title, groups) in [("model", models), ("response type", types)] where !groups.isEmpty {
            var table = TextTable([(title, .left), ("entries", .right), ("bytes", .right)])
            for (name, group) in ordered(groups) {
                table.add([name, NumberText.grouped(group.entries), NumberText.grouped(group.bytes)])
            }
            text += "\n\n" + table.text
        }
        Console.print(text)
    }
}
