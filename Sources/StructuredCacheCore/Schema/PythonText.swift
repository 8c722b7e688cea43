// Python's str.title() and inspect.cleandoc(), which pydantic applies to field names and docstrings.

enum PythonText {
    /// Python's `str.title()`: a cased character after a cased one is lowercased, any other cased
    /// character is title-cased (`fullName` → "Fullname", `x y z` → "X Y Z", `user2name` → "User2Name").
    static func title(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var previousIsCased = false
        for scalar in text.unicodeScalars {
            let properties = scalar.properties
            result += previousIsCased ? properties.lowercaseMapping : properties.titlecaseMapping
            previousIsCased = properties.isCased
        }
        return result
    }

    /// The title pydantic derives from a field name: `_` becomes a space, then `str.title()`.
    static func fieldTitle(_ key: String) -> String {
        title(key.replacingUnderscores())
    }

    /// Python's `inspect.cleandoc`: tabs expanded, the first line's leading whitespace and the common
    /// indentation of the others removed, leading and trailing blank lines dropped.
    static func cleandoc(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { expandTabs(String($0)) }
        var margin = Int.max
        for line in lines.dropFirst() {
            let content = line.drop(while: isPythonSpace).count
            if content > 0 { margin = min(margin, line.count - content) }
        }
        if !lines.isEmpty { lines[0] = String(lines[0].drop(while: isPythonSpace)) }
        if margin < Int.max {
            for index in lines.indices.dropFirst() { lines[index] = String(lines[index].dropFirst(margin)) }
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        return lines.joined(separator: "\n")
    }

    private static func isPythonSpace(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy { $0.properties.isWhitespace || (0x1C...0x1F).contains($0.value) }
    }

    /// Python's `str.expandtabs()` with its default tab size of 8.
    private static func expandTabs(_ line: String) -> String {
        guard line.contains("\t") else { return line }
        var result = ""
        var column = 0
        for character in line {
            if character == "\t" {
                let spaces = 8 - column % 8
                result += String(repeating: " ", count: spaces)
                column += spaces
            } else {
                result.append(character)
                column += 1
            }
        }
        return result
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: unicodeScalars.lazy.map { $0 == "_" ? " " : $0 })
        return String(scalars)
    }
}
