import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Nominations: a network's focal points nominate people for a forum while nominations are
/// open, re-rank and withdraw until the deadline. Before the deadline a network sees its own
/// nominations (the secretariat and the bureau all); after it, the list is public without
/// statements or contact data.
struct NominationController {
    let store: NominationStore
    let forums: ForumStore
    let idempotency: Idempotency

    /// A nomination as the public reads it once the list is public.
    struct PublicNomination: Encodable {
        var id: UUID
        var name: String
        var organisation: String?
        var country: String
        var network: String
        var constituency: String
        var rank: Int

        init(_ nomination: Nomination) {
            id = nomination.id
            name = nomination.name
            organisation = nomination.organisationName
            country = nomination.country
            network = nomination.networkName
            constituency = nomination.constituency
            rank = nomination.rank
        }
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")
        let nominations = routes.group("/nominations")

        forumRoutes.post(":id/nominations", rule: .roles([.network])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["network", "person", "rank", "statement"])
            return try await idempotency.run(request, body: body, context: context, answer: { (nomination: Nomination) in
                return try JSONAnswer(nomination, status: .created, headers: [
                    .location: "/nominations/\(nomination.id.uuidString)", .eTag: EntityTag.header(version: nomination.version),
                ])
            }) {
                var reader = reader
                let network = reader.uuid("network", required: true)
                let person = reader.uuid("person", required: true)
                let rank = reader.integer("rank", in: Self.ranks, required: true)
                let statement = reader.string("statement", required: true, maxLength: Nomination.statementLimit)
                try reader.check()
                return try await store.nominate(person!, for: forum, by: network!, rank: rank!, statement: statement!, within: context.actor.networks,
                                             actor: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/nominations", rule: .everyone) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let isPublic = NominationWindow.isPublic(status: forum.status, deadline: forum.nominationsDeadline, now: Date())
            switch Visibility.nominationList(isPublic: isPublic, issueReportsTo: forum.issueReportsTo, viewer: context.actor) {
            case .all:
                return try APIJSON.response(Page(items: try await store.nominations(of: forum.id, within: nil), next: nil))
            case .publicList:
                let all = try await store.nominations(of: forum.id, within: nil)
                return try APIJSON.response(Page(items: all.map(PublicNomination.init), next: nil))
            case .own(let networks):
                // Before the deadline: a network sees its own nominations only.
                return try APIJSON.response(Page(items: try await store.nominations(of: forum.id, within: networks), next: nil))
            }
        }

        nominations.patch(":id", rule: .roles([.network])) { request, context in
            let id = try context.pathID()
            let expected = try EntityTag.expectedVersion(request)
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["rank", "statement"])
            reader.refuseNulls(["rank", "statement"])
            let rank = reader.integer("rank", in: Self.ranks)
            let statement = reader.string("statement", maxLength: Nomination.statementLimit)
            try reader.check()
            let nomination = try await store.update(id, rank: rank, statement: statement, expectedVersion: expected, within: context.actor.networks,
                                       actor: context.actor, requestID: context.requestID)
            return try APIJSON.response(nomination, headers: [.eTag: EntityTag.header(version: nomination.version)])
        }

        nominations.post(":id/withdrawal", rule: .roles([.network])) { _, context in
            let outcome = try await store.withdraw(try context.pathID(), within: context.actor.networks, actor: context.actor, requestID: context.requestID)
            return try APIJSON.response(outcome)
        }

        forumRoutes.put(":id/committee", rule: .roles([.secretariat])) { request, context in
            let forum = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["accounts"])
            var accounts: [UUID] = []
            if case .array(let items)? = reader.fields["accounts"], items.count <= 100,
               case let ids = items.compactMap({ item -> UUID? in if case .string(let text) = item { return UUID(uuidString: text) }; return nil }),
               ids.count == items.count {
                accounts = ids
            } else {
                reader.errors.append(.init(field: "accounts", message: "must be a list of account ids"))
            }
            try reader.check()
            guard let committee = try await store.setCommittee(accounts, of: forum, actor: context.actor, requestID: context.requestID) else { throw Refusal.notFound() }
            return try APIJSON.response(["accounts": committee])
        }
    }

    /// 1 is the network's first choice; the database allows up to 25.
    static let ranks = 1...25

}
