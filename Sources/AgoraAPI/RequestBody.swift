import Agora
import Foundation
import Hummingbird

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
                throw Refusal(.invalidLimit,
                              "`limit` must be a whole number from 1 to 200.")
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
                throw Refusal(.invalidCursor,
                              "`cursor` must be a value the previous page gave as `next`.")
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
            throw Refusal(.invalidCursor,
                          "`cursor` must be a value the previous page gave as `next`.")
        }
        return position
    }
}
