// Counts and sizes as people read them: `46,301`, `45.2 KiB`.

/// Writing counts and byte sizes.
enum NumberText {
    /// `number` with its digits grouped in threes: `46,301`.
    ///
    /// - Parameter number: The number.
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var text = ""
        for (position, digit) in digits.enumerated() {
            if position > 0 && (digits.count - position) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return (number < 0 ? "-" : "") + text
    }

    /// A size in the largest binary unit it reaches, to one decimal: `812 B`, `45.2 KiB`, `1.5 GiB`.
    ///
    /// - Parameter bytes: The size.
    static func bytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(bytes)
        var unit = 0
        while size >= 1_024 && unit < units.count - 1 {
            size /= 1_024
            unit += 1
        }
        guard unit > 0 else { return "\(bytes) B" }
        let tenths = Int((size * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
