// The name of a DiskCache entry file: a 128-bit hash of the key, spelled as 32 lowercase hex digits.

import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Identifies the file of one key: the first 128 bits of the SHA-256 of the key's UTF-8 bytes.
///
/// The first two hex digits name the fan-out folder, the other thirty the file, so any key, however
/// long or strange, becomes a fixed-length, traversal-free path. A cryptographic hash means keys
/// cannot be chosen to share a file (and evict each other); should two ever share one, the full key
/// stored in the file tells them apart. Changing this derivation changes every file name, so it is
/// part of the on-disk format.
struct DiskEntryID: Hashable, DigestKey, Sendable {
    let high: UInt64
    let low: UInt64

    /// Already a hash of the key: its bits are as mixed as they get.
    var digest: UInt64 { high }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The ID of the key whose UTF-8 bytes are `key`.
    init(key: UnsafeRawBufferPointer) {
        var function = SHA256()
        function.update(bufferPointer: key)
        (high, low) = function.finalize().leading128Bits
    }

    /// Parses a fan-out folder name (2 hex digits) and a file name (30 hex digits).
    init?(folder: String, file: String) {
        guard folder.utf8.count == 2, file.utf8.count == 30 else { return nil }
        var digits = [UInt8]()
        digits.reserveCapacity(32)
        for byte in folder.utf8 { digits.append(byte) }
        for byte in file.utf8 { digits.append(byte) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, byte) in digits.enumerated() {
            guard let nibble = Self.nibble(byte) else { return nil }
            if position < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
        }
        self.init(high: high, low: low)
    }

    /// Writes the 32 lowercase hex digits into `buffer`, which must hold 32 bytes.
    func writeHex(into buffer: UnsafeMutableRawBufferPointer) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { table in
            for position in 0..<16 {
                let shift = UInt64(60 - position * 4)
                buffer[position] = table[Int((high >> shift) & 0xF)]
                buffer[16 + position] = table[Int((low >> shift) & 0xF)]
            }
        }
    }

    /// Calls `body` with the entry's names as NUL-terminated C strings, built on the stack.
    func withNames<Result>(_ body: (DiskEntryNames) throws -> Result) rethrows -> Result {
        // "<2 hex>/<30 hex>\0" then "<2 hex>\0".
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 37) { buffer in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { hex in
                writeHex(into: UnsafeMutableRawBufferPointer(hex))
                bytes[0] = hex[0]
                bytes[1] = hex[1]
                bytes[2] = UInt8(ascii: "/")
                for position in 2..<32 { bytes[position + 1] = hex[position] }
                bytes[33] = 0
                bytes[34] = hex[0]
                bytes[35] = hex[1]
                bytes[36] = 0
            }
            let base = UnsafePointer(buffer.baseAddress!)
            return try body(DiskEntryNames(relativePath: base, folder: base + 34, file: base + 3))
        }
    }

    /// The fan-out folder name.
    var folderName: String {
        String(hex.prefix(2))
    }

    /// The entry file name.
    var fileName: String {
        String(hex.dropFirst(2))
    }

    /// All 32 hex digits.
    var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            writeHex(into: UnsafeMutableRawBufferPointer(buffer))
            return 32
        }
    }

    /// Whether `name` is a fan-out folder name.
    static func isFolderName(_ name: String) -> Bool {
        name.utf8.count == 2 && name.utf8.allSatisfy { nibble($0) != nil }
    }

    /// Whether the NUL-terminated `name` is a fan-out folder name.
    static func isFolderName(_ name: UnsafePointer<CChar>) -> Bool {
        name[0] != 0 && name[1] != 0 && name[2] == 0 && nibble(UInt8(bitPattern: name[0])) != nil
            && nibble(UInt8(bitPattern: name[1])) != nil
    }

    /// Parses the NUL-terminated names of a fan-out folder and an entry file.
    init?(folder: UnsafePointer<CChar>, file: UnsafePointer<CChar>) {
        guard Self.isFolderName(folder), strlen(file) == 30 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for position in 0..<32 {
            let byte = UInt8(bitPattern: position < 2 ? folder[position] : file[position - 2])
            guard let nibble = Self.nibble(byte) else { return nil }
            if position < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
        }
        self.init(high: high, low: low)
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// The names of one entry, as NUL-terminated C strings valid inside ``DiskEntryID/withNames(_:)``.
struct DiskEntryNames {
    /// `<folder>/<file>`, relative to the cache folder.
    let relativePath: UnsafePointer<CChar>
    /// The fan-out folder's name: the first two hex digits.
    let folder: UnsafePointer<CChar>
    /// The entry file's name: the other thirty.
    let file: UnsafePointer<CChar>
}
