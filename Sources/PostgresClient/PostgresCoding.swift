import Foundation

/// A Swift value that can be bound as a query parameter.
///
/// Parameters travel in PostgreSQL's text format with the type left for the server to infer
/// from the statement (write `$1::int` where it cannot), so one prepared statement serves every
/// call with the same SQL text.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text format, or `nil` for SQL NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a result column (text format).
public protocol PostgresDecodable {
    /// Decodes a non-NULL value from its text representation.
    /// - Parameters:
    ///   - text: the value's bytes, without a terminating NUL.
    ///   - type: the column's PostgreSQL type, checked so a mismatch is an error, not a guess.
    static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Self
    /// The value for SQL NULL; non-optional types refuse it.
    static func decodeNull() throws(PostgresDecodingFailure) -> Self
}

/// Why a value could not be decoded; ``PostgresRow`` adds the column's name.
public struct PostgresDecodingFailure: Error, Sendable {
    /// The reason, never containing the value itself.
    public var reason: String
    /// Creates a failure with a reason.
    public init(_ reason: String) { self.reason = reason }
    static func typeMismatch() -> PostgresDecodingFailure { .init("the column's type does not fit") }
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self {
        throw PostgresDecodingFailure("unexpected NULL")
    }
}

// MARK: - Optional

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self.flatMap(\.postgresText) }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Self {
        try Wrapped.decode(postgresText: text, type: type)
    }
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { nil }
}

// MARK: - Integers

/// Parses a decimal integer without allocating.
@inline(__always)
func parseInteger(_ text: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Int64 {
    guard !text.isEmpty else { throw PostgresDecodingFailure("empty integer") }
    var index = 0
    let negative = text[0] == UInt8(ascii: "-")
    if negative { index = 1 }
    guard index < text.count else { throw PostgresDecodingFailure("not an integer") }
    var value: Int64 = 0
    while index < text.count {
        let digit = Int64(text[index]) - 48
        guard digit >= 0 && digit <= 9 else { throw PostgresDecodingFailure("not an integer") }
        // Accumulate negatively so Int64.min parses too.
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = times10.subtractingReportingOverflow(digit)
        guard !overflow1 && !overflow2 else { throw PostgresDecodingFailure("integer out of range") }
        value = next
        index += 1
    }
    if negative { return value }
    guard value != .min else { throw PostgresDecodingFailure("integer out of range") }
    return -value
}

private let integerTypes: Set<PostgresDataType> = [.int2, .int4, .int8, .oidType]

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Int {
        guard integerTypes.contains(type) else { throw .typeMismatch() }
        return Int(try parseInteger(text))
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Int64 {
        guard integerTypes.contains(type) else { throw .typeMismatch() }
        return try parseInteger(text)
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Int32 {
        guard integerTypes.contains(type) else { throw .typeMismatch() }
        guard let value = Int32(exactly: try parseInteger(text)) else { throw PostgresDecodingFailure("integer out of range") }
        return value
    }
}

// MARK: - Double, Bool, String

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Double {
        guard [.float4, .float8, .numeric, .int2, .int4, .int8].contains(type) else { throw .typeMismatch() }
        guard let value = Double(String(decoding: text, as: UTF8.self)) else { throw PostgresDecodingFailure("not a number") }
        return value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self ? "t" : "f" }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Bool {
        guard type == .bool, text.count == 1 else { throw .typeMismatch() }
        switch text[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PostgresDecodingFailure("not a boolean")
        }
    }
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self }
    /// Any column can be read as its text representation except `bytea`, whose text form is
    /// an escaping, not the content.
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> String {
        guard type != .bytea else { throw .typeMismatch() }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

// MARK: - UUID

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { uuidString }
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> UUID {
        guard type == .uuid || type == .text || type == .varchar || type == .unknown else { throw .typeMismatch() }
        guard let uuid = parseUUID(text) else { throw PostgresDecodingFailure("not a UUID") }
        return uuid
    }

    /// The canonical 36-character form (8-4-4-4-12 hex digits, either case), read by hand:
    /// `UUID(uuidString:)` goes through `sscanf`, which dominated reading rows full of ids.
    static func parseUUID(_ text: UnsafeRawBufferPointer) -> UUID? {
        guard text.count == 36 else { return nil }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &uuid) { out -> Bool in
            var index = 0
            for position in 0..<16 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard text[index] == UInt8(ascii: "-") else { return false }
                    index += 1
                }
                guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return false }
                out[position] = high << 4 | low
                index += 2
            }
            return true
        }
        return valid ? UUID(uuid: uuid) : nil
    }
}

