// The stored envelope: Instructor's exact bytes, read back whatever wrote it, usage found without
// reading the completion.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct CacheEnvelopeTests {
    /// Instructor's own bytes for these values (instructor-behaviour.md, section 1.4).
    static let instructorWritten =
        #"{"model": "{\"name\":\"Jos\u00e9 \ud83d\ude00\"}", "raw": "{\"id\": \"x1\", \"choices\": [{\"message\": {\"content\": \"\\u00e9\"}}], \"n\": 1.0}"}"#

    @Test func writesInstructorsEnvelope() {
        let envelope = CacheEnvelope(
            modelJSON: "{\"name\":\"Jos\u{E9} \u{1F600}\"}",
            rawJSON: #"{"id": "x1", "choices": [{"message": {"content": "\u00e9"}}], "n": 1.0}"#)
        #expect(String(decoding: envelope.bytes, as: UTF8.self) == Self.instructorWritten)
        #expect(
            String(decoding: CacheEnvelope(modelJSON: #"{"name":"none"}"#, rawJSON: nil).bytes, as: UTF8.self)
                == #"{"model": "{\"name\":\"none\"}", "raw": null}"#)
    }

    @Test func readsWhatInstructorWrote() throws {
        let envelope = try #require(CacheEnvelope(bytes: Data(Self.instructorWritten.utf8)))
        #expect(envelope.modelJSON == "{\"name\":\"Jos\u{E9} \u{1F600}\"}")
        #expect(envelope.rawJSON == #"{"id": "x1", "choices": [{"message": {"content": "\u00e9"}}], "n": 1.0}"#)
    }

    @Test(arguments: [
        #"{"model": "{\"a\":1}", "raw": null}"#,
        #"{"model":"{\"a\":1}","raw":null}"#,
        #"{"raw": null, "model": "{\"a\":1}"}"#,
        #"{"model": "{\"a\":1}"}"#,
        " {\"model\": \"{\\\"a\\\":1}\", \"raw\": null} ",
    ])
    func readsAnySpellingOfTheEnvelope(text: String) throws {
        let envelope = try #require(CacheEnvelope(bytes: Data(text.utf8)))
        #expect(envelope.modelJSON == #"{"a":1}"#)
        #expect(envelope.rawJSON == nil)
    }

    @Test func readsALegacyBareAnswer() throws {
        #expect(
            CacheEnvelope(bytes: Data(#"{"name": "legacy"}"#.utf8))
                == CacheEnvelope(modelJSON: #"{"name": "legacy"}"#, rawJSON: nil))
        // A member named "model" that is not the envelope's string is an answer, not an envelope.
        let answer = #"{"model": "gpt", "raw": 3}"#
        #expect(CacheEnvelope(bytes: Data(answer.utf8))?.modelJSON == answer)
        #expect(CacheEnvelope(bytes: Data([0xFF, 0xFE])) == nil)
    }

    @Test func roundTripsAndFindsTheUsage() throws {
        let raw = ChatPayload.toolCallCompletion(
            name: "User", arguments: #"{"name": "\"quoted\" total_tokens"}"#, promptTokens: 120, completionTokens: 3)
        let written = CacheEnvelope(modelJSON: #"{"name":"x"}"#, rawJSON: raw.jsonString(.compact))
        #expect(written.tokens(OpenAIChatDialect().usageNames) == TokenCounts(input: 120, output: 3, cached: 0))
        let read = try #require(CacheEnvelope(bytes: written.bytes))
        #expect(read == written)
        #expect(read.tokens(OpenAIChatDialect().usageNames) == TokenCounts(input: 120, output: 3, cached: 0))
        #expect(read.completion(in: OpenAIChatDialect())?.usage?.totalTokens == 123)
        #expect(
            read.completion(in: OpenAIChatDialect())?.message?.toolCalls?.first?.arguments
                == #"{"name": "\"quoted\" total_tokens"}"#)
        #expect(
            CacheEnvelope(modelJSON: "{}", rawJSON: #"{"id": "no usage"}"#).tokens(OpenAIChatDialect().usageNames)
                == nil)
    }
}
