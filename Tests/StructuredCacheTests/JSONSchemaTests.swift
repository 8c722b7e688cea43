// jsonSchema(for:) against pydantic's own output, makeCacheKey(responseModel:) against Instructor's
// keys, and the errors for types that cannot be described.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct JSONSchemaTests {
    static let pydanticRows: [JSONValue] = (try? Fixtures.json("pydantic-schemas.json").arrayValue) ?? []
    static let keyVectors: [JSONValue] = (try? Fixtures.json("key-vectors.json").arrayValue) ?? []

    static func schemaText(_ type: any Decodable.Type, _ options: JSONWritingOptions = .pythonSorted) throws -> String {
        func open<T: Decodable>(_ type: T.Type) throws -> String { try jsonSchema(for: type).jsonString(options) }
        return try open(type)
    }

    @Test func coversEveryBlockOfTheReference() {
        #expect(Self.pydanticRows.count == 26)
        #expect(Set(Self.pydanticRows.compactMap { $0["name"]?.stringValue }) == Set(Twins.pydanticBlocks.keys))
    }

    @Test(arguments: pydanticRows)
    func matchesPydanticByteForByte(row: JSONValue) throws {
        let name = try #require(row["name"]?.stringValue)
        let type = try #require(Twins.pydanticBlocks[name], "no Swift twin for \(name)")
        #expect(try Self.schemaText(type) == row["sorted"]?.stringValue, "\(name), sort_keys=True")
        // pydantic's own member order too, which unsorted dumps (the JSON-mode prompt) show.
        #expect(try Self.schemaText(type, .python) == row["natural"]?.stringValue, "\(name), natural order")
    }

    @Test(arguments: keyVectors.filter { !($0["schema"]?.isNull ?? true) })
    func reproducesTheKeyVectorsFromSwiftTypes(vector: JSONValue) throws {
        let name = try #require(vector["name"]?.stringValue)
        let source = try #require(vector["python_model_source"]?.stringValue)
        let type = try #require(Twins.keyVectorModel(pythonSource: source), "no Swift twin for \(name)")
        func key<T: Decodable>(_ type: T.Type) throws -> String {
            try makeCacheKey(
                messages: try #require(vector["messages"]?.arrayValue), model: vector["model"]?.stringValue,
                responseModel: type, mode: vector["mode"]?.stringValue.map(Mode.init(rawValue:)))
        }
        func schema<T: Decodable>(_ type: T.Type) throws -> JSONValue { try jsonSchema(for: type) }
        #expect(try schema(type) == vector["schema"], "\(name): schema")
        #expect(try key(type) == vector["key"]?.stringValue, "\(name): key")
    }

    @Test func reproducesTheDocumentedExample() throws {
        struct User: Codable { var name: String }
        let key = try makeCacheKey(
            messages: [["role": "user", "content": "hello"]], model: "gpt-4.1-mini", responseModel: User.self,
            mode: "TOOLS")
        #expect(key == "2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe")
    }

    @Test func computesEachTypeOnceAndReturnsTheStoredSchema() throws {
        struct Counted: Decodable {
            nonisolated(unsafe) static var walks = 0
            var name: String
            init(from decoder: any Decoder) throws {
                Counted.walks += 1
                name = try decoder.container(keyedBy: AnyCodingKey.self).decode(
                    String.self, forKey: AnyCodingKey("name"))
            }
        }
        let first = try jsonSchema(for: Counted.self)
        let second = try jsonSchema(for: Counted.self)
        #expect(first == second)
        #expect(Counted.walks == 1)
    }

    @Test func isSafeFromManyThreadsAtOnce() async throws {
        struct Shared: Codable {
            var a: [Twins.Address]
            var b: Twins.Color?
        }
        let expected = try jsonSchema(for: Twins.Shipment.self)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    try jsonSchema(for: Twins.Shipment.self) == expected && (try jsonSchema(for: Shared.self)) != [:]
                }
            }
            for try await same in group { #expect(same) }
        }
    }

    // MARK: Shapes beyond the reference

    struct Everything: Codable {
        var tiny: Int8
        var huge: UInt64
        var ratio: Float
        var link: URL
        var blob: Data
        var amount: Decimal
        var unique: Set<String>
        var table: [String: [Int]]
        var maybe: [Int?]
        var nested: [[Twins.Address]]
        var anything: JSONValue
        var optionalEnum: Twins.Color?
    }

    @Test func describesContainersAndFoundationTypes() throws {
        let schema = try jsonSchema(for: Everything.self)
        let properties = try #require(schema["properties"])
        #expect(properties["tiny"] == ["title": "Tiny", "type": "integer"])
        #expect(properties["huge"] == ["title": "Huge", "type": "integer"])
        #expect(properties["ratio"] == ["title": "Ratio", "type": "number"])
        #expect(properties["link"] == ["format": "uri", "minLength": 1, "title": "Link", "type": "string"])
        #expect(properties["blob"] == ["contentEncoding": "base64", "title": "Blob", "type": "string"])
        #expect(properties["amount"] == ["title": "Amount", "type": "number"])
        #expect(
            properties["unique"] == [
                "items": ["type": "string"], "title": "Unique", "type": "array", "uniqueItems": true,
            ])
        #expect(
            properties["table"] == [
                "additionalProperties": ["items": ["type": "integer"], "type": "array"], "title": "Table",
                "type": "object",
            ])
        #expect(
            properties["maybe"] == [
                "items": ["anyOf": [["type": "integer"], ["type": "null"]]], "title": "Maybe", "type": "array",
            ])
        #expect(
            properties["nested"] == [
                "items": ["items": ["$ref": "#/$defs/Address"], "type": "array"], "title": "Nested", "type": "array",
            ])
        #expect(properties["anything"] == ["title": "Anything"])
        #expect(
            properties["optionalEnum"] == ["anyOf": [["$ref": "#/$defs/Color"], ["type": "null"]], "default": nil])
        #expect(schema["$defs"]?.objectValue?.keys == ["Address", "Color"])
        #expect(schema["required"]?.arrayValue?.count == 11)
    }

    final class Page<Item: Codable>: Codable {
        var items: [Item]
        var next: Page<Item>?
    }

    @Test func namesGenericTypesAsPydanticDoes() throws {
        // pydantic: class Page(BaseModel, Generic[T]): items: list[T]; next: Optional['Page[T]'] = None
        let expected =
            ##"{"$defs": {"Page_User_": {"properties": {"items": {"items": {"$ref": "#/$defs/User"}, "title": "Items", "type": "array"}, "next": {"anyOf": [{"$ref": "#/$defs/Page_User_"}, {"type": "null"}], "default": null}}, "required": ["items"], "title": "Page[User]", "type": "object"}, "User": {"properties": {"name": {"title": "Name", "type": "string"}}, "required": ["name"], "title": "User", "type": "object"}}, "$ref": "#/$defs/Page_User_"}"##
        #expect(try jsonSchema(for: Page<Twins.User>.self).jsonString(.python) == expected)
    }

    enum Scope {
        struct Address: Codable { var street: String }
    }

    struct TwoAddresses: Codable {
        var home: Twins.Address
        var work: Scope.Address
    }

    @Test func keepsTwoTypesOfTheSameNameApart() throws {
        let schema = try jsonSchema(for: TwoAddresses.self)
        let definitions = try #require(schema["$defs"]?.objectValue)
        #expect(definitions.count == 2)
        let references = [schema["properties"]?["home"]?["$ref"], schema["properties"]?["work"]?["$ref"]]
        #expect(references[0] != references[1])
        for reference in references {
            let name = try #require(reference?.stringValue).replacingOccurrences(of: "#/$defs/", with: "")
            #expect(definitions[name] != nil)
        }
    }

    struct HandDecoded: Decodable {
        var value: String
        var meta: String
        enum CodingKeys: CodingKey { case value, info }
        enum InfoKeys: CodingKey { case meta }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            value = try container.decode(String.self, forKey: .value)
            meta = try container.nestedContainer(keyedBy: InfoKeys.self, forKey: .info).decode(
                String.self, forKey: .meta)
        }
    }

    @Test func describesNestedContainersInline() throws {
        let schema = try jsonSchema(for: HandDecoded.self)
        #expect(
            schema["properties"]?["info"] == [
                "properties": ["meta": ["title": "Meta", "type": "string"]], "required": ["meta"], "title": "Info",
                "type": "object",
            ])
    }

    struct Wrapped: Codable {
        var id: UserID
        struct UserID: Codable, RawRepresentable {
            var rawValue: String
        }
    }

    @Test func describesSingleValueTypesInline() throws {
        #expect(try jsonSchema(for: Wrapped.self)["properties"]?["id"] == ["title": "Id", "type": "string"])
    }

    @Test func describesCollectionsAtTheTop() throws {
        let schema = try jsonSchema(for: [Twins.Address].self)
        #expect(
            schema.jsonString()
                == ##"{"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}}, "required": ["city"], "title": "Address", "type": "object"}}, "items": {"$ref": "#/$defs/Address"}, "type": "array"}"##
        )
    }

    // MARK: Errors

    enum Shape: Codable {
        case circle(radius: Double)
        case square(side: Double)
    }

    struct HasShape: Codable { var shape: Shape }

    enum Level: Int, Codable {
        case low = 0
        case high = 1
    }

    struct HasLevel: Codable { var level: Level }

    struct Picky: Decodable {
        var email: String
        struct NotAnEmail: Error {}
        enum CodingKeys: CodingKey { case email }
        init(from decoder: any Decoder) throws {
            email = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .email)
            guard email.contains("@") else { throw NotAnEmail() }
        }
    }

    struct HasPicky: Codable {
        var owner: String
        var contact: [Picky]
        struct Picky: Codable {
            var email: String
            init(from decoder: any Decoder) throws {
                email = try decoder.container(keyedBy: AnyCodingKey.self).decode(
                    String.self, forKey: AnyCodingKey("email"))
                if email.isEmpty { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "empty")) }
            }
        }
    }

    struct IntKeyed: Codable { var byID: [Int: String] }

    final class Loop: Codable { let next: Loop }

    struct Swallowing: Decodable {
        var shape: Shape?
        enum CodingKeys: CodingKey { case shape }
        init(from decoder: any Decoder) throws {
            shape = try? decoder.container(keyedBy: CodingKeys.self).decode(Shape.self, forKey: .shape)
        }
    }

    struct Typo: Codable, JSONSchemaAnnotated {
        var name: String
        static let schemaAnnotations = SchemaAnnotations(fields: ["nmae": .init(description: "x")])
    }

    struct DefaultOnRequired: Codable, JSONSchemaAnnotated {
        var count: Int
        static let schemaAnnotations = SchemaAnnotations(fields: ["count": .init(defaultValue: .value(1))])
    }

    struct ManualArray: Decodable {
        var values: [Int]
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            values = []
            while !container.isAtEnd { values.append(try container.decode(Int.self)) }
        }
    }

    nonisolated(unsafe) static let undescribable: [(any Decodable.Type, SchemaError.Code, [String])] = [
        (HasShape.self, .dynamicKeys, ["shape"]),
        (HasLevel.self, .unenumerableEnum, ["level"]),
        (Picky.self, .rejectedPlaceholder, []),
        (HasPicky.self, .rejectedPlaceholder, ["contact"]),
        (IntKeyed.self, .unsupportedType, ["byID"]),
        (Loop.self, .unboundedRecursion, ["next"]),
        (Swallowing.self, .dynamicKeys, ["shape"]),
        (Typo.self, .invalidAnnotation, []),
        (DefaultOnRequired.self, .invalidAnnotation, ["count"]),
        (ManualArray.self, .unsupportedType, []),
    ]

    @Test(arguments: 0..<undescribable.count)
    func refusesToGuess(index: Int) throws {
        let (type, code, path) = Self.undescribable[index]
        func attempt<T: Decodable>(_ type: T.Type) throws { _ = try jsonSchema(for: type) }
        do {
            try attempt(type)
            Issue.record("\(type) was described")
        } catch let error as SchemaError {
            #expect(error.code == code, "\(type): \(error)")
            #expect(error.codingPath == path, "\(type): \(error)")
            #expect(error.typeName.hasSuffix(String(describing: type)), "\(type): \(error)")
            #expect(error.description.contains("cannot describe"))
        }
    }

    // MARK: Titles and docstrings

    @Test(arguments: [
        ("full_name", "Full Name"), ("fullName", "Fullname"), ("x_y_z", "X Y Z"), ("user2name", "User2Name"),
        ("éclair_au_café", "Éclair Au Café"), ("HTTPServer", "Httpserver"), ("_private", " Private"), ("a1b2", "A1B2"),
        ("ǆungla", "ǅungla"),
    ])
    func derivesFieldTitlesAsPython(key: String, title: String) {
        #expect(PythonText.fieldTitle(key) == title)
    }

    @Test func cleansDocstringsAsInspectCleandoc() {
        #expect(PythonText.cleandoc("  One.\n    Two.\n      Three.\n") == "One.\nTwo.\n  Three.")
        #expect(PythonText.cleandoc("\n\n  Body.\n\n") == "Body.")
        #expect(PythonText.cleandoc("A\tb\n\tc") == "A       b\nc")
        #expect(PythonText.cleandoc("Single") == "Single")
    }
}
