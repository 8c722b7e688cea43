// Durations as people type and read them: `90s`, `10m`, `2h`, `7d`, `1h30m` in; `2h 5m` out.

import Foundation

/// Reading and writing durations in whole units of seconds, minutes, hours and days.
enum DurationText {
    /// The units, largest first, with their length in seconds.
    private static let units: [(symbol: Character, seconds: Int64)] = [
        ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// Reads a duration: one or more whole numbers, each followed by its unit (`s`, `m`, `h`, `d`), as in
    /// `90s`, `10m`, `2h`, `7d` or `1h30m`.
    ///
    /// - Parameter text: The duration.
    /// - Returns: The duration, or `nil` when `text` is not one (a number without a unit, an unknown unit).
    static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var digits = ""
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let unit = units.first(where: { $0.symbol == character }), let number = Int64(digits) else {
                return nil
            }
            let (product, overflow) = number.multipliedReportingOverflow(by: unit.seconds)
            guard !overflow, total <= Int64.max - product else { return nil }
            total += product
            digits = ""
        }
        guard digits.isEmpty, !text.isEmpty else { return nil }
        return .seconds(total)
    }

    /// Writes a length of time in its largest unit and the next one: `2d 3h`, `5h 0m`, `3m 20s`, `45s`.
    ///
    /// - Parameter seconds: The length; negative lengths are written as their magnitude.
    /// - Returns: The text; `0s` under a second.
    static func format(seconds: Double) -> String {
        let whole = Int64(min(abs(seconds), 9e15).rounded(.down))
        let largest = units.firstIndex { whole >= $0.seconds } ?? units.count - 1
        let first = units[largest]
        guard largest + 1 < units.count else { return "\(whole)\(first.symbol)" }
        let next = units[largest + 1]
        return "\(whole / first.seconds)\(first.symbol) \(whole % first.seconds / next.seconds)\(next.symbol)"
    }
}

extension Duration {
    /// The duration in seconds.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
