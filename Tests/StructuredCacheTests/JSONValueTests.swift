// JSONValue and JSONObject: literals, Python-like equality, scalar-exact keys, accessors.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct JSONValueTests {
    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = ["s": "x", "i": 10, "d": 10.0, "b": true, "n": nil, "a": [1, "two"]]
        #expect(value["s"] == .string("x"))
        #expect(value["i"] == .int(10))
        #expect(value["d"] == .double(10.0))
        #expect(value["b"] == .bool(true))
        #expect(value["n"] == .null)
        #expect(value["a"] == .array([.int(1), .string("two")]))
        #expect(value.objectValue?.keys == ["s", "i", "d", "b", "n", "a"])
    }

    @Test func integersAndFloatsAreDifferentValues() {
        #expect(JSONValue.int(10) != JSONValue.double(10.0))
        #expect(JSONValue.double(0.0) != JSONValue.double(-0.0))
        #expect(JSONValue.double(.nan) == JSONValue.double(.nan))
    }

    @Test func bigIntegersKeepTheirDigitsAndEqualSmallOnes() throws {
        let big = try #require(JSONValue.integer(digits: "12345678901234567890"))
        #expect(big == .bigInt(try #require(JSONBigInt("12345678901234567890"))))
        #expect(big.jsonString() == "12345678901234567890")
        #expect(JSONValue.integer(digits: "-42") == .int(-42))
        let smallAsBig = JSONValue.bigInt(try #require(JSONBigInt("+0042")))
        #expect(smallAsBig == .int(42))
        #expect(smallAsBig.hashValue == JSONValue.int(42).hashValue)
        #expect(JSONBigInt("-000")?.digits == "0")
        #expect(JSONBigInt("12a") == nil)
        #expect(JSONBigInt("") == nil)
        #expect(JSONBigInt("-") == nil)
    }

    @Test func stringsCompareByScalarsNotCanonicalEquivalence() {
        let composed: JSONValue = .string("caf\u{E9}")
        let decomposed: JSONValue = .string("cafe\u{301}")
        #expect("caf\u{E9}" == "cafe\u{301}")  // Swift's String equality…
        #expect(composed != decomposed)  // …is not JSONValue's.
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test func objectKeysAreScalarExact() {
        var object = JSONObject()
        object["\u{E9}"] = 1
        object["e\u{301}"] = 2
        #expect(object.count == 2)
        #expect(object["\u{E9}"] == .int(1))
        #expect(object["e\u{301}"] == .int(2))
    }

    @Test func settingAnExistingKeyKeepsItsPositionAndRemovingWorks() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["a"] = 10
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["a"] == .int(10))
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["b"] == nil)
        object["b"] = 4
        #expect(object.keys == ["a", "c", "b"])
    }

    @Test func largeObjectsStayCorrectOnceIndexed() {
        var object = JSONObject()
        for index in 0..<200 { object["key\(index)"] = .int(index) }
        object["e\u{301}"] = "decomposed"
        object["\u{E9}"] = "composed"
        #expect(object.count == 202)
        for index in stride(from: 0, to: 200, by: 7) { #expect(object["key\(index)"] == .int(index)) }
        #expect(object["e\u{301}"] == "decomposed")
        #expect(object["\u{E9}"] == "composed")
        object["key5"] = nil
        #expect(object["key5"] == nil)
        #expect(object["key6"] == .int(6))
        #expect(object.position(of: "key6") == 5)
        #expect(object.count == 201)
    }

    @Test func objectEqualityIgnoresOrderLikePythonDicts() {
        let a: JSONValue = ["x": 1, "y": [true, nil]]
        let b: JSONValue = ["y": [true, nil], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1, "y": [true, false]])
        #expect(a != ["x": 1])
    }

    @Test func nestedEqualityAndHashingFollowTheMembers() {
        let a: JSONValue = [["k": [1, ["x": nil, "y": [true]]], "j": []], "s", [:]]
        let b: JSONValue = [["j": [], "k": [1, ["y": [true], "x": nil]]], "s", [:]]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.objectValue == nil && a[0]?.objectValue == b[0]?.objectValue)
        #expect(a[0]?.objectValue?.hashValue == b[0]?.objectValue?.hashValue)
        #expect(a != [["k": [1, ["x": nil, "y": [false]]], "j": []], "s", [:]])
        #expect(a != [["k": [1, ["x": nil, "z": [true]]], "j": []], "s", [:]])
        #expect(a != [["k": [1, ["x": nil, "y": [true]]], "j": []], "s", []])
        #expect(a != [["k": [1, ["x": nil, "y": [true]]], "j": []], "s"])
        #expect(Set([a, b, [[:]], [[]]]).count == 3)
        // Below the levels compared by recursion, with the explicit stack.
        let (deepA, deepB, deepOther) = (buried(a), buried(b), buried([["k": 1]]))
        #expect(deepA == deepB)
        #expect(deepA.hashValue == deepB.hashValue)
        #expect(deepA.objectValue?.hashValue == deepB.objectValue?.hashValue)
        #expect(deepA != deepOther)
        #expect(deepA != buried([["k": [1, ["x": nil, "y": [true]]], "j": [0]], "s", [:]]))
    }

    /// `value` under 40 levels of alternating objects and arrays.
    private func buried(_ value: JSONValue) -> JSONValue {
        var value = value
        for level in 0..<40 {
            value = level.isMultiple(of: 2) ? ["z": value, "a": [.int(level)]] : [value, .int(level)]
        }
        return value
    }

    @Test func comparesAndHashesDeepValuesOnASmallStack() {
        let outcomes = onSmallStack {
            [JSONValue.defaultMaxDepth, 20_000].flatMap { depth -> [Bool] in
                // Built apart, so that equality has to look all the way down.
                let array = nestedArrays(depth, innermost: 1)
                let sameArray = nestedArrays(depth, innermost: 1)
                let object = nestedObjects(depth, innermost: 1)
                let sameObject = nestedObjects(depth, innermost: 1)
                let otherObject = nestedObjects(depth, innermost: 2)
                let outcomes = [
                    array == sameArray, array.hashValue == sameArray.hashValue, object == sameObject,
                    object.hashValue == sameObject.hashValue, object != otherObject, array != object,
                ]
                JSONValue.dismantle(consume array)
                JSONValue.dismantle(consume sameArray)
                JSONValue.dismantle(consume object)
                JSONValue.dismantle(consume sameObject)
                JSONValue.dismantle(consume otherObject)
                return outcomes
            }
        }
        #expect(outcomes == Array(repeating: true, count: 12))
    }

    @Test func accessorsReturnNilForOtherCases() {
        let value: JSONValue = ["list": [1, 2.5, "x"], "flag": false]
        #expect(value["list"]?[0]?.intValue == 1)
        #expect(value["list"]?[1]?.doubleValue == 2.5)
        #expect(value["list"]?[0]?.doubleValue == 1.0)
        #expect(value["list"]?[2]?.stringValue == "x")
        #expect(value["list"]?[3] == nil)
        #expect(value["flag"]?.boolValue == false)
        #expect(value["flag"]?.stringValue == nil)
        #expect(value["missing"] == nil)
        #expect(JSONValue.null.isNull)
        #expect(value.arrayValue == nil)
    }

    @Test func descriptionIsReadableJSON() {
        let value: JSONValue = ["name": "Jos\u{E9}", "n": 1.0]
        #expect(value.description == #"{"name": "José", "n": 1.0}"#)
    }
}

/// `depth` arrays, each the only element of the one around it, with `innermost` inside.
private func nestedArrays(_ depth: Int, innermost: JSONValue) -> JSONValue {
    var value = innermost
    for _ in 0..<depth { value = [value] }
    return value
}

/// `depth` objects, each the only member of the one around it, with `innermost` inside.
private func nestedObjects(_ depth: Int, innermost: JSONValue) -> JSONValue {
    var value = innermost
    for _ in 0..<depth { value = ["a": value] }
    return value
}
