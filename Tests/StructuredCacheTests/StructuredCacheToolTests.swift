// structured-cache, the command-line tool, run as a child process against a real DiskCache folder
// (filled through StructuredClient and the local stand-in server) and a real redis-server, its output
// read as text: stats, list rows, show, purge's dry run then purge, keys against the library's own,
// usage errors and help.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StructuredCacheToolTests {
    struct User: Codable, Sendable { var name: String }
    struct Contact: Codable, Sendable {
        var name: String
        var email: String
    }

    // MARK: Running the tool

    /// How one run of the tool ended, and what it wrote.
    struct Run: CustomStringConvertible {
        let status: Int32
        let output: String
        let errors: String

        /// The output's lines.
        var lines: [String] { output.split(separator: "\n").map(String.init) }

        var description: String { "status \(status)\n--- stdout\n\(output)--- stderr\n\(errors)" }
    }

    /// The built tool's path.
    static func tool() throws -> String {
        try #require(ChildProcess.helper("structured-cache"), "the structured-cache tool was not built")
    }

    /// Runs the tool with `arguments` and waits for it, on a thread of its own (not the tasks' pool).
    static func run(_ arguments: [String]) async throws -> Run {
        try await run(try tool(), arguments)
    }

    /// Runs `executable` with `arguments`, standard output and standard error kept apart.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        let errors = FileManager.default.temporaryDirectory
                            .appendingPathComponent("structured-cache-\(UUID().uuidString).err")
                        defer { try? FileManager.default.removeItem(at: errors) }
                        let process = try ChildProcess(
                            executable, arguments, standardOutput: .captured, standardError: .file(errors.path))
                        let output = process.readOutputToEnd()
                        guard case .exited(let status) = process.waitUntilExit() else {
                            throw ChildProcessError("\(executable) was killed by a signal", 0)
                        }
                        return Run(
                            status: status, output: String(decoding: output, as: UTF8.self),
                            errors: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
                    })
            }.start()
        }
    }

    /// The text after `label` on the line that starts with it (a field of `stats` or `show`).
    static func field(_ label: String, in run: Run) -> String? {
        run.lines.first { $0.hasPrefix(label + "  ") }.map {
            String($0.dropFirst(label.count)).trimmingCharacters(in: .whitespaces)
        }
    }

    /// The line of a table whose first column is `name`, split into its columns.
    static func row(_ name: String, in run: Run) -> [String]? {
        run.lines.first { $0.hasPrefix(name + " ") }.map { $0.split(separator: " ").map(String.init) }
    }

    /// `number` as the tool writes counts: `12,345`.
    static func grouped(_ number: Int) -> String {
        let digits = String(number)
        return digits.enumerated().map { position, digit in
            (position > 0 && (digits.count - position) % 3 == 0 ? "," : "") + String(digit)
        }.joined()
    }

    /// Entries enough for purge's progress bar (the tool draws it from 200 entries on).
    static let many = 250

    // MARK: A cache folder

    /// The keys of the entries in the folder ``withFolder(_:)`` fills.
    struct Keys {
        /// `User` in tools mode from gpt-4.1-mini.
        let jason: String
        /// The same, its file written three days ago.
        let ada: String
        /// `Contact` in JSON mode (no tool call: no response type) from gpt-4o.
        let grace: String
        /// `User` in tools mode from gpt-4o, expired an hour ago.
        let expired: String
        /// A value that is not an envelope.
        let plain: String

        var all: [String] { [jason, ada, grace, expired, plain] }
    }

    static func client(_ server: LocalChatServer, _ cache: any CacheAdapter) -> StructuredClient {
        StructuredClient(
            provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test"), cache: cache,
            configuration: .init(defaultModel: "gpt-test"))
    }

    static func toolCall(_ name: String, _ arguments: String, model: String) -> LocalChatServer.Reply {
        .json(ChatPayload.toolCallCompletion(name: name, arguments: arguments, model: model))
    }

    /// Runs `body` with a DiskCache folder holding five entries (see ``Keys``) and one damaged file.
    static func withFolder(_ body: (URL, Keys) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sctool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let replies: [LocalChatServer.Reply] = [
            toolCall("User", #"{"name": "Jason"}"#, model: "gpt-4.1-mini"),
            toolCall("User", #"{"name": "Ada"}"#, model: "gpt-4.1-mini"),
            .completion(content: #"{"name": "Grace", "email": "grace@example.com"}"#, model: "gpt-4o"),
            toolCall("User", #"{"name": "Old"}"#, model: "gpt-4o"),
        ]
        let keys = try await LocalChatServer.with(replies: replies) { server in
            let client = Self.client(server, try DiskCache(directory: folder))
            func ask<Response: Codable & Sendable>(
                _ text: String, _ type: Response.Type, mode: Mode = .tools, via client: StructuredClient
            ) async throws -> String {
                _ = try await client.create(
                    messages: [.user(text)], responseModel: type, mode: mode, cacheTTL: .seconds(3_600))
                return try client.cacheKey(messages: [.user(text)], responseModel: type, mode: mode)
            }
            let jason = try await ask("Extract: Jason", User.self, via: client)
            let ada = try await ask("Extract: Ada", User.self, via: client)
            let grace = try await ask("Extract: Grace", Contact.self, mode: .json, via: client)
            // A cache whose clock runs two hours behind stores an entry that expired an hour ago.
            let clock = ManualClock()
            let behind = try DiskCache(directory: folder, configuration: .init(clock: clock))
            clock.advance(by: .seconds(-7_200))
            let expired = try await ask("Extract: Old", User.self, via: Self.client(server, behind))
            try behind.sync.set("plain", Data("not an envelope".utf8), ttl: .never)
            #expect(server.requestCount == 4)
            return Keys(jason: jason, ada: ada, grace: grace, expired: expired, plain: "plain")
        }
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3 * 86_400)],
            ofItemAtPath: file(of: keys.ada, in: folder).path)
        let damaged = folder.appendingPathComponent("ab")
        try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
        try Data("not a cache entry".utf8).write(to: damaged.appendingPathComponent(String(repeating: "0", count: 30)))
        try await body(folder, keys)
    }

    /// The file of `key` in a DiskCache folder: the first 32 hex digits of its SHA-256, after 2.
    static func file(of key: String, in folder: URL) -> URL {
        let hex = SHA256.hash(string: key).hexString
        return folder.appendingPathComponent(String(hex.prefix(2))).appendingPathComponent(
            String(hex.dropFirst(2).prefix(30)))
    }

    static func size(of key: String, in folder: URL) throws -> Int {
        try #require(
            FileManager.default.attributesOfItem(atPath: file(of: key, in: folder).path)[.size] as? Int)
    }

    // MARK: DiskCache

    @Test func statsCountsEntriesBytesAndExpiredOnesByModelAndResponseType() async throws {
        try await Self.withFolder { folder, keys in
            let stats = try await Self.run(["stats", "--disk", folder.path])
            #expect(stats.status == 0, "\(stats)")
            #expect(stats.errors.isEmpty)
            let bytes = try keys.all.reduce(0) { try $0 + Self.size(of: $1, in: folder) }
            #expect(Self.field("entries", in: stats) == "5")
            #expect(Self.field("bytes", in: stats)?.hasPrefix(Self.grouped(bytes) + " (") == true, "\(stats)")
            #expect(Self.field("expired", in: stats) == "1")
            #expect(Self.field("skipped files", in: stats) == "1")
            #expect(Self.field("oldest", in: stats)?.hasPrefix("3d ") == true, "\(stats)")
            #expect(Self.field("cache", in: stats) == "DiskCache folder \(folder.path)")
            // By model: two from gpt-4.1-mini, two from gpt-4o, one that names none.
            #expect(Self.row("gpt-4.1-mini", in: stats)?[1] == "2")
            #expect(Self.row("gpt-4o", in: stats)?[1] == "2")
            #expect(Self.row("?", in: stats)?[1] == "1", "the plain value: \(stats)")
            #expect(Self.row("User", in: stats)?[1] == "3")

            let json = try await Self.run(["stats", "--disk", folder.path, "--json"])
            #expect(json.status == 0)
            let value = try JSONValue(parsing: json.output)
            #expect(value["entries"] == 5 && value["expired"] == 1 && value["skipped"] == 1)
            #expect(value["bytes"]?.intValue == bytes)
            #expect(value["models"]?["gpt-4.1-mini"]?["entries"] == 2)
            #expect(value["models"]?["gpt-4o"]?["entries"] == 2)
            #expect(value["responseTypes"]?["User"]?["entries"] == 3)
            #expect(value["responseTypes"]?["?"]?["entries"] == 2)
            #expect(value["oldest"]?.stringValue.flatMap(ISO8601.parse).map { $0 < Date() - 2 * 86_400 } == true)
        }
    }

    @Test func listShowsOneRowPerEntryNewestFirst() async throws {
        try await Self.withFolder { folder, keys in
            let list = try await Self.run(["list", "--disk", folder.path])
            #expect(list.status == 0, "\(list)")
            #expect(list.lines.count == 6, "a header and five rows: \(list)")
            #expect(list.lines.first?.split(separator: " ") == ["KEY", "BYTES", "EXPIRES", "AGE", "MODEL", "TYPE"])
            let jason = try #require(Self.row(keys.jason, in: list))
            #expect(jason[1] == Self.grouped(try Self.size(of: keys.jason, in: folder)))
            #expect(jason[2] == "in" && jason.suffix(2) == ["gpt-4.1-mini", "User"], "\(jason)")
            #expect(Self.row(keys.grace, in: list)?.suffix(2) == ["gpt-4o", "?"])
            #expect(Self.row(keys.expired, in: list)?[2] == "expired")
            #expect(Self.row(keys.plain, in: list)?.contains("never") == true)
            #expect(list.lines.last?.hasPrefix(keys.ada) == true, "the oldest comes last: \(list)")
            #expect(Self.row(keys.ada, in: list)?.contains("3d") == true)

            let limited = try await Self.run(["list", "--disk", folder.path, "--limit", "2"])
            #expect(limited.lines.count == 4, "\(limited)")
            #expect(limited.lines.last == "… 3 more (5 in all)")

            let json = try await Self.run(["list", "--disk=\(folder.path)", "--json", "--limit=3"])
            let value = try JSONValue(parsing: json.output)
            #expect(value["total"] == 5)
            let entries = try #require(value["entries"]?.arrayValue)
            #expect(entries.count == 3)
            let all = try JSONValue(parsing: try await Self.run(["list", "--disk", folder.path, "--json"]).output)
            let listed = try #require(all["entries"]?.arrayValue)
            #expect(Set(listed.compactMap { $0["key"]?.stringValue }) == Set(keys.all))
            let expired = try #require(listed.first { $0["key"]?.stringValue == keys.expired })
            #expect(expired["expired"] == true && expired["model"] == "gpt-4o" && expired["responseType"] == "User")
            #expect(listed.first { $0["key"]?.stringValue == keys.plain }?["model"]?.isNull == true)
        }
    }

    @Test func showPrintsTheAnswerAndTheCompletionPrettyPrinted() async throws {
        try await Self.withFolder { folder, keys in
            let show = try await Self.run(["show", keys.jason, "--disk", folder.path])
            #expect(show.status == 0, "\(show)")
            #expect(Self.field("key", in: show) == keys.jason)
            #expect(Self.field("model", in: show) == "gpt-4.1-mini")
            #expect(Self.field("response type", in: show) == "User")
            #expect(show.output.contains("answer:\n{\n  \"name\": \"Jason\"\n}\n"), "\(show)")
            #expect(show.output.contains("completion:\n{\n  \"id\": \"chatcmpl-test\",\n"), "\(show)")
            #expect(show.output.contains("\n  \"model\": \"gpt-4.1-mini\",\n"))

            // The start of a key is enough when no other key shares it; an expired entry is shown too.
            let byPrefix = try await Self.run(["show", String(keys.expired.prefix(12)), "--disk", folder.path])
            #expect(Self.field("key", in: byPrefix) == keys.expired, "\(byPrefix)")
            #expect(Self.field("expires", in: byPrefix)?.hasPrefix("expired 1h ") == true, "\(byPrefix)")

            let plain = try await Self.run(["show", "plain", "--disk", folder.path, "--json"])
            let value = try JSONValue(parsing: plain.output)
            #expect(value["answer"] == "not an envelope" && value["completion"]?.isNull == true)

            let missing = try await Self.run(["show", "0123456789abcdef-not-a-key", "--disk", folder.path])
            #expect(missing.status == 1 && missing.output.isEmpty)
            #expect(missing.errors.contains("no entry for key 0123456789abcdef-not-a-key"), "\(missing)")
        }
    }

    @Test func purgeListsWhatItWouldRemoveThenRemovesIt() async throws {
        try await Self.withFolder { folder, keys in
            let dryRun = try await Self.run(["purge", "--disk", folder.path, "--model", "gpt-4o", "--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryRun.lines.count == 4, "a header, two rows and the total: \(dryRun)")
            #expect(Self.row(keys.grace, in: dryRun) != nil && Self.row(keys.expired, in: dryRun) != nil)
            #expect(dryRun.lines.last?.hasPrefix("would remove 2 of 5 entries") == true)
            for key in keys.all { #expect(FileManager.default.fileExists(atPath: Self.file(of: key, in: folder).path)) }

            let expired = try await Self.run(["purge", "--disk", folder.path, "--expired"])
            #expect(expired.status == 0 && expired.output.hasPrefix("removed 1 of 5 entries"), "\(expired)")
            #expect(!FileManager.default.fileExists(atPath: Self.file(of: keys.expired, in: folder).path))

            let old = try await Self.run(["purge", "--disk", folder.path, "--older-than", "2d"])
            #expect(old.output.hasPrefix("removed 1 of 4 entries"), "\(old)")
            #expect(!FileManager.default.fileExists(atPath: Self.file(of: keys.ada, in: folder).path))

            // Filters add up: gpt-4.1-mini's entries written over a day ago are gone already.
            let none = try await Self.run([
                "purge", "--disk", folder.path, "--model", "gpt-4.1-mini", "--older-than=1d",
            ])
            #expect(none.output.hasPrefix("removed 0 of 3 entries"), "\(none)")

            let all = try await Self.run(["purge", "--disk", folder.path, "--all"])
            #expect(all.output.hasPrefix("removed 3 of 3 entries"), "\(all)")
            #expect(all.errors.isEmpty, "no progress bar off a terminal")
            let stats = try await Self.run(["stats", "--disk", folder.path])
            #expect(Self.field("entries", in: stats) == "0")
            #expect(Self.field("skipped files", in: stats) == "1", "a file that is no entry is not purged")
        }
    }

    /// Many entries: purge draws its progress bar on a terminal, and only there.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux's script"))
    func purgeDrawsAProgressBarOnATerminalOnly() async throws {
        #if os(Linux)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sctool-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let cache = try DiskCache(directory: folder)
            func fill() throws {
                for index in 0..<Self.many { try cache.sync.set("key-\(index)", Data("{}".utf8)) }
            }
            try fill()
            let piped = try await Self.run(["purge", "--disk", folder.path, "--all"])
            #expect(piped.output.hasPrefix("removed \(Self.many) of"), "\(piped)")
            #expect(piped.errors.isEmpty)
            try fill()
            // script(1) runs the tool on a pseudo-terminal and copies what it writes there.
            let command = try [Self.tool(), "purge", "--disk", folder.path, "--all"].map { "'\($0)'" }
                .joined(separator: " ")
            let terminal = try await Self.run("/usr/bin/script", ["-qec", command, "/dev/null"])
            #expect(terminal.output.contains("removing [#"), "\(terminal)")
            #expect(terminal.output.contains("\(Self.many)/\(Self.many)"))
            #expect(terminal.output.contains("removed \(Self.many) of"))
        #endif
    }

    // MARK: Redis

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed"))
    func readsAndPurgesARedisPrefixWithoutShowingItsPassword() async throws {
        let password = "tool-s3cret-pass"
        let server = try RedisServerProcess(arguments: ["--requirepass", password])
        defer { server.stop() }
        let url = "redis://:\(password)@127.0.0.1:\(server.port)"
        let cache = try RedisCache(url: url, configuration: .init(keyPrefix: "tooltest:"))
        defer { cache.shutdown() }
        let other = try RedisCache(url: url, configuration: .init(keyPrefix: "othertest:"))
        defer { other.shutdown() }
        try await other.set("kept", Data("{}".utf8), ttl: .never)
        let (jason, grace) = try await LocalChatServer.with(replies: [
            Self.toolCall("User", #"{"name": "Jason"}"#, model: "gpt-4.1-mini"),
            .completion(content: #"{"name": "Grace", "email": "grace@example.com"}"#, model: "gpt-4o"),
        ]) { server in
            let client = Self.client(server, cache)
            let hello: [ChatMessage] = [.user("Extract: Jason")]
            _ = try await client.create(messages: hello, responseModel: User.self, cacheTTL: .seconds(3_600))
            let grace: [ChatMessage] = [.user("Extract: Grace")]
            _ = try await client.create(messages: grace, responseModel: Contact.self, mode: .json, cacheTTL: .never)
            return (
                try client.cacheKey(messages: hello, responseModel: User.self),
                try client.cacheKey(messages: grace, responseModel: Contact.self, mode: .json)
            )
        }
        let source = ["--redis", url, "--prefix", "tooltest:"]
        let shown = "Redis redis://***@127.0.0.1:\(server.port) (prefix tooltest:)"

        let stats = try await Self.run(["stats"] + source)
        #expect(stats.status == 0, "\(stats)")
        #expect(Self.field("cache", in: stats) == shown)
        #expect(Self.field("entries", in: stats) == "2" && Self.field("expired", in: stats) == "0")
        #expect(Self.row("gpt-4.1-mini", in: stats)?[1] == "1" && Self.row("gpt-4o", in: stats)?[1] == "1")

        let list = try await Self.run(["list"] + source)
        #expect(list.lines.count == 3, "\(list)")
        #expect(Self.row(jason, in: list)?.suffix(3) == ["-", "gpt-4.1-mini", "User"], "no age in Redis: \(list)")
        #expect(Self.row(jason, in: list)?[2] == "in")
        #expect(Self.row(grace, in: list)?[2] == "never")

        let show = try await Self.run(["show", grace] + source)
        // The answer as stored, indented (its members in the order the client encoded them).
        #expect(show.output.contains("answer:\n{\n  \""), "\(show)")
        #expect(show.lines.contains { $0.hasPrefix(#"  "name": "Grace""#) }, "\(show)")
        #expect(show.lines.contains { $0.hasPrefix(#"  "email": "grace@example.com""#) }, "\(show)")
        #expect(Self.field("model", in: show) == "gpt-4o" && Self.field("response type", in: show) == "?")

        let byPrefix = try await Self.run(["show", String(grace.prefix(10)), "--json"] + source)
        #expect(try JSONValue(parsing: byPrefix.output)["key"]?.stringValue == grace, "\(byPrefix)")

        let olderThan = try await Self.run(["purge", "--older-than", "1d"] + source)
        #expect(olderThan.status == 2 && olderThan.errors.contains("Redis does not keep"), "\(olderThan)")

        let dryRun = try await Self.run(["purge", "--model", "gpt-4o", "--dry-run"] + source)
        #expect(
            dryRun.lines.last
                == "would remove 1 of 2 entries (\(Self.grouped(try #require(try await cache.get(grace)).count)) bytes) from \(shown)",
            "\(dryRun)")
        #expect(try await cache.get(grace) != nil)
        let purge = try await Self.run(["purge", "--model", "gpt-4o"] + source)
        #expect(purge.status == 0 && purge.output.hasPrefix("removed 1 of 2 entries"), "\(purge)")
        #expect(try await cache.get(grace) == nil)
        #expect(try await cache.get(jason) != nil)
        let all = try await Self.run(["purge", "--all"] + source)
        #expect(all.output.hasPrefix("removed 1 of 1 entries"), "\(all)")
        #expect(try await other.get("kept") != nil, "another prefix is left alone")

        let wrong = try await Self.run(["stats", "--redis", "redis://:wrong-password@127.0.0.1:\(server.port)"])
        #expect(wrong.status == 1, "\(wrong)")
        for run in [stats, list, show, dryRun, purge, all, wrong] {
            #expect(!run.output.contains(password) && !run.errors.contains(password))
            #expect(!run.output.contains("wrong-password") && !run.errors.contains("wrong-password"))
        }
    }

    @Test(.enabled(if: RedisClusterProcess.isAvailable, "redis-server or redis-cli is not installed"))
    func readsAndPurgesAPrefixOnEveryPrimaryOfACluster() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let prefix = "tooltest-\(UUID().uuidString.prefix(8)):"
        let cache = try RedisCache(cluster: cluster.seedURLs, configuration: .init(keyPrefix: prefix))
        defer { cache.shutdown() }
        let keys = (0..<24).map { "key-\($0)" }
        for key in keys { try await cache.set(key, Data("{}".utf8), ttl: .seconds(600)) }
        let source = ["--cluster", cluster.seedURLs.prefix(2).joined(separator: ","), "--prefix", prefix]

        let list = try await Self.run(["list", "--json"] + source)
        #expect(list.status == 0, "\(list)")
        let listed = try #require(try JSONValue(parsing: list.output)["entries"]?.arrayValue)
        #expect(Set(listed.compactMap { $0["key"]?.stringValue }) == Set(keys), "each key once, from every primary")
        let purge = try await Self.run(["purge", "--all"] + source)
        #expect(purge.output.hasPrefix("removed 24 of 24 entries"), "\(purge)")
        for key in keys { #expect(try await cache.get(key) == nil) }
    }

    // MARK: Keys

    /// Writes a request file for `hello` asked of gpt-4.1-mini for a `User`, with `extra` members.
    static func requestFile(
        in folder: URL, _ name: String, content: String = "hello", extra: JSONObject = [:]
    )
        throws -> String
    {
        var request: JSONObject = [
            "model": "gpt-4.1-mini", "messages": [["role": "user", "content": .string(content)]],
            "schema": try jsonSchema(for: User.self), "mode": "TOOLS",
            "provider": ["baseURL": "http://127.0.0.1:9/v1", "apiKeyEnvironment": nil],
        ]
        for (member, value) in extra { request[member] = value }
        let url = folder.appendingPathComponent(name)
        try Data(JSONValue.object(request).jsonBytes(.python)).write(to: url)
        return url.path
    }

    static func withRequestFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sctool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    @Test func keyIsTheKeyTheLibraryGivesTheRequest() async throws {
        try await Self.withRequestFolder { folder in
            let request = try Self.requestFile(in: folder, "hello.json")
            let hello: [ChatMessage] = [.user("hello")]

            // Instructor's documented digest, as makeCacheKey computes it.
            let documented = try await Self.run(["key", request, "--make-cache-key"])
            #expect(documented.output == "2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe\n")
            let vector = try makeCacheKey(
                messages: [["role": "user", "content": "hello"]], model: "gpt-4.1-mini", responseModel: User.self,
                mode: "TOOLS")
            #expect(documented.output == vector + "\n")

            // Instructor 1.16's request path: TOOLS is its mode "tool_call".
            let instructor = try await Self.run(["key", request, "--instructor116"])
            let instructorClient = StructuredClient(
                provider: OpenAIProvider(apiKey: nil), configuration: .init(keyCompatibility: .instructor116))
            #expect(
                instructor.output
                    == (try instructorClient.cacheKey(model: "gpt-4.1-mini", messages: hello, responseModel: User.self))
                    + "\n")
            #expect(
                instructor.output
                    == (try makeCacheKey(messages: hello, model: "gpt-4.1-mini", responseModel: User.self, mode: .tools))
                    + "\n")

            // The default key: the provider's endpoint and key, and every option, count.
            let provider = OpenAIProvider(baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: nil)
            let standard = try await Self.run(["key", request])
            #expect(standard.status == 0, "\(standard)")
            #expect(
                standard.output
                    == (try StructuredClient(provider: provider).cacheKey(
                        model: "gpt-4.1-mini", messages: hello, responseModel: User.self)) + "\n")
            let withKey = try Self.requestFile(
                in: folder, "key.json",
                extra: [
                    "provider": ["baseURL": "http://127.0.0.1:9/v1", "apiKeyEnvironment": "HOME"],
                    "options": ["temperature": 0.2, "max_tokens": 100],
                ])
            let keyed = StructuredClient(
                provider: OpenAIProvider(
                    baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: ProcessInfo.processInfo.environment["HOME"])
            )
            let withKeyRun = try await Self.run(["key", withKey])
            #expect(
                withKeyRun.output
                    == (try keyed.cacheKey(
                        model: "gpt-4.1-mini", messages: hello, responseModel: User.self,
                        options: RequestOptions(temperature: 0.2, maxTokens: 100))) + "\n")
            let named = try Self.requestFile(in: folder, "named.json", extra: ["namespace": "myapp", "stream": true])
            let namedRun = try await Self.run(["key", named])
            let expected = try StructuredClient(provider: provider, configuration: .init(namespace: "myapp"))
                .cachePayload(
                    model: "gpt-4.1-mini", messages: hello, schema: try jsonSchema(for: User.self), mode: .tools,
                    options: RequestOptions(), streaming: true)
            #expect(namedRun.output == expected.key + "\n")
            #expect(Set([standard.output, withKeyRun.output, namedRun.output]).count == 3)

            let several = try await Self.run(["key", request, named])
            #expect(several.lines == ["\(standard.output.dropLast())  \(request)", "\(expected.key)  \(named)"])
            let json = try JSONValue(parsing: try await Self.run(["key", named, "--json"]).output)
            #expect(json[0]?["key"]?.stringValue == expected.key)
            #expect(json[0]?["payload"]?["namespace"] == "myapp")
        }
    }

    @Test func keyDiffPrintsWhereTwoRequestsDiffer() async throws {
        try await Self.withRequestFolder { folder in
            let before = try Self.requestFile(in: folder, "before.json")
            let after = try Self.requestFile(
                in: folder, "after.json", content: "hi", extra: ["options": ["temperature": 0.2]])
            let diff = try await Self.run(["key", before, after, "--diff"])
            #expect(diff.status == 0, "\(diff)")
            #expect(diff.lines.count == 4, "\(diff)")
            #expect(diff.lines[0].hasSuffix("  \(before)") && diff.lines[1].hasSuffix("  \(after)"))
            #expect(diff.lines[2] == #"messages[0].content: "hello" → "hi""#)
            #expect(diff.lines[3] == "request.temperature: absent → 0.2")
            // Instructor's key leaves the temperature out.
            let instructor = try await Self.run(["key", before, after, "--diff", "--instructor116"])
            #expect(instructor.lines.dropFirst(2) == [#"messages[0].content: "hello" → "hi""#], "\(instructor)")
            let same = try await Self.run(["key", before, before, "--diff"])
            #expect(same.lines.last == "no differences")
        }
    }

    @Test func aRequestFileThatIsWrongSaysWhere() async throws {
        try await Self.withRequestFolder { folder in
            let typo = try Self.requestFile(in: folder, "typo.json", extra: ["temprature": 0.2])
            let run = try await Self.run(["key", typo])
            #expect(run.status == 1 && run.output.isEmpty)
            #expect(run.errors.contains("\(typo): unknown member \"temprature\""), "\(run)")
            let mode = try Self.requestFile(in: folder, "mode.json", extra: ["mode": "PARALLEL_TOOLS"])
            let unknownMode = try await Self.run(["key", mode])
            #expect(unknownMode.status == 1 && unknownMode.errors.contains("PARALLEL_TOOLS"), "\(unknownMode)")
            let gemini = try Self.requestFile(in: folder, "gemini.json", extra: ["provider": ["kind": "gemini"]])
            #expect(try await Self.run(["key", gemini]).status == 0)
            let refused = try await Self.run(["key", gemini, "--instructor116"])
            #expect(refused.status == 1 && refused.errors.contains("Gemini"), "\(refused)")
            let missing = try await Self.run(["key", folder.appendingPathComponent("none.json").path])
            #expect(missing.status == 1 && missing.errors.contains("cannot read the request file"))
        }
    }

    @Test func theReadmesRequestFileGetsTheKeyItsExampleSays() async throws {
        let readme = try String(contentsOf: ReadmeTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## The command-line tool\n").dropFirst().first)
        let request = try #require(
            section.components(separatedBy: "```json\n").dropFirst().first?.components(separatedBy: "\n```").first)
        let promised = try #require(
            section.components(separatedBy: "--make-cache-key  # ").dropFirst().first?.prefix(64))
        try await Self.withRequestFolder { folder in
            let file = folder.appendingPathComponent("request.json")
            try Data(request.utf8).write(to: file)
            let run = try await Self.run(["key", file.path, "--make-cache-key"])
            #expect(run.status == 0, "\(run)")
            #expect(run.output == promised + "\n")
            #expect(try await Self.run(["key", file.path]).status == 0)
        }
    }

    // MARK: Usage

    @Test func helpDescribesTheToolAndEveryCommand() async throws {
        let help = try await Self.run(["--help"])
        #expect(help.status == 0 && help.errors.isEmpty)
        for command in ["stats", "list", "show", "purge", "key"] {
            #expect(help.lines.contains { $0.hasPrefix("  \(command) ") }, "\(help)")
            let own = try await Self.run([command, "--help"])
            #expect(own.status == 0, "\(own)")
            #expect(own.output.contains("Usage:\n  structured-cache \(command) "), "\(own)")
            #expect(own.output.contains("  --help "))
            #expect(try await Self.run(["help", command]).output == own.output)
        }
        let bare = try await Self.run([])
        #expect(bare.status == 2 && bare.output.isEmpty && bare.errors.contains("Commands:"))
    }

    @Test func usageErrorsSayWhatWasExpectedAndExitWithStatus2() async throws {
        let folder = FileManager.default.temporaryDirectory.path
        let cases: [([String], String)] = [
            (["frobnicate"], "unknown command 'frobnicate'; the commands are stats, list, show, purge, key"),
            (["list"], "'structured-cache list' expects a cache: --disk PATH, --redis URL or --cluster URL,…"),
            (["list", "--disk", folder, "--redis", "redis://localhost"], "give one cache, not --disk and --redis"),
            (["list", "--disk"], "--disk expects a value (PATH)"),
            (["list", "--disk", folder, "--limit"], "--limit expects a value (N)"),
            (["list", "--disk", folder, "--limit=many"], "--limit expects a whole number of at least 0, got 'many'"),
            (["list", "--disk", folder, "--frob"], "unknown option '--frob' for 'structured-cache list'"),
            (["list", "--disk", folder, "--json=yes"], "--json takes no value"),
            (["list", "--disk", folder, "--json", "--json"], "--json is given twice"),
            (["list", "--disk", folder, "extra"], "'structured-cache list' takes no argument, got 'extra'"),
            (["list", "--disk", folder, "--prefix", "p:"], "--prefix goes with --redis or --cluster, not --disk"),
            (["show", "--disk", folder], "'structured-cache show' expects KEY"),
            (["purge", "--disk", folder], "'structured-cache purge' needs a filter"),
            (["purge", "--disk", folder, "--all", "--expired"], "--all takes no other filter"),
            (["purge", "--redis", "redis://localhost", "--prefix=", "--all"], "purge needs a non-empty --prefix"),
            (["purge", "--disk", folder, "--older-than", "5x"], "--older-than expects a duration such as 90s"),
            (["purge", "--disk", folder, "--older-than", "90"], "--older-than expects a duration such as 90s"),
            (["key"], "'structured-cache key' expects REQUEST.json"),
            (["key", "a.json", "--diff"], "--diff compares two request files, got 1"),
            (["key", "a.json", "--instructor116", "--make-cache-key"], "give one key scheme"),
        ]
        for (arguments, message) in cases {
            let run = try await Self.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run)")
            #expect(run.output.isEmpty, "\(arguments): \(run)")
            #expect(run.errors.hasPrefix("structured-cache: error: \(message)"), "\(arguments): \(run)")
            #expect(run.errors.contains("--help' for usage."), "\(arguments): \(run)")
        }
        let failure = try await Self.run(["stats", "--disk", "/nonexistent/structured-cache-folder"])
        #expect(failure.status == 1 && failure.errors.contains("no DiskCache folder at /nonexistent"), "\(failure)")
    }
}
