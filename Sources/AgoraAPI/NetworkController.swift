import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/networks`: public to read; the secretariat creates them; a network's focal points edit
/// its description and website and manage its members.
struct NetworkController {
    let store: NetworkStore
    let idempotency: Idempotency

    static let creatableFields: Set<String> = ["name", "constituency", "description", "website"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let networks = routes.group("/networks")

        networks.get("", rule: .everyone) { request, _ in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: NamePosition.self) }
            let found = try await store.list(limit: page.limit + 1, after: after,
                                             constituency: request.uri.queryParameters["constituency"].map(String.init))
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { NamePosition(name: $0.name, id: $0.id) })
        }

        networks.get(":id", rule: .everyone) { _, context in
            guard let network = try await store.network(try context.pathID()) else { throw Refusal.notFound() }
            return try APIJSON.response(network, headers: [.eTag: EntityTag.header(version: network.version)])
        }

        networks.get(":id/members", rule: .everyone) { request, context in
            let id = try context.pathID()
            guard try await store.network(id) != nil else { throw Refusal.notFound() }
            return try APIJSON.response(try Page(slicing: try await store.members(of: id), try PageRequest(request), key: \.id.uuidString))
        }

        networks.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.creatableFields)
            return try await idempotency.run(request, body: body, context: context, answer: { (network: Network) in
                try JSONAnswer(network, status: .created, headers: [
                    .location: "/networks/\(network.id.uuidString)",
                    .eTag: EntityTag.header(version: network.version),
                ])
            }) {
                var reader = reader
                var fields = Network.Fields()
                fields.name = reader.string("name", required: true)
                fields.constituency = reader.string("constituency", required: true, maxLength: 40)
                fields.description = reader.string("description", maxLength: 5000)
                fields.website = Self.website(&reader)
                try reader.check()
                return try await store.create(fields, by: context.actor, requestID: context.requestID)
            }
        }

        networks.patch(":id", rule: .roles([.secretariat, .network])) { request, context in
            let id = try Self.ownNetwork(context)
            let (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.creatableFields)
            try refuseFieldsOutsideScope(reader.fields.keys, allowed: Network.fieldsFocalPointsMaySet, actor: context.actor)
            var fieldReader = reader
            var fields = Network.Fields()
            if reader.has("name") { fields.name = fieldReader.string("name", required: true) }
            if reader.has("constituency") { fields.constituency = fieldReader.string("constituency", required: true, maxLength: 40) }
            if reader.has("description") { fields.description = fieldReader.string("description", maxLength: 5000) ?? "" }
            fields.website = Self.website(&fieldReader)
            try fieldReader.check()
            let expected = try EntityTag.expectedVersion(request)
            let outcome = try await store.update(id, fields, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(outcome, version: outcome.version)
        }

        // Membership is by consent: a focal point asks, the organisation's contact (or the
        // secretariat) accepts; the secretariat's own PUT admits at once (DESIGN §2).
        networks.put(":id/members/:organisation", rule: .roles([.secretariat, .network])) { _, context in
            let id = try Self.ownNetwork(context)
            let organisation = try context.pathID("organisation")
            let membership = try await store.addMember(organisation, to: id, by: context.actor, requestID: context.requestID)
            return try APIJSON.response(membership, status: membership.status == .requested ? .accepted : .ok)
        }

        networks.post(":id/members/:organisation/acceptance", rule: .roles([.secretariat, .organisation])) { _, context in
            let scope = context.actor.has(.secretariat) ? nil : context.actor.organisations
            let outcome = try await store.acceptMembership(try context.pathID("organisation"), into: try context.pathID(), within: scope,
                                                           by: context.actor, requestID: context.requestID)
            return try APIJSON.response(outcome)
        }

        // Either side ends a membership (or withdraws or declines a request).
        networks.delete(":id/members/:organisation", rule: .roles([.secretariat, .network, .organisation])) { _, context in
            let id = try context.pathID()
            let organisation = try context.pathID("organisation")
            let actor = context.actor
            guard actor.has(.secretariat) || actor.networks.contains(id) || actor.organisations.contains(organisation),
                  try await store.removeMember(organisation, from: id, by: actor, requestID: context.requestID)
            else { throw Refusal.notFound() }
            return Response(status: .noContent)
        }

        // What waits for an answer: all requests for the secretariat, else those of the caller's
        // networks (asked) and organisations (to answer).
        routes.get("/membership-requests", rule: .authenticated) { request, context in
            let actor = context.actor
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: MembershipRequestPosition.self) }
            let everyone = actor.has(.secretariat)
            let requests = try await store.membershipRequests(networks: everyone ? nil : actor.networks, organisations: everyone ? nil : actor.organisations,
                                                              limit: page.limit + 1, after: after)
            return try APIJSON.response(Page(fetched: requests, limit: page.limit) {
                MembershipRequestPosition(requestedAt: $0.requestedAt ?? .distantPast, network: $0.network, organisation: $0.organisation)
            })
        }
    }


    /// The network of the path, if the caller is the secretariat or one of its focal points;
    /// another network's focal point gets 404.
    static func ownNetwork(_ context: AgoraRequestContext) throws -> UUID {
        let id = try context.pathID()
        guard context.actor.has(.secretariat) || context.actor.networks.contains(id) else { throw Refusal.notFound() }
        return id
    }

    static func website(_ reader: inout FieldReader) -> String?? {
        guard let value = reader.clearableString("website", maxLength: 500) else { return nil }
        if let url = value, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            reader.errors.append(.init(field: "website", message: "must be an http(s) address"))
            return nil
        }
        return value
    }
}
