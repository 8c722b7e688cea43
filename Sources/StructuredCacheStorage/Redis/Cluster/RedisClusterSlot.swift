// The hash slot of a key in a Redis Cluster: CRC16 (XMODEM) of the key, or of its hash tag, mod 16384.

/// Computes which of a Redis Cluster's 16384 hash slots a key belongs to.
///
/// The slot is `CRC16(key) mod 16384`, CRC16 being the XMODEM variant (polynomial 0x1021, initial value
/// 0, no reflection), so that `crc16("123456789") == 0x31C3`. When the key holds a hash tag, only the tag
/// is hashed: the bytes between the first `{` and the first `}` after it, provided there is at least one
/// byte between them. Keys with the same tag therefore share a slot.
///
/// ```swift
/// RedisClusterSlot.slot(of: "{user1000}.following") == RedisClusterSlot.slot(of: "user1000")
/// RedisClusterSlot.slot(prefix: "app:", key: "answer") == RedisClusterSlot.slot(of: "app:answer")
/// ```
enum RedisClusterSlot {
    /// The number of hash slots of a cluster.
    static let count = 16384

    /// The CRC16 lookup table, one entry per byte value.
    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    /// The CRC16 (XMODEM) of `bytes`, continuing from `crc`.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to hash.
    ///   - crc: The CRC of the bytes before them; 0 to start.
    /// - Returns: The CRC of everything hashed so far.
    static func crc16<Bytes: Sequence<UInt8>>(_ bytes: Bytes, continuing crc: UInt16 = 0) -> UInt16 {
        var crc = crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
            }
        }
        return crc
    }

    /// The slot of a key given as bytes.
    ///
    /// - Parameter key: The whole key, as sent to the server.
    /// - Returns: A slot in `0..<16384`.
    static func slot<Bytes: Collection<UInt8>>(of key: Bytes) -> Int {
        var tagged = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen {
                tagged = key[afterOpen..<close]
            }
        }
        return Int(crc16(tagged) & 0x3FFF)
    }

    /// The slot of a key given as UTF-8 text.
    ///
    /// - Parameter key: The whole key, as sent to the server.
    /// - Returns: A slot in `0..<16384`.
    static func slot(of key: String) -> Int {
        var key = key
        return key.withUTF8 { slot(of: $0) }
    }

    /// The slot of the key `prefix + key`, computed without concatenating the two, as
    /// ``RESPEncoder/append(prefix:_:)`` writes the key.
    ///
    /// - Parameters:
    ///   - prefix: The first part of the key, such as the cache's key prefix.
    ///   - key: The rest of the key.
    /// - Returns: A slot in `0..<16384`.
    static func slot(prefix: String, key: String) -> Int {
        if prefix.isEmpty { return slot(of: key) }
        var prefix = prefix
        var key = key
        return prefix.withUTF8 { head in
            key.withUTF8 { tail in slot(head: head, tail: tail) }
        }
    }

    /// The slot of the concatenation of `head` and `tail`, following the hash tag rule across the two.
    private static func slot(head: UnsafeBufferPointer<UInt8>, tail: UnsafeBufferPointer<UInt8>) -> Int {
        let open = UInt8(ascii: "{")
        let close = UInt8(ascii: "}")
        if let start = head.firstIndex(of: open) {
            // The tag opens in the head: it closes later in the head, or else in the tail.
            let rest = head[(start + 1)...]
            if let end = rest.firstIndex(of: close) {
                if end != start + 1 { return Int(crc16(head[(start + 1)..<end]) & 0x3FFF) }
            } else if let end = tail.firstIndex(of: close), end != 0 || !rest.isEmpty {
                return Int(crc16(tail[..<end], continuing: crc16(rest)) & 0x3FFF)
            }
        } else if let start = tail.firstIndex(of: open) {
            if let end = tail[(start + 1)...].firstIndex(of: close), end != start + 1 {
                return Int(crc16(tail[(start + 1)..<end]) & 0x3FFF)
            }
        }
        return Int(crc16(tail, continuing: crc16(head)) & 0x3FFF)
    }
}
