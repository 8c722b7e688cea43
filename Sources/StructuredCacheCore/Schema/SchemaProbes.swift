// Type-driven knowledge the recording decoder cannot get by walking: what an Optional wraps, what
// an Array, Set or Dictionary holds, and the cases of an enum.

internal import Foundation

/// An `Optional` of a decodable type.
protocol OptionalSchemaProbe {
    static var wrappedDecodableType: any Decodable.Type { get }
    static var noneValue: Any { get }
}

extension Optional: OptionalSchemaProbe where Wrapped: Decodable {
    static var wrappedDecodableType: any Decodable.Type { Wrapped.self }
    static var noneValue: Any { Wrapped?.none as Any }
}

/// An array-like collection of a decodable element.
protocol SequenceSchemaProbe {
    static var elementDecodableType: any Decodable.Type { get }
    static var uniqueItems: Bool { get }
    static var emptyValue: Any { get }
}

extension Array: SequenceSchemaProbe where Element: Decodable {
    static var elementDecodableType: any Decodable.Type { Element.self }
    static var uniqueItems: Bool { false }
    static var emptyValue: Any { [Element]() }
}

extension ContiguousArray: SequenceSchemaProbe where Element: Decodable {
    static var elementDecodableType: any Decodable.Type { Element.self }
    static var uniqueItems: Bool { false }
    static var emptyValue: Any { ContiguousArray<Element>() }
}

extension Set: SequenceSchemaProbe where Element: Decodable {
    static var elementDecodableType: any Decodable.Type { Element.self }
    static var uniqueItems: Bool { true }
    static var emptyValue: Any { Set<Element>() }
}

/// A dictionary of decodable keys and values.
protocol DictionarySchemaProbe {
    static var keyType: Any.Type { get }
    static var valueDecodableType: any Decodable.Type { get }
    static var emptyValue: Any { get }
}

extension Dictionary: DictionarySchemaProbe where Key: Decodable, Value: Decodable {
    static var keyType: Any.Type { Key.self }
    static var valueDecodableType: any Decodable.Type { Value.self }
    static var emptyValue: Any { [Key: Value]() }
}

/// The raw values of a `CaseIterable` enum, and its first case as a placeholder.
struct EnumCases {
    let values: [JSONValue]
    let first: Any?
    let typeName: String?

    /// Reads the cases of `type` when it is a `CaseIterable & RawRepresentable` with a JSON raw value.
    static func of<T>(_ type: T.Type) -> EnumCases? {
        guard let iterable = type as? any (CaseIterable & RawRepresentable).Type else { return nil }
        return read(iterable)
    }

    private static func read<E: CaseIterable & RawRepresentable>(_: E.Type) -> EnumCases {
        var values: [JSONValue] = []
        var typeName: String?
        for item in E.allCases {
            let (value, name) = jsonValue(of: item.rawValue)
            values.append(value ?? .null)
            typeName = typeName ?? name
            if value == nil { return EnumCases(values: [], first: nil, typeName: nil) }
        }
        return EnumCases(values: values, first: E.allCases.first, typeName: typeName)
    }

    private static func jsonValue(of raw: Any) -> (JSONValue?, String?) {
        switch raw {
        case let value as String: return (.string(value), "string")
        case let value as Bool: return (.bool(value), "boolean")
        case let value as Int: return (.int(value), "integer")
        case let value as Int8: return (.int(Int(value)), "integer")
        case let value as Int16: return (.int(Int(value)), "integer")
        case let value as Int32: return (.int(Int(value)), "integer")
        case let value as Int64: return (.int(Int(value)), "integer")
        case let value as UInt8: return (.int(Int(value)), "integer")
        case let value as UInt16: return (.int(Int(value)), "integer")
        case let value as UInt32: return (.int(Int(value)), "integer")
        case let value as UInt: return (JSONValue.integer(digits: String(value)), "integer")
        case let value as UInt64: return (JSONValue.integer(digits: String(value)), "integer")
        case let value as Double: return (.double(value), "number")
        case let value as Float: return (.double(Double(value)), "number")
        default: return (nil, nil)
        }
    }
}

/// Schemas and placeholder values of the scalar types and the Foundation types with a fixed form.
enum ScalarSchemas {
    /// The schema and a placeholder of `type`, when it is a scalar or a known Foundation type.
    static func lookup<T>(_ type: T.Type) -> (schema: JSONValue, placeholder: T)? {
        func entry(_ schema: JSONValue, _ value: Any) -> (JSONValue, T) { (schema, value as! T) }
        switch type {
        case is String.Type: return entry(["type": "string"], "")
        case is Bool.Type: return entry(["type": "boolean"], false)
        case is Int.Type: return entry(["type": "integer"], 0 as Int)
        case is Int8.Type: return entry(["type": "integer"], 0 as Int8)
        case is Int16.Type: return entry(["type": "integer"], 0 as Int16)
        case is Int32.Type: return entry(["type": "integer"], 0 as Int32)
        case is Int64.Type: return entry(["type": "integer"], 0 as Int64)
        case is UInt.Type: return entry(["type": "integer"], 0 as UInt)
        case is UInt8.Type: return entry(["type": "integer"], 0 as UInt8)
        case is UInt16.Type: return entry(["type": "integer"], 0 as UInt16)
        case is UInt32.Type: return entry(["type": "integer"], 0 as UInt32)
        case is UInt64.Type: return entry(["type": "integer"], 0 as UInt64)
        case is Double.Type: return entry(["type": "number"], 0 as Double)
        case is Float.Type: return entry(["type": "number"], 0 as Float)
        case is Decimal.Type: return entry(["type": "number"], Decimal(0))
        case is Date.Type: return entry(["format": "date-time", "type": "string"], Date(timeIntervalSince1970: 0))
        case is UUID.Type:
            return entry(
                ["format": "uuid", "type": "string"], UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        case is URL.Type:
            return entry(["format": "uri", "minLength": 1, "type": "string"], URL(string: "https://example.com")!)
        case is Data.Type: return entry(["contentEncoding": "base64", "type": "string"], Data())
        default: return nil
        }
    }
}
