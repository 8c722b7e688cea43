// The values DiskCache's multi-process tests write: each proves its own integrity, so a reader can tell
// a whole value from a torn one. Shared by the worker process and the tests.

package import Foundation

/// A value that proves its own integrity: a header naming key, writer and sequence, then a payload
/// regenerated from them.
package enum WorkerValue {
    package static func make(key: Int, worker: Int, sequence: Int, length: Int) -> Data {
        var bytes = [UInt8]()
        bytes.reserveCapacity(24 + length)
        for field in [UInt64(key), UInt64(worker) << 32 | UInt64(length), UInt64(sequence)] {
            withUnsafeBytes(of: field.littleEndian) { bytes.append(contentsOf: $0) }
        }
        var state = UInt64(key &* 1_000_003 &+ worker &* 7_919 &+ sequence) | 1
        for _ in 0..<length {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes.append(UInt8(truncatingIfNeeded: state))
        }
        return Data(bytes)
    }

    /// Returns nil when `data` is a whole value of `key`, or what is wrong with it.
    package static func problem(in data: Data, key: Int) -> String? {
        guard data.count >= 24 else { return "value of \(data.count) bytes is shorter than its header" }
        let fields = (0..<3).map { index in
            data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        }
        let worker = Int(fields[1] >> 32)
        let length = Int(fields[1] & 0xFFFF_FFFF)
        guard Int(fields[0]) == key else { return "value of key \(fields[0]) found under key \(key)" }
        guard data.count == 24 + length else { return "length \(data.count), header says \(24 + length)" }
        guard make(key: key, worker: worker, sequence: Int(fields[2]), length: length) == data else {
            return "payload of key \(key) does not match its header (torn)"
        }
        return nil
    }
}
