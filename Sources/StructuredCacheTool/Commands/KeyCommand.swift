// `structured-cache key REQUEST.json`: the cache key a request gets, in the client's default scheme, in
// Instructor 1.16's, or as Instructor's make_cache_key; and where two requests differ.

import StructuredCache
import StructuredCacheCore

/// Computes the keys of requests described in files.
enum KeyCommand: ToolCommand {
    static let arguments = ArgumentParser(
        command: "key",
        summary: "Print the cache key a request gets, or where two requests differ.",
        usage: [
            "key REQUEST.json [REQUEST.json …] [--instructor116 | --make-cache-key] [--json]",
            "key A.json B.json --diff [--instructor116 | --make-cache-key]",
        ],
        positionals: ("REQUEST.json", 1...Int.max),
        options: [
            .init(
                name: "instructor116", value: nil,
                help: "Instructor 1.16's request-path key (keyCompatibility: .instructor116)."),
            .init(
                name: "make-cache-key", value: nil,
                help: "Instructor's make_cache_key of the file's messages, model, schema and mode as written."),
            .init(name: "diff", value: nil, help: "Print where the payloads of two requests differ."),
            .init(name: "json", value: nil, help: "Write JSON, for scripts: each file's key and payload."),
        ],
        discussion: """
            A request file is a JSON object:
              {"model": "gpt-4.1-mini",
               "messages": [{"role": "user", "content": "hello"}],
               "schema": {"properties": {"name": {"title": "Name", "type": "string"}},
                          "required": ["name"], "title": "User", "type": "object"},
               "mode": "tools",
               "options": {"temperature": 0.2, "max_tokens": 500},
               "stream": false,
               "provider": {"kind": "openai", "baseURL": "https://api.openai.com/v1",
                            "apiKeyEnvironment": "OPENAI_API_KEY"},
               "namespace": "myapp"}
            model, messages (OpenAI's chat format) and schema are required. schema is the response type's \
            JSON Schema as jsonSchema(for: User.self) gives it (pydantic's model_json_schema() for the \
            Python twin). mode is tools (the default), json, jsonSchema or mdJSON, Instructor's TOOLS, JSON, \
            JSON_SCHEMA or MD_JSON, or a mode's value (tool_call). options are the request body's other \
            members as sent (temperature, top_p, max_tokens, max_completion_tokens, stop, seed, \
            presence_penalty, frequency_penalty, and any other), stream says whether the call streams \
            (createPartial, createIterable).

            The default key also covers the client's namespace: the "namespace" given to the client's \
            configuration, or else the provider's endpoint and a hash of its API key. provider gives them: \
            kind openai (the default), openai-responses, anthropic or gemini; baseURL (the kind's default \
            endpoint when left out); apiKeyEnvironment, the environment variable holding the API key \
            (OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY by default; null for none), read but \
            never printed; headers, the provider's extra headers. The Instructor keys leave all of these \
            out, and options too.

            --make-cache-key hashes the members as written, the mode's string unchanged and no mode \
            preparation, as Instructor's make_cache_key(messages, model, schema, mode) does: the digest \
            of Instructor's documentation. --diff compares A's payload with B's, field by field \
            (before → after).

            Examples:
              \(ArgumentParser.tool) key request.json --instructor116
              \(ArgumentParser.tool) key yesterday.json today.json --diff
            """)

    static func run(_ arguments: ArgumentParser.Parsed) async throws(ToolError) {
        guard !(arguments.isSet("instructor116") && arguments.isSet("make-cache-key")) else {
            throw .usage("give one key scheme: --instructor116 or --make-cache-key", command: "key")
        }
        let scheme: RequestFile.Scheme =
            arguments.isSet("instructor116")
            ? .instructor116 : arguments.isSet("make-cache-key") ? .makeCacheKey : .standard
        let paths = arguments.positionals
        if arguments.isSet("diff") {
            guard paths.count == 2 else {
                throw .usage("--diff compares two request files, got \(paths.count)", command: "key")
            }
            guard !arguments.isSet("json") else { throw .usage("--diff writes text only, not --json", command: "key") }
        }
        var payloads: [(path: String, payload: CachePayload)] = []
        for path in paths {
            payloads.append((path, try RequestFile(path: path).payload(scheme)))
        }
        if arguments.isSet("json") {
            JSONOutput.print(
                .array(
                    payloads.map { path, payload in
                        ["file": .string(path), "key": .string(payload.key), "payload": payload.json]
                    }))
            return
        }
        if arguments.isSet("diff") {
            let (before, after) = (payloads[0], payloads[1])
            var text = "\(before.payload.key)  \(before.path)\n\(after.payload.key)  \(after.path)\n"
            let differences = after.payload.differences(from: before.payload)
            text += differences.isEmpty ? "no differences" : differences.map(\.description).joined(separator: "\n")
            Console.print(text)
            return
        }
        guard payloads.count > 1 else {
            Console.print(payloads[0].payload.key)
            return
        }
        Console.print(payloads.map { "\($0.payload.key)  \($0.path)" }.joined(separator: "\n"))
    }
}
