// Picks a mode's answer text out of streamed chunks: the function's argument deltas, or the content,
// skipping a markdown fence around the JSON.

import Foundation

/// The answer text of a streamed completion, piece by piece.
struct StreamedAnswer {
    private let mode: Mode
    /// For markdown JSON: text held back until the JSON starts.
    private var preamble = ""
    private var started = false

    init(mode: Mode) {
        self.mode = mode
        started = mode != .mdJSON
    }

    /// The answer text `chunk` adds.
    mutating func text(in chunk: ChatCompletionChunk) -> String {
        guard let delta = chunk.choices.first(where: { $0.index == 0 }) ?? chunk.choices.first else { return "" }
        if mode == .tools {
            return delta.toolCalls.filter { $0.index == 0 }.compactMap(\.arguments).joined()
        }
        let content = delta.content ?? ""
        guard !started else { return content }
        // Markdown: the JSON starts after a ``` fence line, or at the first bracket without one.
        preamble += content
        if let fence = preamble.range(of: "```") {
            guard let lineEnd = preamble[fence.upperBound...].firstIndex(of: "\n") else { return "" }
            started = true
            return String(preamble[preamble.index(after: lineEnd)...])
        }
        if let bracket = preamble.firstIndex(where: { $0 == "{" || $0 == "[" }) {
            started = true
            return String(preamble[bracket...])
        }
        return ""
    }
}
