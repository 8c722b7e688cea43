// libFuzzer entry point for the RESP decoder: decodes the input whole and in small pieces and traps if the
// two disagree. Crashes, hangs and sanitizer reports are what the fuzzer looks for.

/// Decodes `stream` fed in pieces of `pieceSize` bytes (all at once when `pieceSize` is 0).
private func decode(
    _ stream: UnsafeBufferPointer<UInt8>, pieceSize: Int, limits: RESPDecoder.Limits
) -> ([RESPValue], RESPDecodingError.Code?) {
    var decoder = RESPDecoder(limits: limits)
    var values: [RESPValue] = []
    var offset = 0
    repeat {
        let end = pieceSize == 0 ? stream.count : min(stream.count, offset + pieceSize)
        decoder.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: stream[offset..<end])))
        offset = end
        do {
            while let value = try decoder.next() { values.append(value) }
        } catch {
            return (values, error.code)
        }
    } while offset < stream.count
    return (values, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let stream = UnsafeBufferPointer(start: data, count: size)
    // Small limits, so that the fuzzer reaches them and no input can make it allocate much.
    let limits = RESPDecoder.Limits(
        maximumBulkLength: 1 << 16, maximumReplySize: 1 << 17, maximumAggregateLength: 1 << 12,
        maximumDepth: 16, maximumLineLength: 1 << 12)
    let whole = decode(stream, pieceSize: 0, limits: limits)
    // The piece size derives from the input, so every corpus file is also a plain RESP stream.
    let pieces = decode(stream, pieceSize: size % 13 + 1, limits: limits)
    if whole.0 != pieces.0 || whole.1 != pieces.1 {
        fatalError("decoding in pieces differs from decoding whole: \(whole) vs \(pieces)")
    }
    return 0
}
