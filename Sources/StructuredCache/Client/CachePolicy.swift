// How one call uses the cache.

/// How a call uses the cache.
public struct CachePolicy: Hashable, Sendable, CustomStringConvertible {
    private enum Base: String, Hashable, Sendable {
        case use
        case refresh
        case noStore
        case bypass
        case replayOnly
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Read first; on a miss, ask the provider and store the answer.
    public static let use = CachePolicy(.use)
    /// Skip the read, ask the provider, and store (replace) the answer.
    public static let refresh = CachePolicy(.refresh)
    /// Read first; on a miss, ask the provider but store nothing.
    public static let noStore = CachePolicy(.noStore)
    /// Neither read nor store.
    public static let bypass = CachePolicy(.bypass)
    /// Read only: a miss never reaches the provider and throws ``ClientError/Code/replayMiss``, with the
    /// call's key and payload (and, when the recording kept payloads, what changed since). For test
    /// suites and evaluations that replay answers recorded earlier, offline and deterministically.
    public static let replayOnly = CachePolicy(.replayOnly)

    var reads: Bool { base == .use || base == .noStore || base == .replayOnly }
    var stores: Bool { base == .use || base == .refresh }

    /// The policy's name (`use`, `refresh` …), for logs.
    public var description: String { base.rawValue }
}
