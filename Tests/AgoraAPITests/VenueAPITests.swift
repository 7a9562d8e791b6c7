import Agora
import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

@Suite("Venues and rooms over HTTP")
struct VenueAPITests {
    struct VenueBody: Decodable {
        var id: UUID
        var name: String
        var country: String
        var timeZone: String
        var rooms: Int
        var version: Int
    }

    struct RoomBody: Decodable {
        var id: UUID
        var venue: UUID
        var name: String
        var capacity: Int
        var accessibility: String
    }

    struct PageBody<Item: Decodable>: Decodable {
        var items: [Item]
        var next: String?
    }

    @Test func theSecretariatKeepsVenuesAndRoomsAndEveryoneReadsThem() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [RoleGrant(.participant)])
            let body = #"{"name": "Palais des Nations", "city": "Geneva", "country": "ch", "timeZone": "Europe/Zurich"}"#
            try await client.execute(uri: "/venues", method: .post, body: ByteBuffer(string: body)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/venues", method: .post, headers: contact.authorization, body: ByteBuffer(string: body)) {
                #expect($0.status == .forbidden)
            }
            let venue = try await client.execute(uri: "/venues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                #expect(response.headers[.location]?.hasPrefix("/venues/") == true)
                return try JSONDecoder().decode(VenueBody.self, from: Data(buffer: response.body))
            }
            #expect(venue.country == "CH")
            #expect(venue.rooms == 0)

            // The same name in the same city is another venue's; a zone the server does not know is refused.
            try await client.execute(uri: "/venues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try problem(response.body).errors?.map(\.field)
                #expect(fields == ["name", "city"])
            }
            try await client.execute(uri: "/venues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"name": "Somewhere", "city": "Nowhere", "country": "ZZ", "timeZone": "Europe/Zurich"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try problem(response.body).errors?.map(\.field)
                #expect(fields == ["country"])
            }
            try await client.execute(uri: "/venues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"name": "Somewhere", "city": "Nowhere", "country": "ZZ", "timeZone": "Mars/Olympus"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try problem(response.body).errors?.map(\.field)
                #expect(fields == ["timeZone"])
            }

            // Rooms: the secretariat adds them, everyone reads them; a second room of the same name is refused.
            for (name, capacity) in [("Room XX", 750), ("Room XVII", 320)] {
                try await client.execute(uri: "/venues/\(venue.id)/rooms", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                    {"name": "\(name)", "capacity": \(capacity), "accessibility": "Step-free; hearing loop"}
                    """)) { #expect($0.status == .created) }
            }
            try await client.execute(uri: "/venues/\(venue.id)/rooms", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": "Room XX", "capacity": 10}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["name"])
                #expect(refusal.errors?.first?.message == "is taken by another room of this venue")
            }
            try await client.execute(uri: "/venues/\(venue.id)/rooms", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": "Tiny", "capacity": 0}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/venues/\(UUID())/rooms", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": "Lost", "capacity": 5}"#)) { #expect($0.status == .notFound) }
            let rooms = try await client.execute(uri: "/venues/\(venue.id)/rooms", method: .get) { response in
                try JSONDecoder().decode(PageBody<RoomBody>.self, from: Data(buffer: response.body)).items
            }
            #expect(rooms.map(\.name) == ["Room XVII", "Room XX"])
            #expect(rooms.allSatisfy { $0.venue == venue.id && $0.accessibility == "Step-free; hearing loop" })
            try await client.execute(uri: "/venues/\(UUID())/rooms", method: .get) { #expect($0.status == .notFound) }

            // A change with a stale ETag is refused; with the current one it is made and audited.
            let (current, etag) = try await client.execute(uri: "/venues/\(venue.id)", method: .get) { response in
                (try JSONDecoder().decode(VenueBody.self, from: Data(buffer: response.body)), response.headers[.eTag] ?? "")
            }
            #expect(current.rooms == 2)
            #expect(current.version == venue.version + 2) // each room is a new version of the venue
            // An empty change changes nothing: the ETag read stays good.
            var unchanged = secretariat.authorization
            unchanged[.ifMatch] = etag
            try await client.execute(uri: "/venues/\(venue.id)", method: .patch, headers: unchanged, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == etag)
            }
            var stale = secretariat.authorization
            stale[.ifMatch] = #""1""#
            try await client.execute(uri: "/venues/\(venue.id)", method: .patch, headers: stale,
                                     body: ByteBuffer(string: #"{"city": "Genève"}"#)) { #expect($0.status == .preconditionFailed) }
            var fresh = secretariat.authorization
            fresh[.ifMatch] = etag
            let changed = try await client.execute(uri: "/venues/\(venue.id)", method: .patch, headers: fresh,
                                                   body: ByteBuffer(string: #"{"city": "Genève"}"#)) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(VenueBody.self, from: Data(buffer: response.body))
            }
            #expect(changed.version == current.version + 1)
            try await client.execute(uri: "/venues/\(venue.id)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"timeZone": null}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let errors = try problem(response.body).errors
                #expect(errors?.map(\.field) == ["timeZone"])
                #expect(errors?.map(\.message) == ["cannot be cleared"])
            }
            let audited = try await pool.query("""
                SELECT count(*)::int AS n FROM audit_entry WHERE object_id = \(venue.id.uuidString) AND action IN ('venue.create', 'room.create', 'venue.update')
                """)[0].decode("n", as: Int.self)
            #expect(audited == 4)

            // Pages follow the name: "Centre…" before "Palais…".
            let second = try await client.execute(uri: "/venues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"name": "Centre International de Conférences", "city": "Genève", "country": "CH", "timeZone": "Europe/Zurich"}
                """)) { try JSONDecoder().decode(VenueBody.self, from: Data(buffer: $0.body)) }
            let first = try await client.execute(uri: "/venues?limit=1", method: .get) { response in
                try JSONDecoder().decode(PageBody<VenueBody>.self, from: Data(buffer: response.body))
            }
            #expect(first.items.map(\.id) == [second.id])
            let next = try #require(first.next)
            let last = try await client.execute(uri: "/venues?limit=1&cursor=\(next)", method: .get) { response in
                try JSONDecoder().decode(PageBody<VenueBody>.self, from: Data(buffer: response.body))
            }
            #expect(last.items.map(\.id) == [venue.id])
            #expect(last.next == nil)
        }
    }
}
