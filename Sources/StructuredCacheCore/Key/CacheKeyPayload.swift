// The text a cache key hashes: one JSON object written member by member into one buffer, as Python's
// `json.dumps(…, sort_keys=True)` writes it. Instructor's key and the client's fuller key both use it.

import StructuredCacheSupport

/// The text a cache key hashes, written straight into one buffer.
///
/// Members are written in the sorted order `sort_keys=True` gives them, so the payload object itself
/// is never built or sorted; each member's value is written by a closure, so a ready text (a schema's
/// key text) is copied in as it is.
///
/// ```swift
/// var payload = CacheKeyPayload()
/// payload.member("messages") { $0.write(messages) }
/// payload.member("model") { $0.writeString(model) }
/// let key = payload.key()
/// ```
package struct CacheKeyPayload: ~Copyable {
    private var writer: JSONWriter
    private var isEmpty = true
    #if DEBUG
        private var lastName = ""
    #endif

    /// Starts an empty object.
    ///
    /// - Parameter capacity: The bytes to reserve.
    package init(capacity: Int = 512) {
        writer = JSONWriter(options: .pythonSorted, reservingCapacity: capacity)
        writer.appendRaw("{")
    }

    /// Instructor's payload: `{"messages", "mode", "model", "schema"}`, the schema left out (not `null`)
    /// when there is none.
    ///
    /// - Parameters:
    ///   - model: The model name, or `nil`.
    ///   - mode: The mode, or `nil`.
    ///   - capacity: The bytes to reserve.
    ///   - messages: Writes the messages value.
    ///   - schema: Writes the schema value; `nil` when there is none.
    package init(
        model: String?, mode: Mode?, capacity: Int = 512,
        messages: (inout JSONWriter) -> Void, schema: ((inout JSONWriter) -> Void)?
    ) {
        self.init(capacity: capacity)
        member("messages", messages)
        member("mode") { writer in
            if let mode { writer.writeString(mode.rawValue) } else { writer.appendRaw("null") }
        }
        member("model") { writer in
            if let model { writer.writeString(model) } else { writer.appendRaw("null") }
        }
        if let schema { member("schema", schema) }
    }

    /// Appends the member `name`, whose value `write` writes.
    ///
    /// - Parameters:
    ///   - name: The member's name: plain ASCII that needs no escaping, after every name appended before
    ///     in code-point order.
    ///   - write: Writes the value.
    package mutating func member(_ name: StaticString, _ write: (inout JSONWriter) -> Void) {
        #if DEBUG
            let text = name.description
            precondition(isEmpty || JSONWriter.codePointLess(lastName, text), "members out of order: \(text)")
            lastName = text
        #endif
        writer.appendRaw(isEmpty ? "\"" : ", \"")
        writer.appendRaw(name)
        writer.appendRaw("\": ")
        isEmpty = false
        write(&writer)
    }

    /// The payload as text.
    package consuming func text() -> String {
        writer.appendRaw("}")
        return writer.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The lowercase hex SHA-256 of the payload.
    package consuming func key() -> String {
        writer.appendRaw("}")
        return writer.withBytes { bytes in
            var function = SHA256()
            function.update(bufferPointer: bytes)
            return function.finalize().hexString
        }
    }
}
