// Where the examples get their answers: Anthropic, Gemini or an OpenAI-compatible endpoint when an API
// key is set, otherwise a local OpenAI-compatible stand-in that answers like a model would, after a model's delay.

package import ChatStandIn
package import Foundation
package import StructuredCache

/// The contact the examples extract.
package struct Contact: Codable, Sendable, JSONSchemaAnnotated {
    package var name: String
    package var email: String?
    package var company: String?

    package static let schemaAnnotations = SchemaAnnotations(
        description: "A person mentioned in the text.",
        fields: [
            "name": .init(description: "The person's full name"),
            "email": .init(description: "Their email address, if the text gives one"),
            "company": .init(description: "Where they work, if the text says"),
        ])
}

/// The endpoint the examples ask: a real provider, or the local stand-in.
package struct ExampleEndpoint {
    package let provider: any ChatProvider
    package let model: String
    /// The OpenAI-compatible base URL, when the provider is one (Python's Instructor can share it).
    package let openAIBaseURL: URL?
    /// The API key of the OpenAI-compatible endpoint, when the provider is one.
    package let openAIAPIKey: String?
    /// The local stand-in, when no API key was given.
    package let standIn: LocalChatServer?

    /// The first real provider whose key is set: `ANTHROPIC_API_KEY` (with `ANTHROPIC_MODEL`,
    /// `ANTHROPIC_BASE_URL`), then `GEMINI_API_KEY` (with `GEMINI_MODEL`, `GEMINI_BASE_URL`), then
    /// `OPENAI_API_KEY` (with `OPENAI_BASE_URL` for Ollama, vLLM or any compatible server, and
    /// `OPENAI_MODEL`); otherwise a stand-in on loopback, or the one at
    /// `STANDIN_URL` when a parent process started it.
    ///
    /// - Parameters:
    ///   - openAICompatibleOnly: Whether only an OpenAI-compatible endpoint will do (for examples that
    ///     share the endpoint with Python's Instructor).
    ///   - latency: How long the stand-in takes to answer, as a model would.
    package static func fromEnvironment(
        openAICompatibleOnly: Bool = false, latency: Duration = .milliseconds(700)
    ) throws -> ExampleEndpoint {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if !openAICompatibleOnly, let apiKey = value("ANTHROPIC_API_KEY") {
            let baseURL = value("ANTHROPIC_BASE_URL").flatMap(URL.init(string:)) ?? AnthropicProvider.anthropicBaseURL
            return ExampleEndpoint(
                provider: AnthropicProvider(baseURL: baseURL, apiKey: apiKey),
                model: value("ANTHROPIC_MODEL") ?? "claude-haiku-4-5", openAIBaseURL: nil, openAIAPIKey: nil,
                standIn: nil)
        }
        if !openAICompatibleOnly, let apiKey = value("GEMINI_API_KEY") {
            let baseURL = value("GEMINI_BASE_URL").flatMap(URL.init(string:)) ?? GeminiProvider.geminiBaseURL
            return ExampleEndpoint(
                provider: GeminiProvider(baseURL: baseURL, apiKey: apiKey),
                model: value("GEMINI_MODEL") ?? "gemini-2.5-flash", openAIBaseURL: nil, openAIAPIKey: nil,
                standIn: nil)
        }
        if let apiKey = value("OPENAI_API_KEY") {
            let baseURL = value("OPENAI_BASE_URL").flatMap(URL.init(string:)) ?? OpenAIProvider.openAIBaseURL
            return ExampleEndpoint(
                provider: OpenAIProvider(baseURL: baseURL, apiKey: apiKey),
                model: value("OPENAI_MODEL") ?? "gpt-4.1-mini", openAIBaseURL: baseURL, openAIAPIKey: apiKey,
                standIn: nil)
        }
        if let shared = value("STANDIN_URL").flatMap(URL.init(string:)) {
            return ExampleEndpoint(
                provider: OpenAIProvider(baseURL: shared, apiKey: "stand-in"), model: "stand-in", openAIBaseURL: shared,
                openAIAPIKey: "stand-in", standIn: nil)
        }
        let server = try LocalChatServer { request in
            .toolCall(name: Self.functionName(of: request), arguments: Self.extractContact(from: request)).delayed(
                by: latency)
        }
        return ExampleEndpoint(
            provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "stand-in"), model: "stand-in",
            openAIBaseURL: server.baseURL, openAIAPIKey: "stand-in", standIn: server)
    }

    /// The stand-in's base URL, when there is one (for child processes to share it).
    package var standInURL: URL? { standIn?.baseURL }

    /// How many requests the stand-in answered, when there is one.
    package var standInRequestCount: Int? { standIn?.requestCount }

    /// One line saying where answers come from.
    package var banner: String {
        if let standIn {
            return """
                No OPENAI_API_KEY: answers come from a local STAND-IN for an OpenAI-compatible endpoint, at
                \(standIn.baseURL). It is not a model: it reads the name, email and company with simple patterns
                and answers after a model-like delay. Set ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENAI_API_KEY (and
                OPENAI_BASE_URL for Ollama or any compatible server) to use a real one.
                """
        }
        return "Endpoint: \(provider) (model \(model))"
    }

    private static func functionName(of request: LocalChatServer.RecordedRequest) -> String {
        request.json?["tool_choice"]?["function"]?["name"]?.stringValue ?? "Contact"
    }

    /// What a model would answer for the last user message: `{"name", "email", "company"}`.
    private static func extractContact(from request: LocalChatServer.RecordedRequest) -> String {
        let text = request.json?["messages"]?.arrayValue?.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
        let words = text.split(whereSeparator: { $0.isWhitespace || $0 == "," }).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: ".;:!?"))
        }
        // The name: the first run of two or three capitalized words; the email: the word with an @.
        var name = ""
        for start in words.indices {
            let run = words[start...].prefix { $0.first?.isUppercase == true }.prefix(3)
            if run.count >= 2 {
                name = run.joined(separator: " ")
                break
            }
        }
        let email = words.first { $0.contains("@") }
        let company = text.range(of: " at ").map { String(text[$0.upperBound...].prefix { $0.isLetter || $0 == " " }) }
        let contact: JSONValue = [
            "name": .string(name.isEmpty ? "Unknown" : name), "email": email.map(JSONValue.string) ?? nil,
            "company": company.map { .string($0.trimmingCharacters(in: .whitespaces)) } ?? nil,
        ]
        return contact.jsonString(.compact)
    }
}

/// Seconds, printed with milliseconds.
package func format(_ duration: Duration) -> String {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return seconds >= 0.001 ? String(format: "%.1f ms", seconds * 1_000) : String(format: "%.1f µs", seconds * 1e6)
}
