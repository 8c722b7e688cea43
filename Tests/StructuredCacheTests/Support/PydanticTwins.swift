// Swift twins of the pydantic models in pydantic-schema.md and key-vectors.json: each decodes what
// its Python model validates, and must produce the same schema text.

import Foundation
import StructuredCache

enum Twins {
    struct Scalars: Codable {
        var s: String
        var i: Int
        var f: Double
        var b: Bool
    }

    /// `nickname: Optional[str]`: required, but may be null.
    struct OptNoDefault: Decodable {
        var nickname: String?
        enum CodingKeys: CodingKey { case nickname }
        init(from decoder: any Decoder) throws {
            nickname = try decoder.container(keyedBy: CodingKeys.self).decode(String?.self, forKey: .nickname)
        }
    }

    struct OptDefaultNone: Codable { var nickname: String? }
    struct Pep604: Codable { var nickname: String? }
    struct Tags: Codable { var tags: [String] }

    enum ListNested {
        struct Item: Codable {
            var sku: String
            var qty: Int
        }
        struct Order: Codable { var items: [Item] }
    }

    struct Address: Codable { var city: String }

    enum NestedModelField {
        struct Person: Codable {
            var name: String
            var address: Address
        }
    }

    enum OptionalNestedModel {
        struct Person: Codable { var address: Address? }
    }

    struct Shipment: Codable {
        var origin: Address
        var destination: Address
    }

    enum Color: String, Codable, CaseIterable {
        case red, green
    }

    struct Paint: Codable { var color: Color }

    enum Priority: Int, Codable, CaseIterable {
        case low = 1
        case high = 2
    }

    struct Task: Codable { var priority: Priority }

