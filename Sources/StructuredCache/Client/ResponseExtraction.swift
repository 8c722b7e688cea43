// Reads the answer's JSON out of a completion for a mode, and writes the messages that ask again
// after a failed attempt, as Instructor 1.16 does for OpenAI.

/// Where a mode's answer is, and how to ask again.
enum ResponseExtraction {
    /// A completion that holds no answer to decode (no tool call, no content): worth asking again.
    struct MissingAnswer: Error, CustomStringConvertible {
        let description: String
    }

    /// The answer's JSON text in `completion`.
    ///
    /// - Throws: ``ClientError`` for a refusal or a cut-off answer (asking again would not help);
    ///   ``MissingAnswer`` when the completion holds no answer.
    static func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String {
        guard let choice = completion.choices.first else {
            throw MissingAnswer(description: "the completion has no choices")
        }
        if choice.finishReason == "length" {
            throw ClientError(
                .incompleteOutput, "the model stopped at its token limit before finishing the answer",
                attempts: [.init(error: MissingAnswer(description: "finish_reason length"), completion: completion)])
        }
        if let refusal = choice.message.refusal {
            throw ClientError(
                .refusal, "the model refused to answer: \(refusal)",
                attempts: [.init(error: MissingAnswer(description: refusal), completion: completion)])
        }
        switch mode {
        case .tools:
            guard let call = choice.message.toolCalls?.first else {
                throw MissingAnswer(description: "the model did not call the function")
            }
            return call.arguments
        case .mdJSON:
            return lastJSONBlock(in: choice.message.content?.text ?? "")
        default:
            return choice.message.content?.text ?? ""
        }
    }

    /// Instructor's `extract_json_from_codeblock`: the last span that starts with `{` or `[`, balances
    /// its brackets (outside strings) and parses as JSON; the whole text when there is none. The last
    /// rather than the first, so that JSON quoted from the prompt cannot stand in for the answer.
    ///
    /// - Parameters:
    ///   - text: The answer's text.
    ///   - allowingControlCharacters: Whether a span whose strings hold raw control characters counts
    ///     (as Python's `json.loads(strict=False)` reads it); the span is then returned with them
    ///     escaped.
    /// - Returns: The span, or the whole text.
    static func lastJSONBlock(in text: String, allowingControlCharacters: Bool = false) -> String {
        let characters = Array(text.unicodeScalars)
        var candidates: [String] = []
        var searchIndex = 0
        while searchIndex < characters.count {
            guard let start = characters[searchIndex...].firstIndex(where: { $0 == "{" || $0 == "[" }) else { break }
            var closers: [Unicode.Scalar] = [characters[start] == "{" ? "}" : "]"]
            var inString = false
            var escaped = false
            var found = false
            var index = start + 1
            scan: while index < characters.count {
                let character = characters[index]
                if escaped {
                    escaped = false
                } else if character == "\\" && inString {
                    escaped = true
                } else if character == "\"" {
                    inString.toggle()
                }
                if !inString {
                    if character == "{" || character == "[" {
                        closers.append(character == "{" ? "}" : "]")
                    } else if character == closers.last {
                        closers.removeLast()
                        if closers.isEmpty {
                            var scalars = String.UnicodeScalarView()
                            scalars.append(contentsOf: characters[start...index])
                            var candidate = String(scalars)
                            if allowingControlCharacters { candidate = escapingControlCharactersInStrings(candidate) }
                            if (try? JSONValue(parsing: candidate)) != nil {
                                candidates.append(candidate)
                                searchIndex = index + 1
                                found = true
                            }
                            break scan
                        }
                    }
                }
                index += 1
            }
            if !found { searchIndex = start + 1 }
        }
        return candidates.last ?? text
    }

    /// `text` with every control character (U+0000 to U+001F) inside a JSON string escaped, so that a
    /// strict JSON reader reads what Python's `json.loads(text, strict=False)` reads.
    static func escapingControlCharactersInStrings(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 }) else { return text }
        var result = String.UnicodeScalarView()
        var inString = false
        var escaped = false
        for scalar in text.unicodeScalars {
            if inString, scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                result.append(contentsOf: "\\u00\(hex.count == 1 ? "0" : "")\(hex)".unicodeScalars)
                escaped = false
                continue
            }
            if escaped {
                escaped = false
            } else if scalar == "\\" && inString {
                escaped = true
            } else if scalar == "\"" {
                inString.toggle()
            }
            result.append(scalar)
        }
        return String(result)
    }

    /// The messages Instructor appends to ask again after `error`.
    static func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage] {
        let problem = describe(error)
        guard let message = completion.message else {
            return [.user("Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors")]
        }
        var assistant = ChatMessage(role: message.role, content: .text(message.content?.text ?? ""))
        switch mode {
        case .tools:
            assistant.toolCalls = message.toolCalls
            let text = "Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors"
            guard let calls = message.toolCalls, !calls.isEmpty else { return [assistant, .user(text)] }
            return [assistant]
                + calls.map { ChatMessage(role: .tool, content: .text(text), name: $0.name, toolCallID: $0.id) }
        default:
            return [assistant, .user("Correct your JSON ONLY RESPONSE, based on the following errors:\n\(problem)")]
        }
    }

    /// A description of a decoding or validation error the model can act on: which field, what is wrong.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let names = keys.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return names.isEmpty ? "(the whole answer)" : names.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context, key)): field required"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type); \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}
