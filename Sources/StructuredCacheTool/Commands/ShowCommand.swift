// `structured-cache show KEY`: one entry's stored answer and completion, pretty-printed.

import Foundation
import StructuredCache
import StructuredCacheCore

/// Shows one entry.
enum ShowCommand: ToolCommand {
    static let arguments = ArgumentParser(
        command: "show",
        summary: "Show one entry: its stored answer and completion, pretty-printed.",
        usage: ["show KEY \(CacheSource.usage) [--json]"],
        positionals: ("KEY", 1...1),
        options: CacheSource.options + [.init(name: "json", value: nil, help: "Write JSON, for scripts.")],
        discussion: """
            KEY is an entry's key as list prints it, or the start of one that no other key shares. An \
            expired entry still in the cache is shown too. With --json: the entry's fields as list \
            writes them, and "answer" and "completion" as JSON (null when no completion was stored).

            \(CacheSource.discussion)

            Example:
              \(ArgumentParser.tool) show 2e2a9521bd26 --disk .structured_cache
            """)

    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError) {
        let key = arguments.positionals[0]
        let source = try CacheSource.open(arguments)
        defer { source.close() }
        guard let (entry, value) = try await find(key, in: source) else {
            throw .failure("no entry for key \(key) in \(source.description)")
        }
        let now = Date()
        let contents = CacheEntryContents(bytes: value)
        let answer = contents?.answerJSON ?? String(decoding: value, as: UTF8.self)
        let completion = contents?.completionJSON
        if arguments.isSet("json") {
            guard case .object(var object) = entry.json(at: now) else { return }
            object["answer"] = (try? JSONValue(parsing: answer)) ?? .string(answer)
            object["completion"] = completion.map { (try? JSONValue(parsing: $0)) ?? .string($0) } ?? .null
            JSONOutput.print(.object(object))
            return
        }
        var fields = TextTable([("", .left), ("", .left)], showsHeaders: false)
        fields.add(["key", entry.key])
        fields.add(["bytes", NumberText.grouped(entry.bytes)])
        let expires = entry.expiry.map { " (\(JSONOutput.timestamp($0).stringValue ?? ""))" } ?? ""
        fields.add(["expires", entry.expiryText(at: now) + expires])
        if let modified = entry.modified {
            fields.add([
                "written", "\(entry.ageText(at: now)) ago (\(JSONOutput.timestamp(modified).stringValue ?? ""))",
            ])
        }
        fields.add(["model", entry.model ?? CacheEntry.unknown])
        fields.add(["response type", entry.responseType ?? CacheEntry.unknown])
        var text = fields.text + "\n\nanswer:\n" + JSONOutput.pretty(answer) + "\n\ncompletion:\n"
        text += completion.map(JSONOutput.pretty) ?? "(none stored)"
        Console.print(text)
    }

    /// The entry of `key`, or of the one key that begins with it.
    ///
    /// - Throws: A failure when several keys begin with it, or the cache cannot be read.
    private static func find(_ key: String, in source: CacheSource) async throws(ToolError) -> (CacheEntry, Data)? {
        if let found = try await source.entry(forKey: key) { return found }
        guard !key.isEmpty else { return nil }
        let matches = try await source.keys().filter { $0.hasPrefix(key) }.sorted()
        guard matches.count <= 1 else {
            let shown = matches.prefix(5).joined(separator: ", ") + (matches.count > 5 ? ", …" : "")
            throw .failure("\(matches.count) keys begin with \(key): \(shown); give more of the key")
        }
        guard let match = matches.first else { return nil }
        return try await source.entry(forKey: match)
    }
}
