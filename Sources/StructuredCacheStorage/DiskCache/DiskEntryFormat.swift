// The bytes of one DiskCache file: a fixed little-endian header, the full key, then the value.

/// The layout of a DiskCache entry file, format version 1.
///
/// ```
/// offset  size  field
///      0     4  magic "SCDC"
///      4     2  format version (1)
///      6     2  flags (0; reserved)
///      8     8  expiry, milliseconds since the Unix epoch; 0 for none (Int64)
///     16     4  key length in bytes (UInt32)
///     20     4  reserved (0)
///     24     8  value length in bytes (UInt64)
///     32     8  XXH64 (seed 0) of the value
///     40     8  XXH64 of the key, seeded with the XXH64 (seed 0) of bytes 0..<40
///     48     …  key (UTF-8), then value
/// ```
///
/// All integers are little-endian. A reader checks the magic and version first, so a later version may
/// change everything after byte 6.
enum DiskEntryFormat {
    static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x53, 0x43, 0x44, 0x43)  // "SCDC"
    static let version: UInt16 = 1
    static let headerSize = 48

    /// What a file's bytes turned out to hold.
    enum Decoded {
        /// A valid entry for the key asked for.
        case entry(valueOffset: Int, valueLength: Int, expiry: Int64)
        /// A valid entry for another key whose file name collides; not ours to remove.
        case otherKey
        /// Written by a later format version; left alone.
        case futureVersion
        /// Not an entry, or a damaged one.
        case corrupt(String)
    }

    /// Header and key bytes for an entry.
    ///
    /// - Parameters:
    ///   - key: The key's UTF-8 bytes.
    ///   - value: The value's bytes (only its length and checksum go in the header).
    ///   - expiry: Milliseconds since the Unix epoch, or 0 for none.
    /// - Complexity: O(*k* + *v*) for key and value lengths (the value is checksummed).
    static func header(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, expiry: Int64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize + key.count)
        bytes.withUnsafeMutableBytes { out in
            out[0] = magic.0
            out[1] = magic.1
            out[2] = magic.2
            out[3] = magic.3
            out.storeBytes(of: version.littleEndian, toByteOffset: 4, as: UInt16.self)
            out.storeBytes(of: expiry.littleEndian, toByteOffset: 8, as: Int64.self)
            out.storeBytes(of: UInt32(key.count).littleEndian, toByteOffset: 16, as: UInt32.self)
            out.storeBytes(of: UInt64(value.count).littleEndian, toByteOffset: 24, as: UInt64.self)
            out.storeBytes(of: XXHash64.hash(value).littleEndian, toByteOffset: 32, as: UInt64.self)
            if key.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: out[headerSize...]).copyMemory(from: key)
            }
            out.storeBytes(
                of: headerChecksum(UnsafeRawBufferPointer(out)).littleEndian, toByteOffset: 40, as: UInt64.self)
        }
        return bytes
    }

    /// Reads the expiry and checks the version and lengths from the first ``headerSize`` bytes alone,
    /// without the key or the value; used by sweeps.
    ///
    /// - Returns: The expiry (0 for none), `.futureVersion`, or `.corrupt`.
    static func peek(_ header: UnsafeRawBufferPointer, fileSize: Int) -> Result<Int64, PeekFailure> {
        guard header.count >= headerSize, hasMagic(header) else { return .failure(.corrupt) }
        let fileVersion = UInt16(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        if fileVersion > version { return .failure(.futureVersion) }
        guard fileVersion == version, let lengths = lengths(header),
            headerSize + lengths.key + lengths.value == fileSize
        else { return .failure(.corrupt) }
        return .success(Int64(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: Int64.self)))
    }

    /// Checks the first ``headerSize`` bytes of a file of `fileSize` bytes asked for a key of `keyLength`
    /// bytes, before the rest is read.
    ///
    /// - Returns: `nil` when the header is an entry's whose lengths add up to the file size, for a key of
    ///   that length; otherwise what the file is.
    static func check(_ header: UnsafeRawBufferPointer, fileSize: Int, keyLength: Int) -> Decoded? {
        switch peek(header, fileSize: fileSize) {
        case .failure(.futureVersion): return .futureVersion
        case .failure(.corrupt): return .corrupt("bad header, or lengths that do not add up to the file size")
        case .success: return lengths(header)?.key == keyLength ? nil : .otherKey
        }
    }

    /// Where the key lies in a file of `fileSize` bytes, from its first ``headerSize`` bytes alone: for
    /// reading an entry whatever its key (a listing), which ``decode(_:key:)`` then checks whole.
    ///
    /// - Returns: The key's byte range in the file, or `nil` when the header is not a valid one of this
    ///   version whose lengths add up to `fileSize`.
    static func keyRange(_ header: UnsafeRawBufferPointer, fileSize: Int) -> Range<Int>? {
        guard case .success = peek(header, fileSize: fileSize), let lengths = lengths(header) else { return nil }
        return headerSize..<(headerSize + lengths.key)
    }

    /// Why ``peek(_:fileSize:)`` found no usable expiry.
    enum PeekFailure: Error {
        case futureVersion
        case corrupt
    }

    /// Decodes a whole file and checks it belongs to `key`.
    ///
    /// - Parameters:
    ///   - file: Every byte of the file.
    ///   - key: The UTF-8 bytes of the key asked for.
    /// - Complexity: O(*n*) in the file size (the value's checksum is verified).
    static func decode(_ file: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> Decoded {
        guard file.count >= 6, hasMagic(file) else { return .corrupt("not a cache entry") }
        let fileVersion = UInt16(littleEndian: file.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        if fileVersion > version { return .futureVersion }
        guard fileVersion == version else { return .corrupt("unknown format version \(fileVersion)") }
        guard file.count >= headerSize, let lengths = lengths(file) else { return .corrupt("truncated header") }
        guard headerSize + lengths.key + lengths.value == file.count else {
            return .corrupt(
                "length mismatch: header says \(headerSize + lengths.key + lengths.value), file has \(file.count)")
        }
        let storedHeaderSum = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
        guard storedHeaderSum == headerChecksum(UnsafeRawBufferPointer(rebasing: file[..<(headerSize + lengths.key)]))
        else { return .corrupt("header checksum mismatch") }
        let storedKey = UnsafeRawBufferPointer(rebasing: file[headerSize..<(headerSize + lengths.key)])
        guard storedKey.elementsEqual(key) else { return .otherKey }
        let valueOffset = headerSize + lengths.key
        let value = UnsafeRawBufferPointer(rebasing: file[valueOffset...])
        let storedValueSum = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        guard storedValueSum == XXHash64.hash(value) else { return .corrupt("value checksum mismatch") }
        let expiry = Int64(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        return .entry(valueOffset: valueOffset, valueLength: lengths.value, expiry: expiry)
    }

    private static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == magic.0 && bytes[1] == magic.1 && bytes[2] == magic.2 && bytes[3] == magic.3
    }

    private static func lengths(_ header: UnsafeRawBufferPointer) -> (key: Int, value: Int)? {
        let keyLength = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let valueLength = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        guard valueLength <= UInt64(Int.max / 2) else { return nil }
        return (Int(keyLength), Int(valueLength))
    }

    /// XXH64 of header bytes 0..<40 and the key, so a flipped expiry or length is caught too.
    private static func headerChecksum(_ headerAndKey: UnsafeRawBufferPointer) -> UInt64 {
        // Chaining through the seed covers both parts without copying them into one buffer.
        let fixed = XXHash64.hash(UnsafeRawBufferPointer(rebasing: headerAndKey[0..<40]))
        return XXHash64.hash(UnsafeRawBufferPointer(rebasing: headerAndKey[headerSize...]), seed: fixed)
    }
}
