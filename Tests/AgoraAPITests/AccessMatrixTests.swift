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

/// Every role against every writing route, on objects that belong to someone else:
/// no token 401, a token without the role 403, a role scoped elsewhere 404.
@Suite("Roles × routes × someone else's object")
struct AccessMatrixTests {
    enum Caller: String, CaseIterable {
        case anonymous, participant, bureau, focalPoint, contact, secretariat
    }

    struct Case {
        var method: HTTPRequest.Method
        var uri: String
        var body: String?
        var expected: [Caller: HTTPResponse.Status]
    }

    @Test func everyRoleGetsTheRightAnswer() async throws {
        try await withApp { client, pool, _ in
            let (ourOrganisation, ourNetwork, theirs) = try await Self.objects(pool)
            let (theirOrganisation, theirNetwork, theirPerson) = (theirs.organisation, theirs.network, theirs.person)

            var tokens: [Caller: HTTPFields] = [.anonymous: [:]]
            let grants: [Caller: Set<RoleGrant>] = [
                .participant: [RoleGrant(.participant)], .bureau: [RoleGrant.bureau("Economic and Social Council")],
                .focalPoint: [.network(ourNetwork)], .contact: [.organisation(ourOrganisation)],
                .secretariat: [RoleGrant(.secretariat)],
            ]
            for (caller, grant) in grants {
                tokens[caller] = try await TestAccount.make(pool, name: caller.rawValue, grants: grant).authorization
            }

            func answers(secretariat: HTTPResponse.Status, focalPoint: HTTPResponse.Status = .forbidden, contact: HTTPResponse.Status = .forbidden) -> [Caller: HTTPResponse.Status] {
                [.anonymous: .unauthorized, .participant: .forbidden, .bureau: .forbidden,
                 .focalPoint: focalPoint, .contact: contact, .secretariat: secretariat]
            }
            let cases = [
                Case(method: .patch, uri: "/organisations/\(theirOrganisation)", body: #"{"name": "Renamed"}"#,
                     expected: answers(secretariat: .ok, contact: .notFound)),
                Case(method: .patch, uri: "/networks/\(theirNetwork)", body: #"{"description": "Changed"}"#,
                     expected: answers(secretariat: .ok, focalPoint: .notFound)),
                Case(method: .put, uri: "/networks/\(theirNetwork)/members/\(theirOrganisation)", body: nil,
                     expected: answers(secretariat: .ok, focalPoint: .notFound)),
                Case(method: .delete, uri: "/networks/\(theirNetwork)/members/\(theirOrganisation)", body: nil,
                     expected: answers(secretariat: .noContent, focalPoint: .notFound, contact: .notFound)),
                Case(method: .patch, uri: "/people/\(theirPerson)", body: #"{"name": "Renamed"}"#,
                     expected: answers(secretariat: .ok, contact: .notFound)),
                Case(method: .post, uri: "/people", body: #"{"name": "New", "country": "BR", "organisation": "\#(theirOrganisation)"}"#,
                     expected: answers(secretariat: .created, contact: .unprocessableContent)),
                Case(method: .post, uri: "/organisations", body: #"{"name": "New", "country": "BR", "constituency": "ngo"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/networks", body: #"{"name": "New network", "constituency": "ngo"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/accounts", body: #"{"name": "New", "roles": [{"role": "bureau", "body": "Economic and Social Council"}]}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/constituencies", body: #"{"code": "faith_groups", "name": "Faith-based organisations"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .patch, uri: "/countries/KE", body: #"{"developing": true}"#,
                     expected: answers(secretariat: .ok)),
                Case(method: .get, uri: "/tokens", body: nil,
                     expected: [.anonymous: .unauthorized, .participant: .ok, .bureau: .ok, .focalPoint: .ok, .contact: .ok, .secretariat: .ok]),
                Case(method: .get, uri: "/audit", body: nil,
                     expected: [.anonymous: .ok, .participant: .ok, .bureau: .ok, .focalPoint: .ok, .contact: .ok, .secretariat: .ok]),
            ]
            // The secretariat goes last, so the others meet the objects unchanged.
            for testCase in cases {
                for caller in Caller.allCases {
                    var headers = tokens[caller]!
                    headers[.contentType] = "application/json"
                    let status = try await client.execute(uri: testCase.uri, method: testCase.method, headers: headers,
                                                          body: testCase.body.map { ByteBuffer(string: $0) }) { $0.status }
                    #expect(status == testCase.expected[caller], "\(caller) \(testCase.method) \(testCase.uri)")
                }
            }
        }
    }

