import Agora
import AgoraStore
import Foundation
import PostgresClient

/// The demo's speaker selection: the review hearing after the course correction, with forty
/// nominations from eight networks of six constituencies, a slate chosen by the solver and
/// approved by the bureau, so `make run` shows a real selection; then its agenda (`AgendaDemo`).
public struct SelectionDemo {
    /// How many networks (each with one member organisation) the selection demo adds.
    public static var networkCount: Int { networks.count }

    let pool: PostgresConnectionPool
    let actor = Actor.commandLine


    static let networks: [(name: String, constituency: String, countries: [String])] = [
        ("Urban Poor Federation", "ngo", ["KE", "IN", "BR"]),
        ("Water Justice Alliance", "ngo", ["DE", "ZA", "PH"]),
        ("Women for Water", "women", ["NE", "PE", "BD"]),
        ("Feminist Cities Network", "women", ["FR", "MX", "GH"]),
        ("Youth Water Corps", "children_youth", ["FJ", "NG", "CA"]),
        ("Kiosk Operators' Union", "workers_trade_unions", ["KE", "UG", "TZ"]),
        ("Mayors for Water", "local_authorities", ["ES", "CO", "ID"]),
        ("Hydrology Institutes Network", "academia_science", ["NL", "IN", "EG"]),
    ]
    static let womensNames = ["Achieng", "Camila", "Esi", "Grace", "Imani", "Kavya", "Mariam", "Olena", "Rania", "Tala"]
    static let mensNames = ["Bilal", "Dawit", "Farid", "Hiroshi", "Jonas", "Luis", "Nuno", "Pedro", "Samuel", "Tomás"]
    static let otherNames = ["Alex", "Kim", "Sam", "Robin"]
    static let familyNames = ["Otieno", "Haddad", "Rojas", "Bekele", "Mensah", "Rahimi", "Mwangi", "Sato", "Njeri", "Berg",
                              "Iyer", "Quispe", "Diallo", "Silva", "Kovalenko", "Alves", "Wei", "Nasser", "Okafor", "Fifita"]

    /// The bureau of the body the demo issue reports to, which approves the slate.
    static let councilBureau = Actor(accountID: nil, tokenName: "demo bureau", grants: [.bureau("Economic and Social Council")])

    /// Creates the hearing, the networks' nominations, and an approved slate.
    func run(issue: UUID) async throws {
        let forum = try await hearing(of: issue)
        try await nominate(for: forum)
        let forums = ForumStore(pool: pool)
        _ = try await forums.changeStatus(forum, to: .nominationsClosed, by: actor, requestID: "demo")
        let selection = SelectionStore(pool: pool)
        let slate = try await selection.run(forum, rules: .defaults(for: .hearing), actor: actor, requestID: "demo")
        _ = try await selection.review(slate.id, approve: true, comment: "Balanced across constituencies and regions.",
                                       actor: Self.councilBureau, requestID: "demo")
        // The first speaker has already confirmed.
        if let first = slate.speakers.first {
            _ = try await selection.answer(slate.id, nomination: first.nomination, confirm: true, within: nil, actor: actor, requestID: "demo")
        }
        try await AgendaDemo(pool: pool).run(hearing: forum)
        try await WorkspaceDemo(pool: pool).run(hearing: forum)
    }

    func hearing(of issue: UUID) async throws -> UUID {
        let venue = Forum.Venue(name: "Palais des Nations", city: "Geneva", country: "CH", timeZone: "Europe/Zurich")
        let forum = Forum(
            id: UUID(), issue: issue, kind: .hearing, title: "Review hearing: paying kiosk operators",
            venue: venue, startsAt: try VenueTime.instant(date: "2027-04-20", time: "10:00", timeZone: venue.timeZone),
            endsAt: try VenueTime.instant(date: "2027-04-21", time: "13:00", timeZone: venue.timeZone),
            nominationsDeadline: try VenueTime.instant(date: "2027-03-26", time: "17:00", timeZone: venue.timeZone),
            speakingSlots: 10, speakingMinutes: 90, participantCap: nil, chair: "Vice-President of the Economic and Social Council",
            status: .draft, version: 1)
        let store = ForumStore(pool: pool)
        guard let created = try await store.create(forum, by: actor, requestID: "demo") else { throw DemoData.Refused(description: "no issue") }
        for status in [ForumStatus.announced, .nominationsOpen] {
            _ = try await store.changeStatus(created.id, to: status, by: actor, requestID: "demo")
        }
        return created.id
    }

    /// Each network nominates five people of its member organisation, ranked 1 to 5.
    func nominate(for forum: UUID) async throws {
        let nominations = NominationStore(pool: pool)
        var person = 0
        for (index, network) in Self.networks.enumerated() {
            let networkID = try await pool.query("""
                INSERT INTO network (name, constituency, description) VALUES (\(network.name), \(network.constituency), 'Demo network.') RETURNING id
                """)[0].decode("id", as: UUID.self)
            let organisation = try await pool.query("""
                INSERT INTO organisation (name, country, constituency) VALUES (\(network.name + " secretariat"), \(network.countries[0]), \(network.constituency))
                RETURNING id
                """)[0].decode("id", as: UUID.self)
            try await pool.query("INSERT INTO network_member (network_id, organisation_id, status, accepted_at) VALUES (\(networkID), \(organisation), 'accepted', now())")
            for rank in 1...5 {
                let gender = person % 5 == 4 ? nil : (person % 2 == 0 ? "woman" : "man")
                let given = gender == "woman" ? Self.womensNames[(person / 2) % 10] : gender == "man" ? Self.mensNames[(person / 2) % 10] : Self.otherNames[(person / 5) % 4]
                let name = "\(given) \(Self.familyNames[(person * 7 + index) % 20])"
                let personID = try await pool.query("""
                    INSERT INTO person (name, organisation_id, country, gender) VALUES (\(name), \(organisation), \(network.countries[rank % 3]), \(gender))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                person += 1
                _ = try await nominations.nominate(
                    personID, for: forum, by: networkID, rank: rank, statement: "Works on water access in informal settlements.",
                    within: nil, now: Date(timeIntervalSince1970: 1_790_000_000), actor: actor, requestID: "demo")
            }
        }
    }
}