// MARK: - Data (bytea)

private let hexDigits = Array("0123456789abcdef".utf8)

extension Data: PostgresEncodable, PostgresDecodable {
    /// bytea in hex format (`\x…`), which the server accepts whatever its `bytea_output`.
    public var postgresText: String? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(2 + count * 2)
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "x"))
        for byte in self {
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Data {
        guard type == .bytea else { throw .typeMismatch() }
        // The connection sets bytea_output = hex, so the value is "\x" followed by hex pairs.
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else {
            throw PostgresDecodingFailure("bytea not in hex format")
        }
        func nibble(_ c: UInt8) throws(PostgresDecodingFailure) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
            default: throw PostgresDecodingFailure("invalid hex digit")
            }
        }
        var data = Data(capacity: (text.count - 2) / 2)
        var index = 2
        while index < text.count {
            data.append(try nibble(text[index]) << 4 | nibble(text[index + 1]))
            index += 2
        }
        return data
    }
}

// MARK: - Date (timestamptz)

extension Date: PostgresEncodable, PostgresDecodable {
    /// ISO 8601 in UTC with microseconds, the precision of `timestamptz`.
    public var postgresText: String? { PostgresTimestamp.format(self) }

    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> Date {
        guard type == .timestamptz || type == .timestamp else { throw .typeMismatch() }
        guard let date = PostgresTimestamp.parse(text) else { throw PostgresDecodingFailure("not an ISO timestamp") }
        return date
    }
}

