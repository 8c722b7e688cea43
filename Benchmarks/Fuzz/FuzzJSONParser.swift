// libFuzzer entry point for the JSON readers: parses the input as bytes and as text, writes what parses
// back and reads it again, and feeds the partial reader in pieces; traps if any two of them disagree.

/// Parses `bytes` with `maxDepth`, as a result rather than a throw, to compare outcomes.
private func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONParseError> {
    Result { () throws(JSONParseError) in try JSONValue(parsing: bytes, maxDepth: maxDepth) }
}

/// Parses `text` with `maxDepth`, as a result.
private func parse(_ text: String, maxDepth: Int) -> Result<JSONValue, JSONParseError> {
    Result { () throws(JSONParseError) in try JSONValue(parsing: text, maxDepth: maxDepth) }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// Feeds `bytes` to the partial reader in pieces of `pieceSize`, taking snapshots along the way, and
/// returns the value once read whole (`nil` when it is not, or when the reader throws).
private func readPartially(_ bytes: UnsafeBufferPointer<UInt8>, pieceSize: Int, maxDepth: Int) -> JSONValue? {
    var reader = PartialJSONParser(maxDepth: maxDepth)
    // A snapshot costs the size of the open containers: taking sixteen per input rather than one per
    // piece keeps deeply nested inputs fast.
    let snapshotEvery = max(1, bytes.count / pieceSize / 16)
    var pieces = 0
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + pieceSize)
        do throws(JSONParseError) {
            try reader.feed(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
        } catch {
            return nil
        }
        pieces += 1
        // Dropped as it is: a snapshot shares its members with the reader, so taking it apart would walk
        // them all.
        if pieces % snapshotEvery == 0 { _ = reader.snapshot }
        offset = end
    }
    return reader.value
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // A limit no input of the fuzzer's sizes reaches, so that the deepest nesting is read, written,
    // compared and destroyed; and the default one, which must agree wherever it is not reached.
    let unbounded = 1 << 20
    let deep = parse(bytes, maxDepth: unbounded)
    let bounded = parse(bytes, maxDepth: JSONValue.defaultMaxDepth)
    if case .failure(let error) = bounded, error.code == .tooDeep {
        check(error.offset >= JSONValue.defaultMaxDepth, "the depth limit was reported too early: \(error)")
    } else {
        check(bounded == deep, "the default depth limit changed an outcome")
    }
    // The text path skips UTF-8 validation; for valid UTF-8 it must read exactly what the bytes path reads.
    if let text = String(validating: bytes, as: UTF8.self) {
        check(parse(text, maxDepth: unbounded) == deep, "reading text differs from reading its bytes")
    }
    if case .success(let value) = deep {
        // Whatever parses is written back, escaped and sorted as for keys, and raw and indented, to text
        // that parses to the same value.
        for options in [JSONWritingOptions.pythonSorted, .init(ensureASCII: false, indent: 2)] {
            let written = value.jsonBytes(options)
            let reread = written.withUnsafeBufferPointer { parse($0, maxDepth: unbounded) }
            check(reread == deep, "writing with \(options) and reading back changes the value")
            if case .success(let copy) = reread { JSONValue.dismantle(consume copy) }
        }
    }
    // The partial reader must not crash on anything, and must read whole arrays and objects as the
    // parser does. The piece size derives from the input, so that every corpus file stays plain JSON.
    if let partial = readPartially(bytes, pieceSize: size % 13 + 1, maxDepth: unbounded) {
        guard case .success(let value) = deep else { fatalError("the partial reader reads what the parser rejects") }
        check(partial == value, "the partial reader reads another value")
        JSONValue.dismantle(consume partial)
    } else if case .success(let value) = deep, value.arrayValue != nil || value.objectValue != nil {
        fatalError("the partial reader did not read an array or object the parser reads")
    }
    if case .success(let value) = consume deep { JSONValue.dismantle(consume value) }
    return 0
}
