import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Who takes part: the secretariat invites people to round tables and the people's
/// organisations answer for them; organisations register their people for the other kinds
/// and the secretariat approves. Lists name people, so they are for the secretariat, the
/// bureau, and an organisation for its own people.
struct ParticipationController {
    let store: ParticipationStore
    let forums: ForumStore
    let idempotency: Idempotency

    func addRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")

        forumRoutes.post(":id/invitations", rule: .roles([.secretariat])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["person"])
            return try await idempotency.run(request, body: body, context: context, answer: { (invitation: Invitation) in
                return try JSONAnswer(invitation, status: .created, headers: [.location: "/invitations/\(invitation.id.uuidString)"])
            }) {
                var reader = reader
                let person = reader.uuid("person", required: true)
                try reader.check()
                return try await store.invite(person!, to: forum, by: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/invitations", rule: .roles([.secretariat, .bureau, .organisation])) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let invitations = try await store.invitations(of: forum.id, within: Visibility.participantScope(context.actor, issueReportsTo: forum.issueReportsTo))
            return try APIJSON.response(Page(items: invitations, next: nil))
        }

        routes.post("/invitations/:id/answer", rule: .roles([.secretariat, .organisation])) { request, context in
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["answer"])
            let answer = reader.string("answer", required: true, maxLength: 10)
            if let answer, !["accept", "decline"].contains(answer) {
                reader.errors.append(.init(field: "answer", message: "must be accept or decline"))
            }
            try reader.check()
            let outcome = try await store.answer(try context.pathID(), accept: answer == "accept", within: Self.scope(context.actor),
                                                 by: context.actor, requestID: context.requestID)
            return try APIJSON.response(outcome)
        }

        forumRoutes.post(":id/registrations", rule: .roles([.secretariat, .organisation])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["person"])
            return try await idempotency.run(request, body: body, context: context, answer: { (registration: Registration) in
                return try JSONAnswer(registration, status: .created, headers: [.location: "/registrations/\(registration.id.uuidString)"])
            }) {
                var reader = reader
                let person = reader.uuid("person", required: true)
                try reader.check()
                return try await store.register(person!, for: forum, within: Self.scope(context.actor), by: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/registrations", rule: .roles([.secretariat, .bureau, .organisation])) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let registrations = try await store.registrations(of: forum.id, within: Visibility.participantScope(context.actor, issueReportsTo: forum.issueReportsTo))
            return try APIJSON.response(Page(items: registrations, next: nil))
        }

        routes.post("/registrations/:id/approval", rule: .roles([.secretariat])) { _, context in
            try APIJSON.response((try await store.approve(try context.pathID(), by: context.actor, requestID: context.requestID)))
        }
    }

    /// Whose people the caller acts for: nil (everyone's) for the secretariat, otherwise its organisations.
    static func scope(_ actor: Actor) -> Set<UUID>? {
        actor.has(.secretariat) ? nil : actor.organisations
    }

}
