// One connection of the loopback test server, on its own thread: reads HTTP/1.1 requests
// (Content-Length or chunked bodies, `Expect: 100-continue`) and writes the scripted replies.

import Foundation

/// Serves the requests of one connection until the client closes it, a reply ends it, or the
/// server stops.
package struct ServerConnection {
    package let fd: Int32
    package let number: Int
    package let core: ServerCore

    private static let headerLimit = 64 << 10
    private static let bodyLimit = 64 << 20

    package func run() {
        var buffer: [UInt8] = []
        while let request = readRequest(&buffer) {
            let reply = core.reply(to: request)
            guard write(reply) else { return }
        }
    }

    // MARK: - Reading

    /// Reads more bytes into `buffer`; `false` at end of stream, on error, or when the server stops.
    private func fill(_ buffer: inout [UInt8]) -> Bool {
        switch LoopbackSocket.wait(for: fd, wake: core.wakeRead, milliseconds: -1) {
        case .stopping, .clientClosed: return false
        case .elapsed, .readable: break
        }
        let bytes = LoopbackSocket.receive(fd)
        guard !bytes.isEmpty else { return false }
        buffer += bytes
        return true
    }

    private func readRequest(_ buffer: inout [UInt8]) -> LocalChatServer.RecordedRequest? {
        var headEnd: Int?
        while true {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd != nil || buffer.count > Self.headerLimit { break }
            guard fill(&buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(headEnd + 4)
        let requestLine = lines[0].split(separator: " ", maxSplits: 2)
        guard requestLine.count == 3 else { return nil }
        let headers = lines.dropFirst().compactMap { line -> LocalChatServer.Header? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return LocalChatServer.Header(
                name: String(line[..<colon]),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        if header("Expect")?.lowercased() == "100-continue" {
            guard LoopbackSocket.send(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        var body: [UInt8] = []
        if header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            guard let chunked = readChunkedBody(&buffer) else { return nil }
            body = chunked
        } else if let length = header("Content-Length").flatMap(Int.init), length > 0 {
            guard length <= Self.bodyLimit else { return nil }
            while buffer.count < length {
                guard fill(&buffer) else { return nil }
            }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        }
        return LocalChatServer.RecordedRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body,
            connection: number)
    }

    private func readChunkedBody(_ buffer: inout [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: buffer)
            while lineEnd == nil {
                guard buffer.count < Self.headerLimit, fill(&buffer) else { return nil }
                lineEnd = Self.find([13, 10], in: buffer)
            }
            guard let lineEnd else { return nil }
            let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).prefix { $0 != ";" }
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16),
                body.count + size <= Self.bodyLimit
            else { return nil }
            buffer.removeFirst(lineEnd + 2)
            while buffer.count < size + 2 {
                guard fill(&buffer) else { return nil }
            }
            if size == 0 {
                // No trailers are expected: the empty line after the last chunk ends the body.
                buffer.removeFirst(2)
                return body
            }
            body += buffer[0..<size]
            buffer.removeFirst(size + 2)
        }
    }

    private static func find(_ pattern: [UInt8], in buffer: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for start in 0...(buffer.count - pattern.count) where buffer[start] == pattern[0] {
            if buffer[start..<start + pattern.count].elementsEqual(pattern) { return start }
        }
        return nil
    }

    // MARK: - Writing

    /// Waits `delay`; `false` when the client left (counted as abandoned) or the server stops.
    private func pause(_ delay: Duration) -> Bool {
        guard delay > .zero else { return true }
        let deadline = ContinuousClock.now + delay
        var watchesClient = true
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return true }
            let milliseconds = Int32(
                clamping: max(
                    1,
                    remaining.components.seconds * 1000
                        + remaining.components.attoseconds / 1_000_000_000_000_000))
            switch LoopbackSocket.wait(for: watchesClient ? fd : nil, wake: core.wakeRead, milliseconds: milliseconds) {
            case .elapsed: return true
            case .stopping: return false
            case .clientClosed:
                core.noteAbandoned()
                return false
            case .readable:
                if LoopbackSocket.peerClosed(fd) {
                    core.noteAbandoned()
                    return false
                }
                // The client sent more (a pipelined request); it is read after this reply.
                watchesClient = false
            }
        }
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        guard LoopbackSocket.send(fd, bytes) else {
            core.noteAbandoned()
            return false
        }
        return true
    }

    /// Writes `reply`; `false` when the connection must close afterwards.
    private func write(_ reply: LocalChatServer.Reply) -> Bool {
        guard pause(reply.delay) else { return false }
        var head = "HTTP/1.1 \(reply.status) \(Self.reason(reply.status))\r\n"
        for header in reply.headers { head += "\(header.name): \(header.value)\r\n" }
        switch reply.body {
        case .noResponse:
            return false
        case .hang:
            while pause(.seconds(3600)) {}
            return false
        case .complete(let body):
            head += "Content-Length: \(body.count)\r\n\r\n"
            return send(Array(head.utf8) + body)
        case .truncated(let body, let sentBytes):
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            _ = send(Array(head.utf8) + body.prefix(sentBytes))
            return false
        case .stream(let pieces, let framing, let cut):
            switch framing {
            case .chunked: head += "Transfer-Encoding: chunked\r\n\r\n"
            case .closeDelimited: head += "Connection: close\r\n\r\n"
            }
            guard send(Array(head.utf8)) else { return false }
            for piece in pieces {
                guard pause(piece.delay) else { return false }
                guard !piece.bytes.isEmpty else { continue }
                let framed: [UInt8]
                switch framing {
                case .chunked:
                    framed = Array("\(String(piece.bytes.count, radix: 16))\r\n".utf8) + piece.bytes + [13, 10]
                case .closeDelimited:
                    framed = piece.bytes
                }
                guard send(framed) else { return false }
            }
            if cut || framing == .closeDelimited { return false }
            return send(Array("0\r\n\r\n".utf8))
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
