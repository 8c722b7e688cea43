// Reading Google's error bodies, `{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED"}}`
// (an array of them from a stream), into typed errors with Google's own message.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension GeminiProvider {
    /// The error for an HTTP error status, with Google's message.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - body: The response body.
    /// - Returns: An `http` error with `status`; its message is the error body's `message`, else the
    ///   body's text (truncated), else the status's standard phrase.
    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        if let json = try? JSONValue(parsing: body), let message = details(in: json)?.message {
            return .http(status: status, message: message)
        }
        let text = ProviderError.excerpt(body).trimmingCharacters(in: .whitespacesAndNewlines)
        return .http(
            status: status, message: text.isEmpty ? HTTPURLResponse.localizedString(forStatusCode: status) : text)
    }

    /// The error a payload reports instead of a response (inside a stream, or in a JSON body), if it is one.
    ///
    /// - Parameter json: A payload.
    /// - Returns: An `http` error whose status is the error's `code`, or `nil` for a payload that is no error.
    static func error(in json: JSONValue) -> ProviderError? {
        guard let details = details(in: json) else { return nil }
        return ProviderError(
            code: .http, status: details.code, message: details.message ?? "the server reported an error")
    }

    /// The `message` and `code` of `{"error": {…}}`, or of the first element of an array of them.
    private static func details(in json: JSONValue) -> (message: String?, code: Int?)? {
        let payload = json.arrayValue?.first ?? json
        guard let error = payload["error"], !error.isNull else { return nil }
        if let text = error.stringValue { return (text, nil) }
        var message = error["message"]?.stringValue
        if let status = error["status"]?.stringValue, let text = message, !text.contains(status) {
            message = text + " (\(status))"
        }
        let code = error["code"]?.intValue.flatMap { (100...599).contains($0) ? $0 : nil }
        return (message, code)
    }
}
