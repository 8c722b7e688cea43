// Bodies in Anthropic's documented Messages API format, for the loopback server to answer with: messages
// with text, tool_use and thinking blocks, error bodies, and the named server-sent events of a stream.

import ChatStandIn
import Foundation

@testable import StructuredCache
@testable import StructuredCacheCore

enum AnthropicPayload {
    static func usage(input: Int = 25, output: Int = 12, cacheWrite: Int = 0, cacheRead: Int = 0) -> JSONValue {
        [
            "input_tokens": .int(input), "cache_creation_input_tokens": .int(cacheWrite),
            "cache_read_input_tokens": .int(cacheRead), "output_tokens": .int(output),
        ]
    }

    /// A message as the API returns it.
    static func message(
        _ content: [JSONValue], stopReason: String = "end_turn", model: String = "claude-test",
        usage: JSONValue = usage()
    ) -> JSONValue {
        [
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": .string(model),
            "content": .array(content), "stop_reason": .string(stopReason), "stop_sequence": nil, "usage": usage,
        ]
    }

    static func text(_ text: String) -> JSONValue { ["type": "text", "text": .string(text)] }

    static func toolUse(_ name: String, _ input: JSONValue, id: String = "toolu_01A09q90qw90lq917835lq9") -> JSONValue {
        ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
    }

    static let thinking: JSONValue = [
        "type": "thinking", "thinking": "The user wants the name extracted.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA",
    ]

    /// A reply with a message calling tool `name` with `input`.
    static func toolCall(_ name: String, _ input: JSONValue, usage: JSONValue = usage()) -> LocalChatServer.Reply {
        .json(message([toolUse(name, input)], stopReason: "tool_use", usage: usage))
    }

    /// A reply with a text message.
    static func answer(_ text: String, stopReason: String = "end_turn") -> LocalChatServer.Reply {
        .json(message([Self.text(text)], stopReason: stopReason))
    }

    /// An error reply in the API's shape: `{"type": "error", "error": {"type", "message"}, "request_id"}`.
    static func error(
        status: Int, type: String, message: String, headers: [String: String] = [:]
    ) -> LocalChatServer.Reply {
        .json(
            [
                "type": "error", "error": ["type": .string(type), "message": .string(message)],
                "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
            ], status: status, headers: headers)
    }

    /// The events that stream `message`, as the API sends them: `message_start`, each block's start,
    /// deltas (text in `textPieces` pieces, tool input as `partial_json` in `jsonPieces` pieces) and
    /// stop, a `ping`, `message_delta` with the stop reason and cumulative usage, `message_stop`.
    static func events(of message: JSONValue, pieces: Int = 3) -> [(name: String, data: JSONValue)] {
        var start = message.objectValue ?? [:]
        start["content"] = []
        start["stop_reason"] = nil
        var usage = message["usage"]?.objectValue ?? [:]
        usage["output_tokens"] = 1
        start["usage"] = .object(usage)
        var events: [(String, JSONValue)] = [("message_start", ["type": "message_start", "message": .object(start)])]
        events.append(("ping", ["type": "ping"]))
        for (index, block) in (message["content"]?.arrayValue ?? []).enumerated() {
            var opening = block.objectValue ?? [:]
            var deltas: [JSONValue] = []
            switch block["type"]?.stringValue {
            case "text":
                opening["text"] = ""
                deltas = split(block["text"]?.stringValue ?? "", pieces).map {
                    ["type": "text_delta", "text": .string($0)]
                }
            case "tool_use":
                opening["input"] = [:]
                deltas = split((block["input"] ?? [:]).jsonString(.compact), pieces).map {
                    ["type": "input_json_delta", "partial_json": .string($0)]
                }
            case "thinking":
                opening["thinking"] = ""
                opening["signature"] = nil
                deltas = [
                    ["type": "thinking_delta", "thinking": block["thinking"] ?? ""],
                    ["type": "signature_delta", "signature": block["signature"] ?? ""],
                ]
            default:
                break
            }
            events.append(
                (
                    "content_block_start",
                    ["type": "content_block_start", "index": .int(index), "content_block": .object(opening)]
                ))
            for delta in deltas {
                events.append(
                    ("content_block_delta", ["type": "content_block_delta", "index": .int(index), "delta": delta]))
            }
            events.append(("content_block_stop", ["type": "content_block_stop", "index": .int(index)]))
        }
        events.append(
            (
                "message_delta",
                [
                    "type": "message_delta",
                    "delta": ["stop_reason": message["stop_reason"] ?? nil, "stop_sequence": nil],
                    "usage": ["output_tokens": message["usage"]?["output_tokens"] ?? 0],
                ]
            ))
        events.append(("message_stop", ["type": "message_stop"]))
        return events
    }

    /// The bytes of named events: `event: <name>` and `data: <json>` lines, a blank line after each.
    static func stream(_ events: [(name: String, data: JSONValue)]) -> [UInt8] {
        Array(events.map { "event: \($0.name)\ndata: \($0.data.jsonString(.compact))\n\n" }.joined().utf8)
    }

    /// A reply streaming `message`.
    static func streamed(_ message: JSONValue, cut: Bool = false, pieceSize: Int? = nil) -> LocalChatServer.Reply {
        .eventStream(stream(events(of: message)), pieceSize: pieceSize, cut: cut)
    }

    private static func split(_ text: String, _ pieces: Int) -> [String] {
        guard !text.isEmpty else { return [] }
        let characters = Array(text)
        let size = max(1, (characters.count + pieces - 1) / pieces)
        return stride(from: 0, to: characters.count, by: size).map {
            String(characters[$0..<min($0 + size, characters.count)])
        }
    }
}
