// The value the client stores: Instructor's envelope, so that Python services read our entries and we
// read theirs (including their older bare-model entries).

internal import Foundation

/// A stored answer: the answer's JSON and the raw completion it came from.
///
/// It is written exactly as Instructor writes it, `json.dumps({"model": model_json, "raw": raw_json})`:
/// `{"model": "<compact JSON of the answer>", "raw": "<completion JSON>" | null}`.
struct CacheEnvelope: Equatable {
    /// The answer, as compact JSON text.
    var modelJSON: String
    /// The completion's JSON text, when it was stored.
    var rawJSON: String?

    /// The bytes stored.
    var bytes: Data {
        let envelope: JSONValue = ["model": .string(modelJSON), "raw": rawJSON.map(JSONValue.string) ?? .null]
        return Data(envelope.jsonBytes(.python))
    }

    init(modelJSON: String, rawJSON: String?) {
        self.modelJSON = modelJSON
        self.rawJSON = rawJSON
    }

    /// Reads a stored value: an envelope, or (as Instructor's loader does) a bare answer JSON stored by
    /// older versions.
    ///
    /// - Returns: `nil` when the bytes are not JSON text at all.
    init?(bytes: Data) {
        guard let text = String(data: bytes, encoding: .utf8) else { return nil }
        if let value = try? JSONValue(parsing: text), let object = value.objectValue,
            let model = object["model"]?.stringValue, object.count <= 2,
            object.count == 1 || object["raw"]?.stringValue != nil || object["raw"]?.isNull == true
        {
            modelJSON = model
            rawJSON = object["raw"]?.stringValue
        } else {
            modelJSON = text
            rawJSON = nil
        }
    }

    /// The stored completion, when there is one that reads as a chat completion.
    var completion: ChatCompletion? {
        guard let rawJSON, let json = try? JSONValue(parsing: rawJSON) else { return nil }
        return try? ChatCompletion(json: json)
    }
}
