// Loads the committed test fixtures (generated once with CPython; see Tests/FixtureGenerators).

import Foundation
import StructuredCache

enum Fixtures {
    /// The bytes of a fixture file.
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try Data(contentsOf: url)
    }

    /// A fixture file parsed as JSON.
    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: data(name))
    }

    /// The lines of a JSON Lines fixture, each parsed.
    static func jsonLines(_ name: String) throws -> [JSONValue] {
        try data(name).split(separator: UInt8(ascii: "\n")).map { try JSONValue(parsing: $0) }
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name) is missing from the test bundle" }
    }
}
