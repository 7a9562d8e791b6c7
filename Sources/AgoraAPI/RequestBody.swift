import Agora
import Foundation
import Hummingbird

/// A JSON request body that names the fields it accepts, so anything else is refused (400)
/// instead of silently ignored.
public protocol StrictRequestBody: Decodable {
    /// The JSON field names a caller may send.
    static var acceptedFields: Set<String> { get }
}

extension Request {
    /// Decodes a strict JSON body: 400 for malformed JSON or unknown fields (named), 413 when
    /// too large.
    public func decodeStrict<Body: StrictRequestBody>(as type: Body.Type, context: AgoraRequestContext) async throws -> Body {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw Problem.payloadTooLarge(limit: context.maxUploadSize)
        }
        let data = Data(buffer: buffer)
        let fields: [String: JSONValue]
        do {
            fields = try JSONDecoder().decode([String: JSONValue].self, from: data)
        } catch {
            throw Problem.malformedBody("The request body must be a JSON object.")
        }
        let unknown = fields.keys.filter { !Body.acceptedFields.contains($0) }.sorted()
        guard unknown.isEmpty else { throw Problem.unknownFields(unknown) }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Body.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Problem.validation([.init(field: key.stringValue, message: "is required")])
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw Problem.validation([.init(field: field, message: "has the wrong type")])
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw Problem.validation([.init(field: field, message: "is not valid: \(context.debugDescription)")])
        }
    }
}

/// A page of a list: `limit` (default 50, at most 200) and the opaque `cursor` of the next page.
public struct PageRequest: Sendable {
    /// How many items at most.
    public var limit: Int
    /// Where to continue, as given by the previous page's `next`.
    public var cursor: String?

    /// Reads `?limit=` and `?cursor=`; a limit outside 1…200 is a 400.
    public init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let limit = Int(String(text)), (1...200).contains(limit) else {
                throw Problem(type: "invalid-limit", title: "Invalid limit", status: .badRequest,
                              detail: "`limit` must be a whole number from 1 to 200.")
            }
            self.limit = limit
        } else {
            self.limit = 50
        }
        self.cursor = query["cursor"].map(String.init)
    }
}

/// A list answer: the items and, when there are more, the cursor of the next page.
public struct Page<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    public var items: [Item]
    public var next: String?

    /// A page of a short list held in memory (countries, a network's members), in its order;
    /// `key` identifies an item, the cursor names the last item of the previous page.
    init(slicing all: [Item], _ request: PageRequest, key: (Item) -> String) throws {
        var start = 0
        if let cursor = request.cursor {
            let last = try Cursor.decode(cursor, as: String.self)
            guard let index = all.firstIndex(where: { key($0) == last }) else {
                throw Problem(type: "invalid-cursor", title: "Invalid cursor", status: .badRequest,
                              detail: "`cursor` must be a value the previous page gave as `next`.")
            }
            start = index + 1
        }
        let end = min(all.count, start + request.limit)
        items = Array(all[start..<end])
        next = end < all.count ? items.last.map { Cursor.encode(key($0)) } : nil
    }

    init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}

/// Opaque cursors: base64url of a JSON position, so clients cannot depend on their shape.
enum Cursor {
    static func encode<Position: Encodable>(_ position: Position) -> String {
        let data = (try? JSONEncoder().encode(position)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode<Position: Decodable>(_ text: String, as type: Position.Type) throws -> Position {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let position = try? JSONDecoder().decode(type, from: data) else {
            throw Problem(type: "invalid-cursor", title: "Invalid cursor", status: .badRequest,
                          detail: "`cursor` must be a value the previous page gave as `next`.")
        }
        return position
    }
}
