// The keys of an EncryptedCache: the one that encrypts, and the ones that still decrypt.

extension EncryptedCache {
    /// The keys of an ``EncryptedCache``: the current key encrypts every new value; each key, current or
    /// previous, decrypts the values whose header names it.
    ///
    /// To rotate, make a new key current and move the old one to ``previous`` until the values it
    /// encrypted have expired. Printed with the identifiers only.
    public struct Keys: Sendable, CustomStringConvertible {
        /// The key that encrypts every new value.
        public var current: EncryptionKey
        /// Keys that only decrypt: the values written under them before a rotation.
        public var previous: [EncryptionKey]

        /// Creates the keys.
        ///
        /// - Parameters:
        ///   - current: The key that encrypts every new value.
        ///   - previous: Older keys that still decrypt the values they encrypted; none by default.
        public init(current: EncryptionKey, previous: [EncryptionKey] = []) {
            self.current = current
            self.previous = previous
        }

        /// `Keys(current: <identifier>, previous: [<identifier>, …])`.
        public var description: String {
            "Keys(current: \(current.identifier), previous: [\(previous.map(\.identifier).joined(separator: ", "))])"
        }
    }
}
