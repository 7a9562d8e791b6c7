import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Speaker selection over HTTP: the secretariat previews and runs the solver and may override
/// places with a public justification; the bureau approves or returns the slate; chosen
/// speakers (through their network's focal point) confirm or decline. Everyone reads an
/// approved slate with its balance figures, relaxed rules, overrides and the decision on every
/// nomination.
struct SelectionController {
    let store: SelectionStore
    let forums: ForumStore
    let idempotency: Idempotency

    /// A slate as the API shows it: the slate, its balance, and whether the rules still hold.
    struct SlateView: Encodable {
        var slate: Slate
        let balance: Slate.Balance
        let rulesHold: Bool

        /// A speaker's gender is personal data: the secretariat and the bureau see it, a network
        /// its own speakers'; everyone sees the balance's counts, worked out before it is hidden.
        init(_ slate: Slate, for actor: Actor) {
            balance = slate.balance
            rulesHold = slate.rulesHold
            var shown = slate
            for index in shown.speakers.indices where !Visibility.seesSpeakerGender(network: shown.speakers[index].network, issueReportsTo: slate.issueReportsTo, viewer: actor) {
                shown.speakers[index].gender = nil
            }
            self.slate = shown
        }

        func encode(to encoder: any Encoder) throws {
            try slate.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(balance, forKey: .balance)
            try container.encode(rulesHold, forKey: .rulesHold)
            try container.encode(slate.speakers.filter { $0.overrideJustification != nil }.map {
                ["place": "\($0.place)", "nomination": $0.nomination.uuidString, "justification": $0.overrideJustification ?? ""]
            }, forKey: .overrides)
        }

        enum Key: String, CodingKey { case balance, rulesHold, overrides }
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")
        let slates = routes.group("/slates")

        forumRoutes.post(":id/selection/preview", rule: .roles([.secretariat])) { request, context in
            guard let forum = try await forums.forum(try context.pathID()) else { throw Refusal.notFound() }
            let (rules, _) = try await Self.readRules(request, context: context, over: .defaults(for: forum.kind))
            guard let (result, applied) = try await Self.solving({ try await store.preview(forum.id, rules: rules) }) else { throw Refusal.notFound() }
            return try APIJSON.response(Preview(result: result, appliedRules: applied))
        }

        forumRoutes.post(":id/selection", rule: .roles([.secretariat])) { request, context in
            guard let forum = try await forums.forum(try context.pathID()) else { throw Refusal.notFound() }
            let (rules, body) = try await Self.readRules(request, context: context, over: .defaults(for: forum.kind))
            let actor = context.actor
            return try await idempotency.run(request, body: body, context: context, answer: { (slate: Slate) in
                return try JSONAnswer(SlateView(slate, for: actor), status: .created, headers: [.location: "/slates/\(slate.id.uuidString)"])
            }) {
                try await store.run(forum.id, rules: rules, actor: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/slate", rule: .everyone) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            guard let slate = try await store.latest(of: forum.id, approvedOnly: !Visibility.seesUnpublished(context.actor, issueReportsTo: forum.issueReportsTo)) else {
                throw Refusal.notFound("This forum has no approved slate yet.")
            }
            return try APIJSON.response(SlateView(slate, for: context.actor))
        }

        slates.get(":id", rule: .everyone) { _, context in
            guard let slate = try await store.slate(try context.pathID()), Visibility.seesSlate(status: slate.status, issueReportsTo: slate.issueReportsTo, viewer: context.actor) else {
                throw Refusal.notFound()
            }
            return try APIJSON.response(SlateView(slate, for: context.actor))
        }

        slates.post(":id/overrides", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["out", "in", "justification"])
            let outgoing = reader.uuid("out", required: true)
            let incoming = reader.uuid("in", required: true)
            let justification = reader.string("justification", required: true, maxLength: 2_000)
            try reader.check()
            let outcome = try await store.override(id, outgoing: outgoing!, incoming: incoming!, justification: justification!,
                                         actor: context.actor, requestID: context.requestID)
            return try APIJSON.response(SlateView((outcome), for: context.actor))
        }

        slates.post(":id/review", rule: .roles([.bureau])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["decision", "comment"])
            let decision = reader.string("decision", required: true, maxLength: 10)
            if let decision, !["approve", "return"].contains(decision) {
                reader.errors.append(.init(field: "decision", message: "must be approve or return"))
            }
            let comment = reader.string("comment", maxLength: 5_000)
            if decision == "return" && comment == nil {
                reader.errors.append(.init(field: "comment", message: "returning a slate needs a comment"))
            }
            try reader.check()
            let outcome = try await store.review(id, approve: decision == "approve", comment: comment, actor: context.actor, requestID: context.requestID)
            return try APIJSON.response(SlateView((outcome), for: context.actor))
        }

        slates.post(":id/speakers/:nomination/answer", rule: .roles([.secretariat, .network])) { request, context in
            let id = try context.pathID()
            let nomination = try context.pathID("nomination")
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["answer"])
            let answer = reader.string("answer", required: true, maxLength: 10)
            if let answer, !["confirm", "decline"].contains(answer) {
                reader.errors.append(.init(field: "answer", message: "must be confirm or decline"))
            }
            try reader.check()
            let scope = context.actor.has(.secretariat) ? nil : context.actor.networks
            let outcome = try await store.answer(id, nomination: nomination, confirm: answer == "confirm", within: scope,
                                                 actor: context.actor, requestID: context.requestID)
            return try APIJSON.response(SlateView((outcome), for: context.actor))
        }
    }

    struct Preview: Encodable {
        var result: SelectionResult
        var appliedRules: AppliedRules
    }

    /// The forum kind's default rules with the body's `rules` laid over them (all fields
    /// optional; no body at all means the defaults), and the body as read.
    static func readRules(_ request: Request, context: AgoraRequestContext,
                          over defaults: SelectionInstance.Rules) async throws -> (SelectionInstance.Rules, Data) {
        let body = try await FieldReader.body(request, context: context)
        guard !body.isEmpty, let value = try FieldReader.parse(body, accepted: ["rules"]).fields["rules"] else { return (defaults, body) }
        guard case .object(let fields) = value else { throw Refusal.invalid([.init(field: "rules", message: "must be an object")]) }
        let known: Set<String> = ["maxPerNetwork", "minConstituencies", "maxConstituencyShare", "minDevelopingShare", "genderBalance"]
        var reader = FieldReader(fields: fields)
        for unknown in Set(fields.keys).subtracting(known).sorted() {
            reader.errors.append(.init(field: unknown, message: "is not a rule; rules are " + known.sorted().joined(separator: ", ")))
        }
        var rules = defaults
        rules.maxPerNetwork = reader.integer("maxPerNetwork", in: 1...10) ?? rules.maxPerNetwork
        rules.minConstituencies = reader.integer("minConstituencies", in: 0...100) ?? rules.minConstituencies
        rules.maxConstituencyShare = reader.number("maxConstituencyShare", in: 0...1) ?? rules.maxConstituencyShare
        rules.minDevelopingShare = reader.number("minDevelopingShare", in: 0...1) ?? rules.minDevelopingShare
        rules.genderBalance = reader.bool("genderBalance") ?? rules.genderBalance
        guard reader.errors.isEmpty else {
            throw Refusal.invalid(reader.errors.map { .init(field: "rules.\($0.field)", message: $0.message) })
        }
        return (rules, body)
    }

    static func solving<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as SelectionInstanceError {
            throw Refusal(.cannotSelect, error.description)
        }
    }

}
