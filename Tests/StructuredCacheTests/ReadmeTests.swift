// The Swift snippets of the README and of the documentation's articles are the compiled code of
// ReadmeSnippets.swift, line for line; and the figures they promise are what the code gives.

import Foundation
import Testing

struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The lines of `text`, without their indentation and without blank lines.
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The Swift code blocks of the Markdown file at `path` (relative to the package).
    static func swiftBlocks(_ path: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        return text.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
    }

    /// The articles of the documentation catalog.
    static var articles: [String] {
        let catalog = "Sources/StructuredCache/StructuredCache.docc"
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(catalog).path)) ?? []
        return names.filter { $0.hasSuffix(".md") }.sorted().map { catalog + "/" + $0 }
    }

    @Test func everySwiftSnippetIsCompiledCode() throws {
        let compiled = Self.lines(
            try String(
                contentsOf: Self.root.appendingPathComponent("Tests/StructuredCacheTests/Support/ReadmeSnippets.swift"),
                encoding: .utf8))
        #expect(try Self.swiftBlocks("README.md").count >= 8)
        #expect(Self.articles.count >= 8, "the landing page and seven articles")
        let blocks = try (["README.md"] + Self.articles).flatMap { try Self.swiftBlocks($0) }
        for block in blocks {
            let snippet = Self.lines(block).filter { !$0.hasPrefix("import ") }
            // Installation's Package.swift lines are not app code.
            if snippet.first?.hasPrefix("dependencies:") == true { continue }
            let found = compiled.indices.contains { start in
                compiled[start...].starts(with: snippet)
            }
            #expect(found, "snippet not found verbatim in ReadmeSnippets.swift:\n\(block)")
        }
    }

    @Test func theSnippetsGiveWhatTheirCommentsSay() throws {
        #expect(try ReadmeSnippets.key() == "2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe")
        let schema = try ReadmeSnippets.schema()
        #expect(
            schema.hasPrefix(#"{"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}}"#))
        #expect(schema.hasSuffix(#""required": ["name", "address"], "title": "Person", "type": "object"}"#))
    }
}
