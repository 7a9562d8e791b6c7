import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/organisations`: public to read; the secretariat creates and edits them; an organisation's
/// own contacts may rename it (other fields are the secretariat's).
struct OrganisationController {
    let store: OrganisationStore
    let idempotency: Idempotency

    static let creatableFields: Set<String> = ["name", "country", "constituency", "accreditation", "accreditedOn"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let organisations = routes.group("/organisations")

        organisations.get("", rule: .everyone) { request, _ in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: NamePosition.self) }
            let query = request.uri.queryParameters
            let found = try await store.list(limit: page.limit + 1, after: after,
                                             country: query["country"].map(String.init), constituency: query["constituency"].map(String.init))
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { NamePosition(name: $0.name, id: $0.id) })
        }

        organisations.get(":id", rule: .everyone) { _, context in
            let organisation = try await Self.find(store, context)
            return try APIJSON.response(organisation, headers: [.eTag: EntityTag.header(version: organisation.version)])
        }

        organisations.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.creatableFields)
            return try await idempotency.run(request, body: body, context: context, answer: { (organisation: Organisation) in
                try JSONAnswer(organisation, status: .created, headers: [
                    .location: "/organisations/\(organisation.id.uuidString)",
                    .eTag: EntityTag.header(version: organisation.version),
                ])
            }) {
                var reader = reader
                var fields = Organisation.Fields()
                fields.name = reader.string("name", required: true)
                fields.country = reader.string("country", required: true, maxLength: 2)
                fields.constituency = reader.string("constituency", required: true, maxLength: 40)
                fields.accreditation = reader.clearableString("accreditation")
                fields.accreditedOn = reader.date("accreditedOn")
                try reader.check()
                return try await store.create(fields, by: context.actor, requestID: context.requestID)
            }
        }

        organisations.patch(":id", rule: .roles([.secretariat, .organisation])) { request, context in
            let id = try context.pathID()
            // A contact of another organisation learns nothing about this one.
            guard context.actor.has(.secretariat) || context.actor.organisations.contains(id) else {
                throw Refusal.notFound()
            }
            let (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.creatableFields)
            try refuseFieldsOutsideScope(reader.fields.keys, allowed: Organisation.fieldsContactsMaySet, actor: context.actor)
            var fieldReader = reader
            var fields = Organisation.Fields()
            if reader.has("name") { fields.name = fieldReader.string("name", required: true) }
            if reader.has("country") { fields.country = fieldReader.string("country", required: true, maxLength: 2) }
            if reader.has("constituency") { fields.constituency = fieldReader.string("constituency", required: true, maxLength: 40) }
            fields.accreditation = fieldReader.clearableString("accreditation")
            fields.accreditedOn = fieldReader.date("accreditedOn")
            try fieldReader.check()
            let expected = try EntityTag.expectedVersion(request)
            let organisation = try await store.update(id, fields, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(organisation, version: organisation.version)
        }
    }

    static func find(_ store: OrganisationStore, _ context: AgoraRequestContext) async throws -> Organisation {
        guard let organisation = try await store.organisation(try context.pathID()) else { throw Refusal.notFound() }
        return organisation
    }
}
