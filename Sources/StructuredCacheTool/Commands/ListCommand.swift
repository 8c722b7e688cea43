// `structured-cache list`: one row per entry of a cache.

import Foundation
import StructuredCacheCore

/// Lists a cache's entries.
enum ListCommand: ToolCommand {
    static let arguments = ArgumentParser(
        command: "list",
        summary: "List a cache's entries: key, bytes, expiry, age, model and response type.",
        usage: ["list \(CacheSource.usage) [--limit N] [--json]"],
        positionals: ("", 0...0),
        options: CacheSource.options + [
            .init(name: "limit", value: "N", help: "List the first N entries only."),
            .init(name: "json", value: nil, help: "Write JSON, for scripts."),
        ],
        discussion: """
            Entries come newest first (by key in Redis, which keeps no write time). EXPIRES is the time \
            left, or how long ago the entry expired (a DiskCache entry stays until it is read, swept or \
            purged); AGE the time since it was written. MODEL and TYPE are "?" where the stored value does \
            not tell. With --json: {"entries": [{"key", "bytes", "expires", "expired", "modified", \
            "model", "responseType"}], "total"}, dates in ISO 8601 (UTC), unknowns null.

            \(CacheSource.discussion)

            Example:
              \(ArgumentParser.tool) list --disk .structured_cache --limit 20
            """)

    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError) {
        let limit = try arguments.integer("limit")
        let source = try CacheSource.open(arguments)
        defer { source.close() }
        let (entries, _) = try await source.entries()
        let now = Date()
        let all = CacheEntry.ordered(entries)
        let shown = limit.map { Array(all.prefix($0)) } ?? all
        if arguments.isSet("json") {
            JSONOutput.print(["entries": .array(shown.map { $0.json(at: now) }), "total": .int(all.count)])
            return
        }
        guard !all.isEmpty else {
            Console.print("no entries in \(source.description)")
            return
        }
        var table = TextTable(CacheEntry.columns)
        for entry in shown { table.add(entry.row(at: now)) }
        Console.print(table.text)
        if shown.count < all.count {
            Console.print(
                "… \(NumberText.grouped(all.count - shown.count)) more (\(NumberText.grouped(all.count)) in all)")
        }
    }
}
