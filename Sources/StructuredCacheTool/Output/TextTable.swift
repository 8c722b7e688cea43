// Aligned columns of text for the tool's tables.

/// A table written as aligned columns: text left-aligned, numbers right-aligned.
struct TextTable {
    /// How a column is aligned.
    enum Alignment {
        case left
        case right
    }

    private let headers: [String]
    private let alignments: [Alignment]
    private let showsHeaders: Bool
    private var rows: [[String]] = []

    /// - Parameters:
    ///   - columns: Each column's header and alignment.
    ///   - showsHeaders: Whether the headers are written as the first line.
    init(_ columns: [(header: String, alignment: Alignment)], showsHeaders: Bool = true) {
        headers = columns.map(\.header)
        alignments = columns.map(\.alignment)
        self.showsHeaders = showsHeaders
    }

    /// Adds a row; missing cells are empty.
    ///
    /// - Parameter cells: One cell per column.
    mutating func add(_ cells: [String]) {
        rows.append(cells + Array(repeating: "", count: max(0, headers.count - cells.count)))
    }

    /// Whether rows have been added.
    var isEmpty: Bool { rows.isEmpty }

    /// The table as lines, its headers first, columns two spaces apart, no trailing spaces.
    var text: String {
        let all = (showsHeaders ? [headers] : []) + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            var line = ""
            for (column, cell) in row.prefix(headers.count).enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let last = column == headers.count - 1
                line += alignments[column] == .right ? padding + cell : cell + (last ? "" : padding)
                if !last { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
