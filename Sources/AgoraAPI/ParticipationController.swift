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
        let store = store
        let forums = forums
        let idempotency = idempotency

        routes.post("/forums/:id/invitations", rule: .roles([.secretariat])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["person"])
            return try await idempotency.run(request, body: body, context: context, answer: { (outcome: ParticipationOutcome<Invitation>) in
                let invitation = try Self.answer(outcome)
                return try JSONAnswer(invitation, status: .created, headers: [.location: "/invitations/\(invitation.id.uuidString)"])
            }) {
                var reader = reader
                let person = reader.uuid("person", required: true)
                try reader.check()
                return try await store.invite(person!, to: forum, by: context.actor, requestID: context.requestID)
            }
        }

        routes.get("/forums/:id/invitations", rule: .roles([.secretariat, .bureau, .organisation])) { _, context in
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
            return try APIJSON.response(try Self.answer(outcome))
        }

        routes.post("/forums/:id/registrations", rule: .roles([.secretariat, .organisation])) { request, context in
            let forum = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["person"])
            return try await idempotency.run(request, body: body, context: context, answer: { (outcome: ParticipationOutcome<Registration>) in
                let registration = try Self.answer(outcome)
                return try JSONAnswer(registration, status: .created, headers: [.location: "/registrations/\(registration.id.uuidString)"])
            }) {
                var reader = reader
                let person = reader.uuid("person", required: true)
                try reader.check()
                return try await store.register(person!, for: forum, within: Self.scope(context.actor), by: context.actor, requestID: context.requestID)
            }
        }

        routes.get("/forums/:id/registrations", rule: .roles([.secretariat, .bureau, .organisation])) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let registrations = try await store.registrations(of: forum.id, within: Visibility.participantScope(context.actor, issueReportsTo: forum.issueReportsTo))
            return try APIJSON.response(Page(items: registrations, next: nil))
        }

        routes.post("/registrations/:id/approval", rule: .roles([.secretariat])) { _, context in
            try APIJSON.response(try Self.answer(try await store.approve(try context.pathID(), by: context.actor, requestID: context.requestID)))
        }
    }

    /// Whose people the caller acts for: nil (everyone's) for the secretariat, otherwise its organisations.
    static func scope(_ actor: Actor) -> Set<UUID>? {
        actor.has(.secretariat) ? nil : actor.organisations
    }

    /// The value, or the problem that explains the refusal.
    static func answer<Value>(_ outcome: ParticipationOutcome<Value>) throws -> Value {
        switch outcome {
        case .done(let value):
            return value
        case .notFound:
            throw Problem.notFound()
        case .unknownPerson:
            throw Problem.validation([.init(field: "person", message: "is not a known person of an organisation you act for")])
        case .wrongMode(let expected):
            throw Problem(type: "wrong-participation-mode", title: "Not how this forum takes participants", status: .conflict,
                          detail: expected == .invitation ? "A round table takes participants by invitation." : "This forum takes registrations from organisations; only round tables invite.")
        case .closed(let status):
            throw Problem(type: "participation-closed", title: "Not open to participants now", status: .conflict,
                          detail: "The forum is \(status.rawValue); invitations run until it is held, registrations from its announcement until it is held.")
        case .duplicate:
            throw Problem(type: "already-participating", title: "Already invited or registered", status: .conflict,
                          detail: "This person is already on the forum's list.")
        case .capReached(let cap):
            throw Problem(type: "participant-cap-reached", title: "The round table is full", status: .conflict,
                          detail: "All \(cap) places have been accepted.")
        }
    }
}
