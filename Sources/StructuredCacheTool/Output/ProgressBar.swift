// A progress bar on standard error, drawn only on a terminal and only for long work.

/// A progress bar for work on many entries: drawn on standard error when it is a terminal and there
/// are at least ``threshold`` entries, redrawn in place, and erased when the work is done.
final class ProgressBar {
    /// The fewest entries that get a bar: below it the work is over before a bar would help.
    static let threshold = 200

    private let label: String
    private let total: Int
    private let drawn: Bool
    private var done = 0
    private var lastWidth = -1

    /// - Parameters:
    ///   - label: What is being done (`removing`).
    ///   - total: How many entries there are to do.
    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
        drawn = total >= Self.threshold && Console.errorIsTerminal
        draw()
    }

    /// Notes that `count` more entries are done, and redraws the bar when it moved.
    ///
    /// - Parameter count: How many were just done.
    func advance(by count: Int = 1) {
        done = min(total, done + count)
        draw()
    }

    /// Erases the bar.
    func finish() {
        if drawn { Console.writeError("\r\u{1B}[K") }
    }

    private func draw() {
        guard drawn else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        guard filled != lastWidth || done == total else { return }
        lastWidth = filled
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Console.writeError("\r\(label) [\(bar)] \(done)/\(total)")
    }
}