    enum EnumWithDefault {
        struct Paint: Decodable, JSONSchemaAnnotated {
            var color: Color
            enum CodingKeys: CodingKey { case color }
            init(from decoder: any Decoder) throws {
                color =
                    try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Color.self, forKey: .color) ?? .red
            }
            static let schemaAnnotations = SchemaAnnotations(fields: ["color": .init(defaultValue: .value("red"))])
        }
    }

    enum Mood: String, Codable, CaseIterable, JSONSchemaAnnotated {
        case happy, sad
        static let schemaAnnotations = SchemaAnnotations(description: "How the user feels.")
    }

    struct Feeling: Codable { var mood: Mood }

    struct Choice: Codable, JSONSchemaAnnotated {
        var kind: String
        var fixed: String
        var num: Int
        static let schemaAnnotations = SchemaAnnotations(fields: [
            "kind": .init(literal: ["a", "b"]),
            "fixed": .init(literal: ["only"]),
            "num": .init(literal: [1, 2]),
        ])
    }

    struct Counts: Codable { var counts: [String: Int] }

    /// `Union[int, str]`.
    enum IntOrString: Codable, CustomJSONSchema {
        case int(Int)
        case string(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
        static let jsonSchema: JSONValue = ["anyOf": [["type": "integer"], ["type": "string"]]]
        static let schemaPlaceholder = IntOrString.int(0)
    }

    struct U: Codable {
        var value: IntOrString
        var maybeTags: [String]?
        enum CodingKeys: String, CodingKey {
            case value
            case maybeTags = "maybe_tags"
        }
    }

    /// Python's `date`: a day without a time.
    struct Day: Codable, CustomJSONSchema {
        var iso: String
        init(from decoder: any Decoder) throws { iso = try decoder.singleValueContainer().decode(String.self) }
        init(iso: String) { self.iso = iso }
        static let jsonSchema: JSONValue = ["format": "date", "type": "string"]
        static let schemaPlaceholder = Day(iso: "1970-01-01")
    }

    struct Event: Codable {
        var at: Date
        var day: Day
        var id: UUID
    }

    enum FieldDescription {
        struct User: Codable, JSONSchemaAnnotated {
            var name: String
            static let schemaAnnotations = SchemaAnnotations(fields: [
                "name": .init(description: "The user's full name")
            ])
        }
    }

    struct Defaults: Decodable, JSONSchemaAnnotated {
        var count: Int
        var label: String
        var ratio: Double
        var enabled: Bool
        var tags: [String]
        enum CodingKeys: CodingKey { case count, label, ratio, enabled, tags }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 5
            label = try container.decodeIfPresent(String.self, forKey: .label) ?? "x"
            ratio = try container.decodeIfPresent(Double.self, forKey: .ratio) ?? 0.5
            enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
            tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        }
        static let schemaAnnotations = SchemaAnnotations(fields: [
            "count": .init(defaultValue: .value(5)),
            "label": .init(defaultValue: .value("x")),
            "ratio": .init(defaultValue: .value(0.5)),
            "enabled": .init(defaultValue: .value(true)),
            "tags": .init(defaultValue: .factory),
        ])
    }

    struct Constrained: Codable, JSONSchemaAnnotated {
        var age: Int
        var code: String
        static let schemaAnnotations = SchemaAnnotations(fields: [
            "age": .init(title: "Age in years", minimum: 0, maximum: 150),
            "code": .init(minLength: 2, maxLength: 3, pattern: "^[A-Z]+$"),
        ])
    }

    struct Aliased: Codable { var fullName: String }

    struct Snake: Codable {
        var fullName: String
        var xYZ: Int
        enum CodingKeys: String, CodingKey {
            case fullName = "full_name"
            case xYZ = "x_y_z"
        }
    }

    struct Documented: Codable, JSONSchemaAnnotated {
        var name: String
        static let schemaAnnotations = SchemaAnnotations(description: "A documented model.")
    }

    struct Inner: Codable, JSONSchemaAnnotated {
        var v: Int
        static let schemaAnnotations = SchemaAnnotations(description: "Inner doc.")
    }

    struct Outer: Codable, JSONSchemaAnnotated {
        var inner: Inner
        static let schemaAnnotations = SchemaAnnotations(
            description: """

                First line.

                    Indented second paragraph.
                """)
    }

    struct Node: Decodable, JSONSchemaAnnotated {
        var name: String
        var children: [Node]
        enum CodingKeys: CodingKey { case name, children }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            children = try container.decodeIfPresent([Node].self, forKey: .children) ?? []
        }
        static let schemaAnnotations = SchemaAnnotations(fields: ["children": .init(defaultValue: .value([]))])
    }

    struct Fr: Codable, JSONSchemaAnnotated {
        var nom: String
        static let schemaAnnotations = SchemaAnnotations(
            description: "Mod\u{E8}le d'utilisateur \u{2014} r\u{E9}sum\u{E9} \u{2713}",
            fields: ["nom": .init(description: "Nom complet de l'utilisateur (\u{E9}, \u{FC}, \u{1F600})")])
    }

    /// The twins of pydantic-schema.md, by block name.
    nonisolated(unsafe) static let pydanticBlocks: [String: any Decodable.Type] = [
        "scalars": Scalars.self,
        "optional_no_default": OptNoDefault.self,
        "optional_default_none": OptDefaultNone.self,
        "pep604_optional_default_none": Pep604.self,
        "list_str": Tags.self,
        "list_nested": ListNested.Order.self,
        "nested_model_field": NestedModelField.Person.self,
        "optional_nested_model": OptionalNestedModel.Person.self,
        "nested_reused_twice": Shipment.self,
        "str_enum": Paint.self,
        "int_enum": Task.self,
        "enum_with_default": EnumWithDefault.Paint.self,
        "enum_docstring": Feeling.self,
        "literal": Choice.self,
        "dict_str_int": Counts.self,
        "union_and_optional_list": U.self,
        "datetime_date_uuid": Event.self,
        "field_description": FieldDescription.User.self,
        "defaults": Defaults.self,
        "constraints_and_title": Constrained.self,
        "alias": Aliased.self,
        "snake_case_title": Snake.self,
        "docstring": Documented.self,
        "multiline_docstring_and_nested_doc": Outer.self,
        "recursive_model": Node.self,
        "non_ascii_description": Fr.self,
    ]

    // The response models of key-vectors.json.

    struct User: Codable { var name: String }

    enum NestedVector {
        struct Address: Codable {
            var city: String
            var country: String
        }
        struct Person: Codable {
            var name: String
            var address: Address
        }
    }

    struct Profile: Decodable {
        var name: String
        var nickname: String?
        var age: Int?
        enum CodingKeys: CodingKey { case name, nickname, age }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            nickname = try container.decodeIfPresent(String.self, forKey: .nickname)
            age = try container.decode(Int?.self, forKey: .age)
        }
    }

    struct Job: Decodable, JSONSchemaAnnotated {
        var color: Color
        var priority: Priority
        enum CodingKeys: CodingKey { case color, priority }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            color = try container.decode(Color.self, forKey: .color)
            priority = try container.decodeIfPresent(Priority.self, forKey: .priority) ?? .low
        }
        static let schemaAnnotations = SchemaAnnotations(fields: ["priority": .init(defaultValue: .value(1))])
    }

    enum ListsVector {
        struct Item: Codable {
            var sku: String
            var qty: Int
        }
        struct Order: Codable {
            var tags: [String]
            var items: [Item]
        }
    }

    /// The response model of each key vector, by vector name's model source.
    static func keyVectorModel(pythonSource: String) -> (any Decodable.Type)? {
        if pythonSource.hasSuffix("class Person(BaseModel):\n    name: str\n    address: Address") {
            return NestedVector.Person.self
        }
        if pythonSource.contains("class Profile") { return Profile.self }
        if pythonSource.contains("class Job") { return Job.self }
        if pythonSource.contains("class Order") { return ListsVector.Order.self }
        if pythonSource == "class User(BaseModel):\n    name: str" { return User.self }
        return nil
    }
}

extension Twins {
    /// The models of instructor-prepared-requests.json, by name.
    nonisolated(unsafe) static let instructorRequestModels: [String: any Decodable.Type] = [
        "User": User.self,
        "Person": NestedVector.Person.self,
        "Documented": Documented.self,
        "Fr": Fr.self,
        "Defaults": Defaults.self,
    ]
}
