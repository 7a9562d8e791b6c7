/// A SQL statement with its parameters bound, never spliced.
///
/// Built from string interpolation: every interpolated value becomes `$1`, `$2`, … and travels
/// separately from the SQL text, so a value such as `'; DROP TABLE x; --` is only ever data.
///
/// ```swift
/// let rows = try await pool.query("SELECT name FROM forum WHERE id = \(forumID)")
/// ```
///
/// Raw SQL text can be inserted only with `\(unsafeRaw: …)`, whose name says what it is.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    /// The SQL text with `$n` placeholders. Prepared statements are cached by this text.
    public private(set) var sql: String
    /// The parameters in text format, `nil` for NULL, in placeholder order.
    public private(set) var bindings: [String?]
    /// A client-side limit on this statement's running time; `nil` uses the pool's.
    public var timeout: Duration?

    /// A query with explicit SQL text and parameters.
    public init(unsafeSQL sql: String, bindings: [any PostgresEncodable] = []) {
        self.sql = sql
        self.bindings = bindings.map(\.postgresText)
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.bindings = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.bindings = stringInterpolation.bindings
    }

    /// Returns this query with a client-side timeout, after which it is cancelled.
    public func timeout(_ duration: Duration) -> PostgresQuery {
        var copy = self
        copy.timeout = duration
        return copy
    }

    /// Collects SQL text and parameters while the literal is read.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var bindings: [String?]

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            bindings = []
            bindings.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds a value as the next parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            bindings.append(value.postgresText)
            sql += "$\(bindings.count)"
        }

        /// Binds an optional value; `nil` is SQL NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value?.postgresText)
            sql += "$\(bindings.count)"
        }

        /// Inserts text into the SQL itself. Only for identifiers and fragments the program
        /// owns (never input from a request).
        public mutating func appendInterpolation(unsafeRaw text: String) {
            sql += text
        }

        /// Appends another query, renumbering its parameters.
        public mutating func appendInterpolation(_ query: PostgresQuery) {
            let offset = bindings.count
            sql += offset == 0 ? query.sql : Self.renumber(query.sql, by: offset)
            bindings += query.bindings
        }

        private static func renumber(_ sql: String, by offset: Int) -> String {
            var result = ""
            var scalars = sql.unicodeScalars.makeIterator()
            var pending: Unicode.Scalar? = scalars.next()
            while let scalar = pending {
                pending = scalars.next()
                guard scalar == "$", let first = pending, first.properties.numericType != nil, ("0"..."9").contains(first) else {
                    result.unicodeScalars.append(scalar)
                    continue
                }
                var digits = ""
                while let next = pending, ("0"..."9").contains(next) {
                    digits.unicodeScalars.append(next)
                    pending = scalars.next()
                }
                result += "$\(Int(digits)! + offset)"
            }
            return result
        }
    }
}