/// Conversions between `Date` and PostgreSQL's ISO timestamp text, independent of the
/// process's time zone and locale.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let microText = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + " \(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - microText.count) + microText + "+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]]` (also with `T`), and ±infinity.
    static func parse(_ text: UnsafeRawBufferPointer) -> Date? {
        if text.count == 8, String(decoding: text, as: UTF8.self) == "infinity" { return .distantFuture }
        if text.count == 9, String(decoding: text, as: UTF8.self) == "-infinity" { return .distantPast }
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= text.count else { return nil }
            var value = 0
            for offset in 0..<width {
                let digit = Int(text[index + offset]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            index += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < text.count, characters.utf8.contains(text[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect(" T"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2) else { return nil }
        var micros = 0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < text.count, (48...57).contains(text[index]) {
                if digits < 6 { micros = micros * 10 + Int(text[index]) - 48 }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offsetSeconds = 0
        if index < text.count {
            let sign = text[index] == UInt8(ascii: "-") ? -1 : 1
            guard expect("+-Z") else { return nil }
            if text[index - 1] != UInt8(ascii: "Z") {
                guard let offsetHours = number(2) else { return nil }
                offsetSeconds = offsetHours * 3600
                if expect(":"), let offsetMinutes = number(2) { offsetSeconds += offsetMinutes * 60 }
                if expect(":"), let extra = number(2) { offsetSeconds += extra }
                offsetSeconds *= sign
            }
        }
        guard index == text.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epochSeconds = Int64(timegm(&parts)) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(epochSeconds) + Double(micros) / 1_000_000)
    }
}

// MARK: - JSON

/// A `Codable` value stored in a `json` or `jsonb` column.
///
/// Bind `PostgresJSON(value)`; read with `row.decode("column", as: PostgresJSON<T>.self).value`.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable, Sendable {
    /// The wrapped value.
    public var value: Value
    /// Wraps a value.
    public init(_ value: Value) { self.value = value }

    public var postgresText: String? {
        // Encoding a Codable value only fails for non-finite floats, which JSON cannot hold.
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> PostgresJSON<Value> {
        guard type == .json || type == .jsonb || type == .text else { throw .typeMismatch() }
        do {
            return PostgresJSON(try JSONDecoder().decode(Value.self, from: Data(text)))
        } catch {
            throw PostgresDecodingFailure("JSON does not match \(Value.self): \(error)")
        }
    }
}

// MARK: - Arrays (text[], int[], uuid[])

/// A type that can be an element of a PostgreSQL array parameter or column.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The element type inside an array column of type `arrayType`, or nil if not accepted.
    static func elementType(ofArray arrayType: PostgresDataType) -> PostgresDataType?
}

extension String: PostgresArrayElement {
    public static func elementType(ofArray arrayType: PostgresDataType) -> PostgresDataType? {
        [.textArray, .varcharArray].contains(arrayType) ? .text : nil
    }
}
extension Int: PostgresArrayElement {
    public static func elementType(ofArray arrayType: PostgresDataType) -> PostgresDataType? {
        switch arrayType { case .int2Array: .int2; case .int4Array: .int4; case .int8Array: .int8; default: nil }
    }
}
extension Int64: PostgresArrayElement {
    public static func elementType(ofArray arrayType: PostgresDataType) -> PostgresDataType? {
        Int.elementType(ofArray: arrayType)
    }
}
extension UUID: PostgresArrayElement {
    public static func elementType(ofArray arrayType: PostgresDataType) -> PostgresDataType? {
        arrayType == .uuidArray ? .uuid : nil
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// An array literal with every element quoted, so commas, braces, quotes and the word
    /// NULL inside a string stay data.
    public var postgresText: String? {
        var text = "{"
        for (offset, element) in enumerated() {
            if offset > 0 { text += "," }
            guard let elementText = element.postgresText else { text += "NULL"; continue }
            text += "\""
            for character in elementText.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(postgresText text: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingFailure) -> [Element] {
        guard let elementType = Element.elementType(ofArray: type) else { throw .typeMismatch() }
        var result = [Element]()
        for item in try PostgresArrayLiteral.parse(text) {
            guard var item else {
                result.append(try Element.decodeNull())
                continue
            }
            let decoded = item.withUTF8 { bytes -> Result<Element, PostgresDecodingFailure> in
                do throws(PostgresDecodingFailure) {
                    return .success(try Element.decode(postgresText: UnsafeRawBufferPointer(bytes), type: elementType))
                } catch {
                    return .failure(error)
                }
            }
            result.append(try decoded.get())
        }
        return result
    }
}

/// Parses one-dimensional array literals: `{a,"b c",NULL,"d\"e"}`.
enum PostgresArrayLiteral {
    static func parse(_ text: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> [String?] {
        guard text.count >= 2, text[0] == UInt8(ascii: "{"), text[text.count - 1] == UInt8(ascii: "}") else {
            throw PostgresDecodingFailure("not a one-dimensional array")
        }
        var items = [String?]()
        var index = 1
        let end = text.count - 1
        guard index < end else { return items }
        while true {
            var bytes = [UInt8]()
            var quoted = false
            if text[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                while index < end, text[index] != UInt8(ascii: "\"") {
                    if text[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < end else { break }
                    bytes.append(text[index])
                    index += 1
                }
                guard index < end else { throw PostgresDecodingFailure("unterminated quoted element") }
                index += 1
            } else {
                while index < end, text[index] != UInt8(ascii: ",") {
                    guard text[index] != UInt8(ascii: "{") else { throw PostgresDecodingFailure("nested arrays are not supported") }
                    bytes.append(text[index])
                    index += 1
                }
            }
            let item = String(decoding: bytes, as: UTF8.self)
            items.append(!quoted && item == "NULL" ? nil : item)
            if index == end { return items }
            guard text[index] == UInt8(ascii: ",") else { throw PostgresDecodingFailure("malformed array") }
            index += 1
        }
    }
}
