import CLibPQ

/// Owns a libpq result and frees it when the last row referring to it is gone.
final class PostgresResult: @unchecked Sendable {
    // @unchecked Sendable: the PGresult is never modified after it is wrapped; libpq allows
    // reading a result from any thread.
    let handle: OpaquePointer
    let columnNames: [String]
    let columnTypes: [PostgresDataType]
    let rowCount: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        let columns = Int(PQnfields(handle))
        columnNames = (0..<columns).map { String(cString: PQfname(handle, Int32($0))) }
        columnTypes = (0..<columns).map { PostgresDataType(UInt32(PQftype(handle, Int32($0)))) }
        rowCount = Int(PQntuples(handle))
    }

    deinit { PQclear(handle) }

    /// The number of rows a command affected (`INSERT`, `UPDATE`, `DELETE`, …), 0 if none.
    var affectedRows: Int {
        Int(String(cString: PQcmdTuples(handle))) ?? 0
    }
}

/// The rows a statement returned. Rows are decoded on access, straight from libpq's memory.
public struct PostgresRows: RandomAccessCollection, Sendable {
    let result: PostgresResult?

    /// The result of a statement that returned no result set.
    static let empty = PostgresRows(result: nil)

    public var startIndex: Int { 0 }
    public var endIndex: Int { result?.rowCount ?? 0 }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: result!, index: position) }

    /// The column names, in order.
    public var columns: [String] { result?.columnNames ?? [] }
    /// How many rows the statement affected (for `INSERT`/`UPDATE`/`DELETE`).
    public var affectedRows: Int { result?.affectedRows ?? 0 }
}

/// One row of a result. Decode its columns by name or by position.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    /// The column names, in order.
    public var columns: [String] { result.columnNames }

    /// Decodes the column named `column` (matched exactly, case-sensitively).
    ///
    /// Throws ``PostgresDecodingError`` naming the column when it is missing, NULL for a
    /// non-optional type, or of a type that does not fit `T`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = result.columnNames.firstIndex(of: column) else {
            throw PostgresDecodingError(column: column, swiftType: "\(T.self)", postgresType: .unknown, reason: "no such column in the result")
        }
        return try decode(at: position, as: type)
    }

    /// Decodes the column at `position` (0-based).
    public func decode<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T {
        guard position >= 0 && position < result.columnNames.count else {
            throw PostgresDecodingError(column: "#\(position)", swiftType: "\(T.self)", postgresType: .unknown, reason: "no such column in the result")
        }
        // libpq answers NULL for a row past the end: a row that is not there must not read as one of NULLs.
        guard index >= 0 && index < result.rowCount else {
            throw PostgresDecodingError(column: result.columnNames[position], swiftType: "\(T.self)", postgresType: .unknown,
                                        reason: "row \(index) of a result of \(result.rowCount) rows")
        }
        let row = Int32(index)
        let column = Int32(position)
        let postgresType = result.columnTypes[position]
        do throws(PostgresDecodingFailure) {
            if PQgetisnull(result.handle, row, column) != 0 {
                return try T.decodeNull()
            }
            let length = Int(PQgetlength(result.handle, row, column))
            let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result.handle, row, column), count: length)
            return try T.decode(postgresText: bytes, type: postgresType)
        } catch {
            throw PostgresDecodingError(column: result.columnNames[position], swiftType: "\(T.self)", postgresType: postgresType, reason: error.reason)
        }
    }
}
