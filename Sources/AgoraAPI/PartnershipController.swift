import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Partnerships: the secretariat records partner organisations with their roles and the
/// commitments they make, and keeps each commitment's status and evidence current. Everyone
/// reads them once the partnership is announced.
struct PartnershipController {
    let store: PartnershipStore
    let forums: ForumStore
    let idempotency: Idempotency

    func addRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")
        let commitments = routes.group("/commitments")

        forumRoutes.get(":id/partners", rule: .everyone) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            return try APIJSON.response(Page(items: try await store.partners(of: forum.id), next: nil))
        }

        forumRoutes.post(":id/partners", rule: .roles([.secretariat])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["organisation", "role"])
            return try await idempotency.run(request, body: body, context: context, answer: { (outcome: Partner) in
                try JSONAnswer(outcome, status: .created)
            }) {
                var reader = reader
                let organisation = reader.uuid("organisation", required: true)
                let role = reader.string("role", required: true)
                try reader.check()
                return try await store.addPartner(organisation!, role: role!, to: forum, by: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/commitments", rule: .everyone) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            return try APIJSON.response(Page(items: try await store.commitments(of: forum.id), next: nil))
        }

        forumRoutes.post(":id/commitments", rule: .roles([.secretariat])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["organisation", "deliverable", "due", "status", "evidence"])
            return try await idempotency.run(request, body: body, context: context, answer: { (commitment: Commitment) in
                return try JSONAnswer(commitment, status: .created, headers: [
                    .location: "/commitments/\(commitment.id.uuidString)", .eTag: EntityTag.header(version: commitment.version),
                ])
            }) {
                var reader = reader
                var fields = Self.readCommitment(&reader)
                fields.organisation = reader.uuid("organisation", required: true)
                if fields.deliverable == nil, !reader.has("deliverable") { reader.errors.append(.init(field: "deliverable", message: "is required")) }
                if fields.due == nil, !reader.has("due") { reader.errors.append(.init(field: "due", message: "is required")) }
                try reader.check()
                return try await store.addCommitment(fields, to: forum, by: context.actor, requestID: context.requestID)
            }
        }

        commitments.get(":id", rule: .everyone) { _, context in
            guard let commitment = try await store.commitment(try context.pathID()) else { throw Refusal.notFound() }
            _ = try await forums.visibleForum(commitment.forum, to: context.actor)
            return try APIJSON.response(commitment, headers: [.eTag: EntityTag.header(version: commitment.version)])
        }

        commitments.patch(":id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            let expected = try EntityTag.expectedVersion(request)
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["deliverable", "due", "status", "evidence"])
            let fields = Self.readCommitment(&reader)
            try reader.check()
            let commitment = try await store.updateCommitment(id, fields, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            return try APIJSON.response(commitment, headers: [.eTag: EntityTag.header(version: commitment.version)])
        }
    }

    /// The fields of a commitment present in the body (`organisation` is read by the caller).
    static func readCommitment(_ reader: inout FieldReader) -> PartnershipStore.CommitmentFields {
        reader.refuseNulls(["deliverable", "due", "status"])
        var fields = PartnershipStore.CommitmentFields()
        fields.deliverable = reader.string("deliverable", maxLength: 2_000)
        if reader.has("due") && reader.fields["due"] != .null { fields.due = reader.requiredDate("due") }
        fields.status = reader.choice("status", as: CommitmentStatus.self)
        if let evidence = reader.clearableString("evidence", maxLength: 2_000) {
            if let link = evidence, link.range(of: "^https?://\\S+$", options: .regularExpression) == nil {
                reader.errors.append(.init(field: "evidence", message: "must be an http(s) link"))
            }
            fields.evidence = .some(evidence)
        }
        return fields
    }

}
