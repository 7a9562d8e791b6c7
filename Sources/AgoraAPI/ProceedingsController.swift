import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// A hearing's proceedings as JSON and as a printable page, and their transmission to the
/// issue's intergovernmental body. The public reads proceedings once transmitted; the
/// secretariat and the bureau as soon as the hearing is concluded.
struct ProceedingsController {
    let store: ProceedingsStore

    func addRoutes(to routes: AccessControlledRoutes) {
        let forums = routes.group("/forums")

        forums.get(":id/proceedings", rule: .everyone) { _, context in
            try APIJSON.response(try await Self.readable(try context.pathID(), store: store, actor: context.actor))
        }

        forums.get(":id/proceedings.html", rule: .everyone) { _, context in
            let proceedings = try await Self.readable(try context.pathID(), store: store, actor: context.actor)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: ProceedingsPage.render(proceedings))))
        }

        forums.get(":id/transmission", rule: .everyone) { _, context in
            guard let transmission = try await store.transmission(try context.pathID()) else {
                throw Refusal.notFound("These proceedings have not been transmitted.")
            }
            return try APIJSON.response(transmission)
        }

        forums.post(":id/transmission", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["documentReference", "transmittedOn"])
            let reference = reader.string("documentReference", required: true, maxLength: 200)
            let date = reader.requiredDate("transmittedOn")
            try reader.check()
            let outcome = try await store.transmit(id, documentReference: reference!, on: date!, by: context.actor, requestID: context.requestID)
            return try APIJSON.response((outcome), status: .created)
        }

        forums.post(":id/transmission/acknowledgement", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["acknowledgedOn", "acknowledgement"])
            let date = reader.requiredDate("acknowledgedOn")
            let text = reader.string("acknowledgement", required: true, maxLength: 2_000)
            try reader.check()
            let outcome = try await store.acknowledge(id, on: date!, acknowledgement: text!, by: context.actor, requestID: context.requestID)
            return try APIJSON.response(outcome)
        }
    }

    /// The proceedings if the caller may read them; otherwise not found.
    static func readable(_ id: UUID, store: ProceedingsStore, actor: Actor) async throws -> Proceedings {
        guard let proceedings = try await store.proceedings(id) else {
            throw Refusal.notFound("Proceedings exist for concluded hearings.")
        }
        guard Visibility.seesProceedings(transmitted: proceedings.transmission != nil, issueReportsTo: proceedings.issue.reportsTo, viewer: actor) else {
            throw Refusal.notFound("A hearing's proceedings are public once transmitted.")
        }
        return proceedings
    }

}
