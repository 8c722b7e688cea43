// The CacheError a call throws, for tests that look at its code and message.

import StructuredCache

extension CacheError {
    /// The error `body` throws, as a `CacheError`, or `nil` when it throws none or another type.
    ///
    /// - Parameter body: The call.
    /// - Returns: Its error.
    static func thrown(by body: () async throws -> Void) async -> CacheError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? CacheError
        }
    }
}