    /// What a scoped caller (a focal point of another network, a contact of another
    /// organisation) gets from a writing route when acting on someone else's object, with the
    /// body it sends. Every writing route open to the `network` or `organisation` role must
    /// be here, so a new route cannot escape the matrix.
    static func scopedCases(theirs: Objects) -> [String: (body: String?, focalPoint: HTTPResponse.Status?, contact: HTTPResponse.Status?)] {
        [
            "PATCH /organisations/{id}": (#"{"name": "Renamed"}"#, nil, .notFound),
            "PATCH /networks/{id}": (#"{"description": "Changed"}"#, .notFound, nil),
            "PUT /networks/{id}/members/{organisation}": (nil, .notFound, nil),
            "DELETE /networks/{id}/members/{organisation}": (nil, .notFound, .notFound),
            "POST /networks/{id}/members/{organisation}/acceptance": (nil, nil, .notFound),
            "POST /people": (#"{"name": "New", "country": "BR", "organisation": "\#(theirs.organisation)"}"#, nil, .unprocessableContent),
            "PATCH /people/{id}": (#"{"name": "Renamed"}"#, nil, .notFound),
            "POST /forums/{id}/nominations": (#"{"network": "\#(theirs.network)", "person": "\#(theirs.person)", "rank": 1, "statement": "S"}"#, .forbidden, nil),
            "PATCH /nominations/{id}": (#"{"rank": 2}"#, .notFound, nil),
            "POST /nominations/{id}/withdrawal": (nil, .notFound, nil),
            "POST /invitations/{id}/answer": (#"{"answer": "accept"}"#, nil, .notFound),
            // Registering a person of another organisation names the field (people are public; nothing is revealed).
            "POST /forums/{id}/registrations": (#"{"person": "\#(theirs.person)"}"#, nil, .unprocessableContent),
            "POST /slates/{id}/speakers/{nomination}/answer": (#"{"answer": "confirm"}"#, .notFound, nil),
            // Booking for another organisation names the field; another's booking is not found.
            "POST /forums/{id}/workspace-bookings": (#"{"room": "\#(theirs.room)", "organisation": "\#(theirs.organisation)", "startsAt": "2027-01-15T10:00:00Z", "endsAt": "2027-01-15T11:00:00Z", "attendees": 2}"#, nil, .unprocessableContent),
            "DELETE /workspace-bookings/{id}": (nil, nil, .notFound),
            "POST /workspace-bookings/{id}/check-in": (nil, nil, .notFound),
        ]
    }

    struct Objects {
        var organisation: UUID
        var network: UUID
        var person: UUID
        /// A workspace room offered at the matrix's conference.
        var room: UUID = UUID()
    }

    /// The objects of "ours" (the scoped callers' own organisation and network) and "theirs"
    /// (someone else's organisation, network and person).
    static func objects(_ pool: PostgresConnectionPool) async throws -> (ourOrganisation: UUID, ourNetwork: UUID, theirs: Objects) {
        var organisationFields = Organisation.Fields()
        organisationFields.country = "BR"
        organisationFields.constituency = "ngo"
        organisationFields.name = "Our organisation"
        let ourOrganisation = try await OrganisationStore(pool: pool).create(organisationFields, by: .commandLine, requestID: nil).id
        organisationFields.name = "Their organisation"
        let theirOrganisation = try await OrganisationStore(pool: pool).create(organisationFields, by: .commandLine, requestID: nil).id
        var networkFields = Network.Fields()
        networkFields.constituency = "ngo"
        networkFields.name = "Our network"
        let ourNetwork = try await NetworkStore(pool: pool).create(networkFields, by: .commandLine, requestID: nil).id
        networkFields.name = "Their network"
        let theirNetwork = try await NetworkStore(pool: pool).create(networkFields, by: .commandLine, requestID: nil).id
        var personFields = Person.Fields()
        personFields.name = "Their person"
        personFields.country = "BR"
        personFields.organisation = .some(theirOrganisation)
        let theirPerson = try await PersonStore(pool: pool).create(personFields, by: .commandLine, requestID: nil).id
        return (ourOrganisation, ourNetwork, Objects(organisation: theirOrganisation, network: theirNetwork, person: theirPerson))
    }

    /// Writing routes anyone may call, each with why: a new one must be added here on purpose.
    static let publicWritingRoutes: [String: String] = [
        "POST /account-invitations/redeem": "the invitation code is the credential",
        "POST /forums/{id}/subscriptions": "anyone may subscribe an address: nothing but one confirmation is sent until it confirms (a webhook needs a token)",
        "POST /subscriptions/{id}/confirmation": "the code e-mailed to the address is the credential",
        "DELETE /subscriptions/{id}": "the subscription's own code, or its owner's token, is the credential",
        "POST /subscriptions/{id}/unsubscribe": "the code of the e-mail's one-click link is the credential",
        "POST /mail-opt-outs/unsubscribe": "the code of the e-mail's one-click link is the credential; the answer never shows the address",
    ]

    /// Every route that changes something, as the router registered it: no token 401, a token
    /// without the route's roles 403, and a focal point or contact scoped elsewhere as
    /// ``scopedCases(theirs:)`` says (404: someone else's object is not revealed).
    @Test func everyWritingRouteOfTheRouterIsInTheMatrix() async throws {
        try await withApp { client, pool, _ in
            let (ourOrganisation, ourNetwork, objects) = try await Self.objects(pool)
            var theirs = objects
            let (theirOrganisation, theirNetwork, theirPerson) = (theirs.organisation, theirs.network, theirs.person)
            // Their membership request, which only their organisation's contact may answer.
            _ = try await NetworkStore(pool: pool).addMember(theirOrganisation, to: theirNetwork,
                                                             by: Actor(accountID: nil, tokenName: "t", grants: [.network(theirNetwork)]), requestID: nil)
            // Their nomination, invitation and registration, so a scoped caller's 404 is about scope, not absence.
            let memberOrganisation = try await Fixture.organisation(pool, "Their member", constituency: "ngo")
            _ = try await NetworkStore(pool: pool).addMember(memberOrganisation, to: theirNetwork, by: .commandLine, requestID: nil)
            let memberPerson = try await Fixture.person(pool, "Their nominee", organisation: memberOrganisation)
            let issue = try await Fixture.issue(pool, slug: "matrix")
            let conference = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .nominationsOpen)
            let roundTable = try await Fixture.forum(pool, issue: issue, kind: .roundTable, status: .announced)
            let theirNomination = try await NominationStore(pool: pool).nominate(
                memberPerson, for: conference, by: theirNetwork, rank: 1, statement: "S", within: nil, actor: .commandLine, requestID: nil)
            let theirInvitation = try await ParticipationStore(pool: pool).invite(theirPerson, to: roundTable, by: .commandLine, requestID: nil)
            let theirRegistration = try await ParticipationStore(pool: pool).register(theirPerson, for: conference, within: nil, by: .commandLine, requestID: nil)
            // Their workspace booking at the conference (2027-01-15, 08:00 to 16:00 UTC).
            let venue = try await pool.query("SELECT venue_id FROM forum WHERE id = \(conference)")[0].decode("venue_id", as: UUID.self)
            let allDay = OpeningHours(Dictionary(uniqueKeysWithValues: OpeningHours.weekdays.map { ($0, OpeningHours.Span(opens: "00:00", closes: "24:00")) }))
            let room = try #require(try await VenueStore(pool: pool).addRoom(to: venue, Room.Fields(name: "Workspace", capacity: 10, bookable: true, openingHours: allDay),
                                                                              by: .commandLine, requestID: nil))
            let workspaces = WorkspaceStore(pool: pool)
            _ = try await workspaces.setOffer(forum: conference, .init(rooms: [room.id], bookingOpensAt: Date(timeIntervalSince1970: 0),
                                                                       bookingClosesAt: Date(timeIntervalSince1970: 1_800_000_000), rules: WorkspaceRules(), priorityWindow: nil),
                                              by: .commandLine, requestID: nil)
            let theirBooking = try await workspaces.book(.init(forum: conference, room: room.id, organisation: theirOrganisation,
                                                               startsAt: Date(timeIntervalSince1970: 1_800_000_000 + 3600), endsAt: Date(timeIntervalSince1970: 1_800_000_000 + 7200), attendees: 2),
                                                         within: nil, now: Date(timeIntervalSince1970: 1_799_000_000), by: .commandLine, requestID: nil)
            theirs.room = room.id

            let grants: [Caller: Set<RoleGrant>] = [
                .participant: [RoleGrant(.participant)], .bureau: [RoleGrant.bureau("Economic and Social Council")],
                .focalPoint: [.network(ourNetwork)], .contact: [.organisation(ourOrganisation)], .secretariat: [RoleGrant(.secretariat)],
            ]
            var tokens: [Caller: HTTPFields] = [.anonymous: [:]]
            for (caller, grant) in grants { tokens[caller] = try await TestAccount.make(pool, name: caller.rawValue, grants: grant).authorization }

            func versions() async throws -> [Int] {
                let row = try await pool.query("""
                    SELECT (SELECT version FROM organisation WHERE id = \(theirOrganisation)) AS o, (SELECT version FROM network WHERE id = \(theirNetwork)) AS n,
                           (SELECT version FROM person WHERE id = \(theirPerson)) AS p
                    """)[0]
                return [try row.decode("o"), try row.decode("n"), try row.decode("p")]
            }
            let versionsBefore = try await versions()
            let registered = buildRoutes(configuration: AppConfiguration(port: 0), stores: Stores(pool: pool), tokenCache: TokenCache()).rules
            let writing = registered.filter { !$0.key.hasPrefix("GET ") && !$0.key.hasPrefix("HEAD ") }
            #expect(writing.count >= 40, "the router registers the writing routes")
            let scoped = Self.scopedCases(theirs: theirs)
            for (route, rule) in writing.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                let objectPath = String(parts[1])
                    .replacingOccurrences(of: "/forums/{id}/workspace-bookings", with: "/forums/\(conference)/workspace-bookings")
                    .replacingOccurrences(of: "/workspace-bookings/{id}", with: "/workspace-bookings/\(theirBooking.id)")
                let path = objectPath
                    .replacingOccurrences(of: "/forums/{id}/nominations", with: "/forums/\(conference)/nominations")
                    .replacingOccurrences(of: "/forums/{id}/registrations", with: "/forums/\(conference)/registrations")
                    .replacingOccurrences(of: "/nominations/{id}", with: "/nominations/\(theirNomination.id)")
                    .replacingOccurrences(of: "/invitations/{id}", with: "/invitations/\(theirInvitation.id)")
                    .replacingOccurrences(of: "/registrations/{id}", with: "/registrations/\(theirRegistration.id)")
                    .replacingOccurrences(of: "/networks/{id}", with: "/networks/\(theirNetwork)")
                    .replacingOccurrences(of: "/organisations/{id}", with: "/organisations/\(theirOrganisation)")
                    .replacingOccurrences(of: "/people/{id}", with: "/people/\(theirPerson)")
                    .replacingOccurrences(of: "{organisation}", with: theirOrganisation.uuidString)
                    .replacingOccurrences(of: "{id}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{nomination}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{token}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{code}", with: "KE")
                let scopedCase = scoped[route]
                var expected: [Caller: HTTPResponse.Status] = [:]
                switch rule {
                case .everyone:
                    #expect(Self.publicWritingRoutes[route] != nil, "\(route) changes something and is open to everyone: say why in publicWritingRoutes")
                    continue
                case .authenticated:
                    expected[.anonymous] = .unauthorized
                case .roles(let roles):
                    expected[.anonymous] = .unauthorized
                    for (caller, grant) in grants where !grant.contains(where: { roles.contains($0.role) }) { expected[caller] = .forbidden }
                    if roles.contains(.network) {
                        let status = try #require(scopedCase?.focalPoint, "\(route) is open to focal points but not in scopedCases")
                        expected[.focalPoint] = status
                    }
                    if roles.contains(.organisation) {
                        let status = try #require(scopedCase?.contact, "\(route) is open to contacts but not in scopedCases")
                        expected[.contact] = status
                    }
                }
                for (caller, status) in expected {
                    var headers = tokens[caller]!
                    headers[.contentType] = "application/json"
                    let answer = try await client.execute(uri: path, method: method, headers: headers,
                                                          body: ByteBuffer(string: scopedCase?.body ?? "{}")) { $0.status }
                    #expect(answer == status, "\(caller) \(route)")
                }
            }
            // Nothing of theirs changed.
            #expect(try await versions() == versionsBefore)
            let membership = try await pool.query("""
                SELECT status FROM network_member WHERE network_id = \(theirNetwork) AND organisation_id = \(theirOrganisation)
                """)[0]
            #expect(try membership.decode("status", as: String.self) == "requested")
            let nominationAfter = try await NominationStore(pool: pool).nomination(theirNomination.id)
            #expect(nominationAfter?.version == theirNomination.version && nominationAfter?.withdrawn == false)
            let answered = try await pool.query("""
                SELECT (SELECT status FROM invitation WHERE id = \(theirInvitation.id)) AS invitation,
                       (SELECT status FROM registration WHERE id = \(theirRegistration.id)) AS registration
                """)[0]
            #expect(try answered.decode("invitation", as: String.self) == theirInvitation.status.rawValue)
            #expect(try answered.decode("registration", as: String.self) == theirRegistration.status.rawValue)
            let booking = try await WorkspaceStore(pool: pool).booking(theirBooking.id, within: nil)
            #expect(booking?.status == .booked && booking?.version == theirBooking.version)
            let bookings = try await pool.query("SELECT count(*)::int AS n FROM workspace_booking")[0].decode("n", as: Int.self)
            #expect(bookings == 1)
        }
    }

    @Test func theAuditLogShowsEverythingToTheSecretariatAndOnlyPublicEntriesToOthers() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            try await pool.withTransaction { connection in
                try await AuditLog.record(AuditChange(action: "selection.decide", objectType: "forum", objectID: "f1", isPublic: true),
                                          by: .commandLine, requestID: nil, on: connection)
            }
            struct Entries: Decodable { struct Entry: Decodable { var action: String }; var items: [Entry] }
            let everyone = try await client.execute(uri: "/audit", method: .get) { try JSONDecoder().decode(Entries.self, from: Data(buffer: $0.body)) }
            #expect(everyone.items.map(\.action) == ["selection.decide"])
            let all = try await client.execute(uri: "/audit?objectType=account", method: .get, headers: secretariat.authorization) {
                try JSONDecoder().decode(Entries.self, from: Data(buffer: $0.body))
            }
            #expect(all.items.map(\.action).contains("account.create"))
            #expect(!all.items.map(\.action).contains("selection.decide"))
            try await client.execute(uri: "/audit?since=yesterday", method: .get, headers: secretariat.authorization) { #expect($0.status == .badRequest) }
        }
    }
}
