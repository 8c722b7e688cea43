// Reading the error bodies of OpenAI-compatible servers: OpenAI's `{"error": {"message": …}}`, the
// `{"error": "…"}` of Ollama and llama.cpp, FastAPI's `{"detail": …}`, or plain text.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension OpenAIProvider {
    /// The error for an HTTP error status, with the provider's own message.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - body: The response body.
    /// - Returns: An `http` error; its message is the body's error message, else the body's text
    ///   (truncated), else the status's standard phrase.
    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        if let json = try? JSONValue(parsing: body), let message = errorDetails(in: json).message {
            return .http(status: status, message: message)
        }
        let text = ProviderError.excerpt(body).trimmingCharacters(in: .whitespacesAndNewlines)
        return .http(
            status: status, message: text.isEmpty ? HTTPURLResponse.localizedString(forStatusCode: status) : text)
    }

    /// The message and status an error body gives, in the shapes OpenAI-compatible servers use.
    ///
    /// - Parameter json: An error body (or a stream's error payload).
    /// - Returns: The message, and the status when the body names one (vLLM puts it in `code`).
    static func errorDetails(in json: JSONValue) -> (message: String?, status: Int?) {
        let error = json["error"].flatMap { $0.isNull ? nil : $0 } ?? json
        if let text = error.stringValue { return (text, nil) }
        var message = error["message"]?.stringValue ?? json["message"]?.stringValue
        if message == nil, let detail = json["detail"] {
            message = detail.stringValue ?? detail[0]?["msg"]?.stringValue ?? detail.jsonString(.compact)
        }
        let status = [error["code"], error["status"], json["status"]].lazy.compactMap { $0?.intValue }
            .first { (100...599).contains($0) }
        return (message, status)
    }
}
