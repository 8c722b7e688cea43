// Certificates for the TLS tests, made once per test run with the openssl command line in a temporary
// directory: a CA, a server certificate for localhost and 127.0.0.1 signed by it, a client certificate
// signed by it, and a second, unrelated CA.

import Foundation

/// The certificate files of the TLS tests (PEM), made on first use.
struct TLSCertificates: Sendable {
    /// The directory holding every file.
    let directory: URL

    /// The CA that signed the server and client certificates.
    var caCertificate: String { path("ca.crt") }
    /// A CA that signed nothing here.
    var otherCACertificate: String { path("other-ca.crt") }
    /// The server's certificate (subjectAltName DNS:localhost, IP:127.0.0.1).
    var serverCertificate: String { path("server.crt") }
    /// The server's private key.
    var serverKey: String { path("server.key") }
    /// The client's certificate, for mutual TLS.
    var clientCertificate: String { path("client.crt") }
    /// The client's private key.
    var clientKey: String { path("client.key") }

    /// The contents of `file`, such as the CA's PEM text.
    ///
    /// - Parameter file: One of the paths above.
    /// - Returns: The file's text.
    func text(_ file: String) throws -> String {
        try String(contentsOfFile: file, encoding: .utf8)
    }

    /// The certificates of this test run, made on first use.
    static let shared: Result<TLSCertificates, RedisTestServerError> = Result { try make() }
        .mapError { $0 as? RedisTestServerError ?? RedisTestServerError("\($0)") }

    /// The certificates of this test run.
    ///
    /// - Returns: The certificates.
    /// - Throws: ``RedisTestServerError`` when `openssl` is missing or fails.
    static func get() throws -> TLSCertificates { try shared.get() }

    /// Whether the `openssl` command line is installed; the TLS suite is skipped otherwise.
    static let isAvailable: Bool = FileManager.default.isExecutableFile(atPath: opensslPath)

    private static let opensslPath = "/usr/bin/openssl"

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private static func make() throws -> TLSCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sctls-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TLSCertificates(directory: directory)
        func run(_ arguments: [String]) throws {
            let process = try ChildProcess(
                opensslPath, arguments, directory: directory.path, standardError: .captured)
            let output = process.readOutputToEnd()
            guard process.waitUntilExit() == .exited(0) else {
                throw RedisTestServerError(
                    "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))")
            }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try run(
                ["req", "-x509"] + key
                    + ["-keyout", "\(ca).key", "-out", "\(ca).crt", "-days", "3", "-subj", "/CN=StructuredCache \(ca)"])
        }
        let leaves = [
            // Cluster nodes also present it to each other as clients, over the TLS cluster bus.
            (
                "server", "/CN=localhost",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"
            ),
            ("client", "/CN=structuredcache-client", "extendedKeyUsage=clientAuth\n"),
        ]
        for (name, subject, extensions) in leaves {
            try extensions.write(to: directory.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
            try run(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).crt", "-days", "3", "-extfile", "\(name).ext",
            ])
        }
        return certificates
    }
}
