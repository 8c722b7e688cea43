// An integer too large for Int, kept as the decimal digits Python would print for it.

/// An integer of any size, stored as its canonical decimal digits.
///
/// Python's integers have no size limit, and `json.dumps` writes every digit. `JSONBigInt` keeps
/// them so that `12345678901234567890` is written back exactly.
public struct JSONBigInt: Sendable, Hashable, CustomStringConvertible {
    /// The canonical decimal text: an optional `-`, then digits without leading zeros (`0` for zero).
    public let digits: String

    /// Reads an integer from decimal text.
    ///
    /// - Parameter text: An optional `+` or `-` followed by one or more decimal digits.
    /// - Returns: `nil` when `text` is not an integer.
    public init?(_ text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        let significant = utf8.drop(while: { $0 == UInt8(ascii: "0") })
        if significant.isEmpty {
            digits = "0"
        } else {
            digits = (negative ? "-" : "") + String(decoding: significant, as: UTF8.self)
        }
    }

    /// The integer's decimal digits, as JSON writes them.
    public var description: String { digits }
}
