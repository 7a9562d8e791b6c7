import Agora
import AgoraStore
import Foundation
import PostgresClient

/// What `make run` shows a newcomer: a few constituencies' networks, organisations from
/// several regions, people, a secretariat account, and one policy issue that has gone through
/// its whole life cycle (`LifeCycleDemo`).
public enum DemoData {
    /// A demo step the stores refused: the demo no longer matches the rules.
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Loads the demo data into an empty directory and returns a new secretariat token's
    /// secret; returns nil (and changes nothing) when the database already has accounts.
    public static func loadIfEmpty(pool: PostgresConnectionPool) async throws -> String? {
        let accounts = try await pool.query("SELECT count(*)::int AS n FROM account")[0].decode("n", as: Int.self)
        guard accounts == 0 else { return nil }
        let actor = Actor.commandLine
        let organisations = OrganisationStore(pool: pool)
        let networks = NetworkStore(pool: pool)
        let people = PersonStore(pool: pool)

        func network(_ name: String, _ constituency: String, _ description: String, _ website: String) async throws -> UUID {
            var fields = Network.Fields()
            fields.name = name
            fields.constituency = constituency
            fields.description = description
            fields.website = .some(website)
            return try await networks.create(fields, by: actor, requestID: "demo").id
        }
        func organisation(_ name: String, _ country: String, _ constituency: String, accredited: String? = nil, member of: UUID) async throws -> UUID {
            var fields = Organisation.Fields()
            fields.name = name
            fields.country = country
            fields.constituency = constituency
            if let accredited {
                fields.accreditation = .some("ECOSOC consultative status (special)")
                fields.accreditedOn = .some(accredited)
            }
            let id = try await organisations.create(fields, by: actor, requestID: "demo").id
            _ = try await networks.addMember(id, to: of, by: actor, requestID: "demo")
            return id
        }
        func person(_ name: String, _ organisation: UUID, _ country: String, _ languages: [String], _ gender: String?) async throws -> UUID {
            var fields = Person.Fields()
            fields.name = name
            fields.organisation = .some(organisation)
            fields.country = country
            fields.languages = languages
            fields.gender = .some(gender)
            return try await people.create(fields, by: actor, requestID: "demo").id
        }

        let women = try await network("Women's Major Group", "women", "Feminist and women's organisations working on sustainable development.", "https://www.womensmajorgroup.org")
        let youth = try await network("Global Youth Climate Network", "children_youth", "Youth-led organisations on climate policy.", "https://example.org/gycn")
        let farmers = try await network("Smallholder Farmers Alliance", "farmers", "Farmers' organisations from the global South.", "https://example.org/sfa")

        let sahel = try await organisation("Réseau des femmes du Sahel", "NE", "women", accredited: "2016-07-25", member: women)
        let andes = try await organisation("Mujeres Andinas", "PE", "women", member: women)
        let pacific = try await organisation("Pacific Youth Climate Forum", "FJ", "children_youth", member: youth)
        let berlin = try await organisation("Jugend für Klima", "DE", "children_youth", accredited: "2019-04-02", member: youth)
        let kerala = try await organisation("Kerala Farmers' Collective", "IN", "farmers", member: farmers)
        let kenya = try await organisation("Rift Valley Growers", "KE", "farmers", accredited: "2012-10-01", member: farmers)

        let aichatou = try await person("Aïchatou Maïga", sahel, "NE", ["fr", "ha"], "woman")
        let rosa = try await person("Rosa Quispe", andes, "PE", ["es", "qu"], "woman")
        let sione = try await person("Sione Tupou", pacific, "FJ", ["en", "fj"], "man")
        _ = try await person("Lena Hoffmann", berlin, "DE", ["de", "en"], nil)
        let anil = try await person("Anil Menon", kerala, "IN", ["ml", "en"], "man")
        let wanjiru = try await person("Wanjiru Kamau", kenya, "KE", ["sw", "en"], "woman")

        try await LifeCycleDemo(pool: pool).run(
            invited: [wanjiru, aichatou, anil], registered: [aichatou, rosa, sione],
            partners: [(kenya, "lead implementer"), (kerala, "peer learning on farm water")])

        let access = AccessStore(pool: pool)
        let secretariat = try await access.createAccount(name: "Demo secretariat", grants: [RoleGrant(.secretariat)], by: actor, requestID: "demo")
        return try await access.issueToken(account: secretariat, name: "make run", by: actor, requestID: "demo").secret
    }
}
