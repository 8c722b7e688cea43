// Whether streaming calls use the cache, how a stored stream is replayed, and whether streamed and
// non-streamed calls share entries.

/// How a streaming call (``StructuredClient/createPartial(model:messages:responseModel:mode:options:cache:cacheTTL:cachePolicy:streamCaching:label:)``,
/// ``StructuredClient/createIterable(model:messages:responseModel:mode:options:cache:cacheTTL:cachePolicy:streamCaching:label:)``)
/// uses the cache.
///
/// Off by default: streaming calls then pass straight through. On, a miss streams live as ever and,
/// once the answer is complete and valid, stores it: the answer, the completion, and the pieces of
/// its text with when each arrived. A hit replays them, at once or at the recorded pace, yielding the
/// same snapshots (or elements) and ending with the same validated value, without calling the
/// provider.
///
/// ```swift
/// for try await snapshot in client.createPartial(messages: messages, responseModel: Report.self,
///                                                streamCaching: .on) { … }
/// ```
public struct StreamCaching: Sendable, Hashable {
    /// How a stored stream is replayed.
    public struct Replay: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case atOnce
            case recordedPace
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Every snapshot as fast as the consumer takes them.
        public static let atOnce = Replay(.atOnce)
        /// Each snapshot when it arrived in the recorded stream, counted from the start of the call
        /// (the time to the first piece included).
        public static let recordedPace = Replay(.recordedPace)

        /// The pace's name, for logs.
        public var description: String { base.rawValue }
    }

    /// Whether streaming calls read and store entries.
    public var isEnabled: Bool
    /// How a hit is replayed.
    public var replay: Replay
    /// Whether a stream and a ``StructuredClient/create(model:messages:responseModel:mode:maxRetries:options:cache:cacheTTL:cachePolicy:label:staleIfError:)``
    /// of the same question share one entry: then `create` can answer from a stored stream's final
    /// value, and a stream from a `create` entry, as one snapshot (or all its elements at once). Off
    /// by default: the two forms have keys of their own.
    public var sharesEntriesWithCreate: Bool

    /// Streaming calls pass straight through: never read, never stored.
    public static let off = StreamCaching(isEnabled: false)
    /// Streams are stored, and replayed at once.
    public static let on = StreamCaching()

    /// Creates a setting.
    ///
    /// - Parameters:
    ///   - isEnabled: Whether streaming calls read and store entries.
    ///   - replay: How a hit is replayed.
    ///   - sharesEntriesWithCreate: Whether a stream and a `create` of the same question share an entry.
    public init(isEnabled: Bool = true, replay: Replay = .atOnce, sharesEntriesWithCreate: Bool = false) {
        self.isEnabled = isEnabled
        self.replay = replay
        self.sharesEntriesWithCreate = sharesEntriesWithCreate
    }
}
