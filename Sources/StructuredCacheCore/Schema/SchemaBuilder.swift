// Builds the JSON Schema pydantic would write for a Decodable type: scalars and Foundation types by
// type, containers by their element types, models by walking init(from:), models and enums into $defs.

/// Builds the schema of one top-level type, defining each model and enum it reaches once.
package final class SchemaBuilder {
    private let root: Any.Type
    /// Schemas of models and enums, by their `$defs` name.
    private var definitions = JSONObject()
    /// The `$defs` name of each model or enum met so far.
    private var names: [ObjectIdentifier: String] = [:]
    private var owners: [String: ObjectIdentifier] = [:]
    /// Types that decode a single value: their schema is used inline, not defined.
    private var inlineSchemas: [ObjectIdentifier: JSONValue] = [:]
    private var inProgress: Set<ObjectIdentifier> = []
    private var referencedWhileInProgress: Set<ObjectIdentifier> = []
    private var placeholders: [ObjectIdentifier: Any] = [:]
    /// The coding path of the field being described, for errors.
    private var path: [String] = []
    /// The first error raised while walking, kept even if the walked code swallowed it with `try?`.
    private var firstError: SchemaError?

    init(root: Any.Type) { self.root = root }

    /// The full schema of `type`: inline when it is not recursive, with `$defs` for what it uses.
    func build<T: Decodable>(_ type: T.Type) throws -> JSONValue {
        let (schema, _) = try use(type, needsValue: false)
        if let error = firstError { throw error }
        var top: JSONObject
        if let name = names[ObjectIdentifier(type)], definitions[name] != nil,
            !referencedWhileInProgress.contains(ObjectIdentifier(type))
        {
            top = definitions[name]!.objectValue!
            definitions[name] = nil
        } else {
            top = schema.objectValue ?? [:]
        }
        if !definitions.isEmpty { top["$defs"] = .object(definitions) }
        return Self.pydanticSorted(.object(top), parentKey: nil)
    }

    // MARK: Errors

    func error(_ code: SchemaError.Code, _ message: String, underlying: (any Error)? = nil) -> SchemaError {
        let error = SchemaError(code, type: root, path: path, message, underlying: underlying)
        if firstError == nil { firstError = error }
        return error
    }

    func unsupported(_ message: String) -> SchemaError { error(.unsupportedType, message) }

    /// Runs `body` with `key` appended to the coding path reported in errors.
    func inField<Result>(_ key: String, _ body: () throws -> Result) rethrows -> Result {
        path.append(key)
        defer { path.removeLast() }
        return try body()
    }

    // MARK: Uses of types

    /// The schema of a use of `type` (an existential), when no value is needed.
    func schema(ofErased type: any Decodable.Type) throws -> JSONValue {
        func open<U: Decodable>(_ type: U.Type) throws -> JSONValue { try use(type, needsValue: false).schema }
        return try open(type)
    }

    /// The schema of a use of `type`, and a value of it for the decoding code that asked.
    ///
    /// - Parameter needsValue: Whether a value must be returned; recursive uses through an Optional or
    ///   a collection need none, which is what lets a type contain itself.
    func use<T: Decodable>(_ type: T.Type, needsValue: Bool) throws -> (schema: JSONValue, value: T?) {
        if let custom = type as? any CustomJSONSchema.Type {
            return (custom.jsonSchema, custom.schemaPlaceholder as? T)
        }
        if let scalar = ScalarSchemas.lookup(type) {
            return (scalar.schema, scalar.placeholder)
        }
        if let optional = type as? any OptionalSchemaProbe.Type {
            let inner = try schema(ofErased: optional.wrappedDecodableType)
            return (["anyOf": [inner, ["type": "null"]]], optional.noneValue as? T)
        }
        if let sequence = type as? any SequenceSchemaProbe.Type {
            var schema: JSONObject = [
                "items": try self.schema(ofErased: sequence.elementDecodableType), "type": "array",
            ]
            if sequence.uniqueItems { schema["uniqueItems"] = true }
            return (.object(schema), sequence.emptyValue as? T)
        }
        if let dictionary = type as? any DictionarySchemaProbe.Type {
            guard dictionary.keyType == String.self else {
                throw unsupported(
                    "a dictionary keyed by \(dictionary.keyType) has no JSON object form; key it by String, or supply "
                        + "the schema with CustomJSONSchema")
            }
            let values = try schema(ofErased: dictionary.valueDecodableType)
            return (["additionalProperties": values, "type": "object"], dictionary.emptyValue as? T)
        }
        if let cases = EnumCases.of(type) {
            return try enumeration(type, cases)
        }
        return try model(type, needsValue: needsValue)
    }

    private func enumeration<T>(_ type: T.Type, _ cases: EnumCases) throws -> (schema: JSONValue, value: T?) {
        let id = ObjectIdentifier(type)
        if let name = names[id] { return (Self.reference(name), cases.first as? T) }
        guard let first = cases.first else {
            throw error(.unenumerableEnum, "the enum \(type) has no cases, or raw values that are not JSON scalars")
        }
        let annotations = (type as? any JSONSchemaAnnotated.Type)?.schemaAnnotations
        let name = define(type)
        var schema: JSONObject = [
            "enum": .array(cases.values), "title": .string(annotations?.title ?? Self.title(of: type)),
        ]
        if let typeName = cases.typeName { schema["type"] = .string(typeName) }
        if let description = annotations?.description {
            schema["description"] = .string(PythonText.cleandoc(description))
        }
        definitions[name] = .object(schema)
        return (Self.reference(name), first as? T)
    }

    private func model<T: Decodable>(_ type: T.Type, needsValue: Bool) throws -> (schema: JSONValue, value: T?) {
        let id = ObjectIdentifier(type)
        if let inline = inlineSchemas[id] { return (inline, placeholders[id] as? T) }
        if let name = names[id] {
            guard inProgress.contains(id) else { return (Self.reference(name), placeholders[id] as? T) }
            referencedWhileInProgress.insert(id)
            if needsValue {
                throw error(
                    .unboundedRecursion,
                    "\(type) contains itself directly; make the field Optional or a collection so that values end")
            }
            return (Self.reference(name), nil)
        }

        let name = define(type)
        inProgress.insert(id)
        defer { inProgress.remove(id) }
        let record = ShapeRecord()
        let value: T
        do {
            value = try T(from: SchemaRecordingDecoder(builder: self, record: record, codingPath: []))
        } catch let error as SchemaError {
            throw firstError ?? error
        } catch let underlying {
            if let firstError { throw firstError }
            throw explainRejection(of: type, record: record, underlying: underlying)
        }
        if let firstError { throw firstError }
        if record.readsKeys { throw dynamicKeys(type) }
        placeholders[id] = value

        switch record.kind {
        case .single:
            if Mirror(reflecting: value).displayStyle == .enum {
                throw error(
                    .unenumerableEnum,
                    "\(type) is an enum whose cases cannot be listed; make it CaseIterable, or supply the schema with "
                        + "CustomJSONSchema")
            }
            forget(type, name: name)
            var schema = record.singleSchema ?? [:]
            if let annotations = (type as? any JSONSchemaAnnotated.Type)?.schemaAnnotations,
                var object = schema.objectValue
            {
                if let title = annotations.title { object["title"] = .string(title) }
                if let description = annotations.description {
                    object["description"] = .string(PythonText.cleandoc(description))
                }
                schema = .object(object)
            }
            inlineSchemas[id] = schema
            return (schema, value)
        case .unkeyed:
            throw unsupported(
                "\(type) decodes a JSON array element by element, so its element type is unknown; supply the schema "
                    + "with CustomJSONSchema")
        case .keyed, .nothing:
            definitions[name] = try objectSchema(of: type, record: record)
            return (Self.reference(name), value)
        }
    }

    private func dynamicKeys(_ type: Any.Type) -> SchemaError {
        error(
            .dynamicKeys,
            "\(type) chooses what to decode from the keys present (an enum with associated values, or dynamic keys), "
                + "so no fixed schema follows from it; supply the schema with CustomJSONSchema")
    }

    private func explainRejection(of type: Any.Type, record: ShapeRecord, underlying: any Error) -> SchemaError {
        if record.readsKeys { return dynamicKeys(type) }
        if type is any RawRepresentable.Type {
            return error(
                .unenumerableEnum,
                "\(type) rejected a placeholder raw value; if it is an enum, make it CaseIterable so its cases "
                    + "become the schema's enum; otherwise supply the schema with CustomJSONSchema",
                underlying: underlying)
        }
        return error(
            .rejectedPlaceholder,
            "its init(from:) threw on placeholder values (it inspects what it decodes), so its fields cannot be "
                + "known; supply the schema with CustomJSONSchema",
            underlying: underlying)
    }

    // MARK: Models

    private func objectSchema(of type: Any.Type, record: ShapeRecord) throws -> JSONValue {
        let annotations = (type as? any JSONSchemaAnnotated.Type)?.schemaAnnotations
        var object = try properties(of: record, annotations: annotations, owner: type)
        object["title"] = .string(annotations?.title ?? Self.title(of: type))
        if let description = annotations?.description {
            object["description"] = .string(PythonText.cleandoc(description))
        }
        if annotations?.forbidsAdditionalProperties == true { object["additionalProperties"] = false }
        return .object(object)
    }

    /// `properties`, `required` and `type` of a keyed container's fields.
    private func properties(
        of record: ShapeRecord, annotations: SchemaAnnotations?, owner: Any.Type
    ) throws -> JSONObject {
        var properties = JSONObject()
        var required: [JSONValue] = []
        let fieldAnnotations = annotations?.fields ?? [:]
        for field in record.fields {
            let annotation = fieldAnnotations[field.key]
            let (schema, isRequired) = try inField(field.key) {
                try fieldSchema(field, annotation: annotation, owner: owner)
            }
            properties[field.key] = .object(schema)
            if isRequired { required.append(.string(field.key)) }
        }
        for key in fieldAnnotations.keys where properties[key] == nil {
            throw error(
                .invalidAnnotation,
                "\(owner) annotates a field \"\(key)\" that its init(from:) never decodes (the annotation keys are "
                    + "coding keys: \(record.fields.map(\.key).joined(separator: ", ")))")
        }
        var object: JSONObject = ["properties": .object(properties)]
        if !required.isEmpty { object["required"] = .array(required) }
        object["type"] = "object"
        return object
    }

    private func fieldSchema(
        _ field: ShapeRecord.Field, annotation: FieldAnnotation?, owner: Any.Type
    ) throws -> (JSONObject, required: Bool) {
        var base: JSONValue
        if let nested = field.nested {
            base = .object(try properties(of: nested, annotations: nil, owner: owner))
        } else {
            base = field.schema ?? [:]
        }
        if let literal = annotation?.literal { base = Self.literalSchema(literal) }
        if let constraints = annotation?.constraintMembers, !constraints.isEmpty, var object = base.objectValue {
            for (key, value) in constraints { object[key] = value }
            base = .object(object)
        }

        var schema: JSONObject
        var isRequired: Bool
        switch field.presence {
        case .required:
            if annotation?.defaultValue != nil {
                throw error(
                    .invalidAnnotation,
                    "\(owner) gives \"\(field.key)\" a default, but its init(from:) decodes it with decode(_:forKey:), "
                        + "which requires it; decode it with decodeIfPresent(_:forKey:) and fall back to the default")
            }
            schema = base.objectValue ?? [:]
            isRequired = true
        case .requiredNullable:
            schema = ["anyOf": [base, ["type": "null"]]]
            isRequired = annotation?.defaultValue == nil
            if case .value(let value) = annotation?.defaultValue { schema["default"] = value }
        case .ifPresent:
            isRequired = false
            switch annotation?.defaultValue {
            case .value(let value) where !value.isNull:
                schema = base.objectValue ?? [:]
                schema["default"] = value
            case .factory:
                schema = base.objectValue ?? [:]
            default:
                schema = ["anyOf": [base, ["type": "null"]], "default": nil]
            }
        }
        if let title = annotation?.title {
            schema["title"] = .string(title)
        } else if !Self.isReference(schema) {
            schema["title"] = .string(PythonText.fieldTitle(field.key))
        }
        if let description = annotation?.description { schema["description"] = .string(description) }
        if let examples = annotation?.examples { schema["examples"] = .array(examples) }
        return (schema, isRequired)
    }

    // MARK: Names and shapes

    /// Reserves the `$defs` name of `type`: its title with every character pydantic does not allow
    /// in a name replaced by `_`, qualified by module and scope if another type has it already.
    private func define(_ type: Any.Type) -> String {
        let id = ObjectIdentifier(type)
        var name = Self.definitionName(Self.title(of: type))
        if let owner = owners[name], owner != id {
            name = Self.definitionName(String(reflecting: type))
        }
        names[id] = name
        owners[name] = id
        return name
    }

    private func forget(_ type: Any.Type, name: String) {
        names[ObjectIdentifier(type)] = nil
        owners[name] = nil
    }

    /// pydantic's title of a model: its class name, generic arguments in brackets (`Page[User]`).
    static func title(of type: Any.Type) -> String {
        String(String(describing: type).map { $0 == "<" ? "[" : $0 == ">" ? "]" : $0 })
    }

    package static func definitionName(_ title: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in title.unicodeScalars {
            let allowed =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-"
                    || scalar == "_")
            scalars.append(allowed ? scalar : "_")
        }
        return String(scalars)
    }

    static func reference(_ name: String) -> JSONValue {
        ["$ref": .string("#/$defs/\(name)")]
    }

    /// Whether a field's schema is a `$ref`, or an `anyOf` with a `$ref` among its choices; pydantic
    /// gives such fields no title.
    static func isReference(_ schema: JSONObject) -> Bool {
        if schema["$ref"] != nil { return true }
        return schema["anyOf"]?.arrayValue?.contains { $0["$ref"] != nil } ?? false
    }

    /// pydantic's `Literal[...]`: `const` for one value, `enum` for several, with their common type.
    static func literalSchema(_ values: [JSONValue]) -> JSONValue {
        func typeName(_ value: JSONValue) -> String? {
            switch value {
            case .string: return "string"
            case .int, .bigInt: return "integer"
            case .double: return "number"
            case .bool: return "boolean"
            case .null: return "null"
            default: return nil
            }
        }
        var schema: JSONObject = values.count == 1 ? ["const": values[0]] : ["enum": .array(values)]
        let types = Set(values.map(typeName))
        if types.count == 1, let only = types.first, let only { schema["type"] = .string(only) }
        return .object(schema)
    }

    /// pydantic's `GenerateJsonSchema.sort`: every object's keys in code point order, except the
    /// members of `properties` (field order) and of `default` values (kept as given), recursively;
    /// array elements are sorted with their array's key.
    package static func pydanticSorted(_ value: JSONValue, parentKey: String?) -> JSONValue {
        switch value {
        case .object(let object):
            var keys = object.keys
            if parentKey != "properties" && parentKey != "default" {
                keys.sort(by: JSONWriter.codePointLess)
            }
            var sorted = JSONObject(minimumCapacity: keys.count)
            for key in keys { sorted[key] = pydanticSorted(object[key]!, parentKey: key) }
            return .object(sorted)
        case .array(let elements):
            return .array(elements.map { pydanticSorted($0, parentKey: parentKey) })
        default:
            return value
        }
    }
}
