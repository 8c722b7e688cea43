// Writes Redis commands as RESP arrays of bulk strings, straight into one byte buffer.

/// Encodes one command: an array of bulk strings, the only request form Redis accepts from clients.
///
/// The argument count is written first, so it must be known up front; every argument is then written
/// as a bulk string without intermediate allocations.
///
/// ```swift
/// var encoder = RESPEncoder(argumentCount: 2)
/// encoder.append("GET")
/// encoder.append("key")
/// // encoder.bytes == Array("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n".utf8)
/// ```
struct RESPEncoder {
    /// The encoded command.
    private(set) var bytes: [UInt8]
    private var remainingArguments: Int

    /// Starts a command of `argumentCount` arguments (the command name counts as one).
    ///
    /// - Parameters:
    ///   - argumentCount: How many arguments will be appended.
    ///   - capacity: Payload bytes to reserve beyond the framing, when the caller knows them.
    init(argumentCount: Int, reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(16 + argumentCount * 16 + capacity)
        remainingArguments = argumentCount
        bytes.append(UInt8(ascii: "*"))
        appendDecimal(argumentCount)
        appendCRLF()
    }

    /// Whether every announced argument has been appended.
    var isComplete: Bool { remainingArguments == 0 }

    /// Appends a bulk string argument from UTF-8 text.
    ///
    /// - Parameter text: The argument.
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { appendBulk($0) }
    }

    /// Appends a bulk string argument whose bytes are `prefix` followed by `text`, both as UTF-8.
    ///
    /// - Parameters:
    ///   - prefix: The first part, such as a key namespace.
    ///   - text: The second part.
    mutating func append(prefix: String, _ text: String) {
        var prefix = prefix
        var text = text
        prefix.withUTF8 { head in
            text.withUTF8 { tail in
                beginBulk(length: head.count + tail.count)
                bytes.append(contentsOf: head)
                bytes.append(contentsOf: tail)
                appendCRLF()
            }
        }
    }

    /// Appends a decimal integer argument, as Redis expects numbers in commands.
    ///
    /// - Parameter number: The argument.
    mutating func append(_ number: Int) {
        var digits: [UInt8] = []
        Self.decimal(number) { digits.append($0) }
        digits.withUnsafeBufferPointer { appendBulk($0) }
    }

    /// Appends a binary bulk string argument.
    ///
    /// - Parameter argument: The argument's bytes.
    mutating func append(bytes argument: UnsafeRawBufferPointer) {
        appendBulk(argument.assumingMemoryBound(to: UInt8.self))
    }

    /// Appends a binary bulk string argument.
    ///
    /// - Parameter argument: The argument's bytes.
    mutating func append(bytes argument: [UInt8]) {
        argument.withUnsafeBufferPointer { appendBulk($0) }
    }

    private mutating func appendBulk(_ argument: UnsafeBufferPointer<UInt8>) {
        beginBulk(length: argument.count)
        bytes.append(contentsOf: argument)
        appendCRLF()
    }

    private mutating func beginBulk(length: Int) {
        precondition(remainingArguments > 0, "more arguments than announced")
        remainingArguments -= 1
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(length)
        appendCRLF()
    }

    private mutating func appendCRLF() {
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    private mutating func appendDecimal(_ number: Int) {
        Self.decimal(number) { bytes.append($0) }
    }

    /// Emits the decimal digits of `number`, most significant first, without allocating.
    private static func decimal(_ number: Int, _ emit: (UInt8) -> Void) {
        if number < 0 { emit(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes hold the 20 digits of any UInt64
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            while count > 0 {
                count -= 1
                emit(buffer[count])
            }
        }
    }
}
