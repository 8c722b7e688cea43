// What the loopback test server answers: whole JSON bodies, OpenAI error bodies, invalid JSON,
// delays, event streams in scripted pieces, and connections cut or never answered.

package import StructuredCache

extension LocalChatServer {
    /// One HTTP header.
    package struct Header: Sendable, Hashable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One piece of a streamed body, written after a pause.
    package struct StreamPiece: Sendable {
        /// Bytes of the event stream.
        package var bytes: [UInt8]
        /// The pause before they are written.
        package var delay: Duration = .zero

        package init(bytes: [UInt8], delay: Duration = .zero) {
            self.bytes = bytes
            self.delay = delay
        }
    }

    /// How a streamed body is delimited.
    package enum StreamFraming: Sendable {
        /// `Transfer-Encoding: chunked`, one HTTP chunk per piece; the connection stays open after.
        case chunked
        /// No length: the body ends when the server closes the connection.
        case closeDelimited
    }

    /// A scripted answer to one request.
    package struct Reply: Sendable {
        /// What the body is and how it is sent.
        package enum Body: Sendable {
            /// A body with a `Content-Length`.
            case complete([UInt8])
            /// A `Content-Length` for all of the bytes, but only the first `sentBytes` sent before the
            /// connection closes.
            case truncated([UInt8], sentBytes: Int)
            /// A streamed body; `cut` closes the connection after the last piece without ending the body.
            case stream([StreamPiece], framing: StreamFraming, cut: Bool)
            /// The connection closes without any response.
            case noResponse
            /// No response at all until the client gives up or the server stops.
            case hang
        }

        /// The status code.
        package var status: Int = 200
        /// The headers besides the framing ones (`Content-Length`, `Transfer-Encoding`, `Connection`).
        package var headers: [Header] = []
        /// The body.
        package var body: Body
        /// A pause before anything is sent.
        package var delay: Duration = .zero

        /// The same reply, sent after a pause.
        package func delayed(by delay: Duration) -> Reply {
            var copy = self
            copy.delay = delay
            return copy
        }

        /// A JSON body.
        package static func json(_ value: JSONValue, status: Int = 200, headers: [String: String] = [:]) -> Reply {
            Reply(
                status: status,
                headers: [Header(name: "Content-Type", value: "application/json")] + sorted(headers),
                body: .complete(value.jsonBytes(.compact)))
        }

        /// A text body.
        package static func text(
            _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8",
            headers: [String: String] = [:]
        ) -> Reply {
            Reply(
                status: status, headers: [Header(name: "Content-Type", value: contentType)] + sorted(headers),
                body: .complete(Array(text.utf8)))
        }

        /// A completion whose message is `content`.
        package static func completion(
            content: String, model: String = "gpt-test", promptTokens: Int = 11, completionTokens: Int = 7
        ) -> Reply {
            .json(
                ChatPayload.completion(
                    content: content, model: model, promptTokens: promptTokens, completionTokens: completionTokens))
        }

        /// A completion whose message calls the tool `name` with `arguments`.
        package static func toolCall(name: String, arguments: String, callID: String = "call_test") -> Reply {
            .json(ChatPayload.toolCallCompletion(name: name, arguments: arguments, callID: callID))
        }

        /// An error status with an OpenAI error body `{"error": {"message", "type", "param", "code"}}`.
        package static func error(
            status: Int, message: String, type: String = "invalid_request_error", code: String? = nil,
            headers: [String: String] = [:]
        ) -> Reply {
            .json(
                [
                    "error": [
                        "message": .string(message), "type": .string(type), "param": nil,
                        "code": code.map(JSONValue.string) ?? nil,
                    ]
                ], status: status, headers: headers)
        }

        /// OpenAI's 401 for a wrong key, whose message echoes the key masked as OpenAI masks it.
        ///
        /// - Parameter key: The key the request sent (its `Authorization: Bearer` value).
        /// - Returns: `{"error": {"message": "Incorrect API key provided: sk-proj-****abcd. …",
        ///   "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}` with status 401.
        package static func invalidAPIKey(_ key: String) -> Reply {
            .error(
                status: 401,
                message: "Incorrect API key provided: \(maskedKey(key)). You can find your API key at "
                    + "https://platform.openai.com/account/api-keys.",
                type: "invalid_request_error", code: "invalid_api_key")
        }

        /// A key as OpenAI's error messages show it: its prefix (`sk-proj-`, `sk-`), a run of `*`, and
        /// its last four characters.
        package static func maskedKey(_ key: String) -> String {
            let prefix = ["sk-proj-", "sk-"].first { key.hasPrefix($0) } ?? ""
            guard key.count > prefix.count + 4 else { return String(repeating: "*", count: key.count) }
            return prefix + String(repeating: "*", count: key.count - prefix.count - 4) + key.suffix(4)
        }

        /// A 429 with OpenAI's rate-limit body and, when given, a `Retry-After` header.
        package static func rateLimited(retryAfter: String? = nil, headers: [String: String] = [:]) -> Reply {
            var headers = headers
            if let retryAfter { headers["Retry-After"] = retryAfter }
            return .error(
                status: 429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded",
                headers: headers)
        }

        /// A 200 whose JSON body breaks off.
        package static let invalidJSON = Reply.text(
            #"{"id": "chatcmpl-broken", "choices": [{"index": 0, "message": {"role": "#, contentType: "application/json"
        )

        /// The connection closes without a response.
        package static let closeConnection = Reply(body: .noResponse)

        /// No response until the client gives up or the server stops.
        package static let hang = Reply(body: .hang)

        /// Headers and the first `sentBytes` bytes of a completion, then the connection closes.
        package static func closedMidBody(sentBytes: Int = 20) -> Reply {
            Reply(
                headers: [Header(name: "Content-Type", value: "application/json")],
                body: .truncated(ChatPayload.completion(content: "cut short").jsonBytes(.compact), sentBytes: sentBytes)
            )
        }

        /// An event stream of `bytes`, written in pieces of `pieceSize` bytes (all at once when `nil`)
        /// with `delay` before each piece.
        package static func eventStream(
            _ bytes: [UInt8], pieceSize: Int? = nil, delay: Duration = .zero, cut: Bool = false,
            framing: StreamFraming = .chunked, headers: [String: String] = [:]
        ) -> Reply {
            let size = max(1, pieceSize ?? bytes.count)
            let pieces = stride(from: 0, to: bytes.count, by: size).map { start in
                StreamPiece(bytes: Array(bytes[start..<min(start + size, bytes.count)]), delay: delay)
            }
            return eventStream(pieces: pieces, cut: cut, framing: framing, headers: headers)
        }

        /// An event stream written as the given pieces.
        package static func eventStream(
            pieces: [StreamPiece], cut: Bool = false, framing: StreamFraming = .chunked,
            headers: [String: String] = [:]
        ) -> Reply {
            Reply(
                headers: [
                    Header(name: "Content-Type", value: "text/event-stream; charset=utf-8"),
                    Header(name: "Cache-Control", value: "no-cache"),
                ] + sorted(headers),
                body: .stream(pieces, framing: framing, cut: cut))
        }

        /// A stream of chunk payloads (``ChatPayload``), ended by `[DONE]` when `done`.
        package static func events(
            _ payloads: [JSONValue], done: Bool = true, pieceSize: Int? = nil, delay: Duration = .zero,
            cut: Bool = false, framing: StreamFraming = .chunked
        ) -> Reply {
            eventStream(
                ChatPayload.eventStream(payloads, done: done), pieceSize: pieceSize, delay: delay, cut: cut,
                framing: framing)
        }

        /// A streamed text answer made of `deltas`, with a usage chunk and `[DONE]`.
        package static func streamedCompletion(
            _ deltas: [String], done: Bool = true, pieceSize: Int? = nil, delay: Duration = .zero
        ) -> Reply {
            events(ChatPayload.contentChunks(deltas), done: done, pieceSize: pieceSize, delay: delay)
        }

        /// A streamed tool call to `name` whose arguments arrive as `argumentDeltas`.
        package static func streamedToolCall(
            name: String, argumentDeltas: [String], pieceSize: Int? = nil, delay: Duration = .zero
        ) -> Reply {
            events(
                ChatPayload.toolCallChunks(name: name, argumentDeltas: argumentDeltas), pieceSize: pieceSize,
                delay: delay)
        }

        private static func sorted(_ headers: [String: String]) -> [Header] {
            headers.sorted { $0.key < $1.key }.map { Header(name: $0.key, value: $0.value) }
        }
    }
}
