// Formats a Double exactly as Python's repr(float) does, which is what json.dumps writes.

/// Formats `Double` as CPython's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in -4 ..< 16 (`0.0001`, `1e-05`, `1234567890123456.0`,
/// `1e+16`), with at least one fractional digit in fixed notation and a signed, at least two-digit
/// exponent otherwise; `NaN`, `Infinity` and `-Infinity` as json.dumps writes them.
enum PythonFloatFormatter {
    /// Appends the Python text of `value` to `bytes`.
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        if value.isNaN {
            bytes.append(contentsOf: "NaN".utf8)
            return
        }
        if value.isInfinite {
            bytes.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
            return
        }
        if value.sign == .minus { bytes.append(UInt8(ascii: "-")) }
        if value == 0 {
            bytes.append(contentsOf: "0.0".utf8)
            return
        }
        // Swift's description yields the shortest round-trip digits (as Python's repr does); only
        // the layout differs, so take the digits and the exponent from it and lay them out anew.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var pointPosition: Int?
        var exponent = 0
        var leadingZeros = 0
        var parsingExponent = false
        var exponentSign = 1
        for byte in value.magnitude.description.utf8 {
            if parsingExponent {
                switch byte {
                case UInt8(ascii: "-"): exponentSign = -1
                case UInt8(ascii: "+"): break
                default: exponent = exponent * 10 + Int(byte &- UInt8(ascii: "0"))
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "."): pointPosition = digits.count + leadingZeros
            case UInt8(ascii: "e"), UInt8(ascii: "E"): parsingExponent = true
            case UInt8(ascii: "0") where digits.isEmpty: leadingZeros += 1
            default: digits.append(byte)
            }
        }
        // The value is 0.DIGITS × 10^decimalPoint.
        let integerDigits = pointPosition ?? (digits.count + leadingZeros)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let decimalPoint = integerDigits - leadingZeros + exponentSign * exponent
        appendLaidOut(digits: digits, decimalPoint: decimalPoint, to: &bytes)
    }

    /// Lays out significant `digits` (no leading or trailing zeros) whose value is
    /// 0.DIGITS × 10^`decimalPoint`, as `format_float_short` in CPython's pystrtod.c does for 'r'.
    static func appendLaidOut(digits: [UInt8], decimalPoint: Int, to bytes: inout [UInt8]) {
        if decimalPoint <= -4 || decimalPoint > 16 {
            bytes.append(digits[0])
            if digits.count > 1 {
                bytes.append(UInt8(ascii: "."))
                bytes.append(contentsOf: digits[1...])
            }
            let shown = decimalPoint - 1
            bytes.append(UInt8(ascii: "e"))
            bytes.append(shown < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let magnitude = abs(shown)
            if magnitude < 10 { bytes.append(UInt8(ascii: "0")) }
            bytes.append(contentsOf: String(magnitude).utf8)
        } else if decimalPoint <= 0 {
            bytes.append(contentsOf: "0.".utf8)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -decimalPoint))
            bytes.append(contentsOf: digits)
        } else if decimalPoint >= digits.count {
            bytes.append(contentsOf: digits)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimalPoint - digits.count))
            bytes.append(contentsOf: ".0".utf8)
        } else {
            bytes.append(contentsOf: digits[..<decimalPoint])
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: digits[decimalPoint...])
        }
    }
}
