import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOPosix

/// Forum subscriptions (`/forums/{id}/subscriptions`, `/subscriptions/{id}`) and the outbox for
/// operators (`/notices`).
///
/// - Anyone may subscribe an e-mail address; nothing but one confirmation e-mail is sent until
///   the address confirms with the code it received, and the answer is the same whether the
///   address was subscribed already or not (nobody learns who is).
/// - A webhook subscription needs an account and an address that is not private (SSRF); its
///   signing secret is shown once.
/// - A subscription ends with its own code (the link in every e-mail, RFC 8058 one-click) or
///   its owner's token.
/// - Every other e-mail (to a person or an account) carries a one-click link to
///   `/mail-opt-outs/unsubscribe` that stops e-mails to its address, until the secretariat lifts it.
struct NoticeController {
    let notices: NoticeStore
    let subscriptions: SubscriptionStore
    let mailOptOuts: MailOptOutStore
    let webhookPolicy: WebhookAddressPolicy
    let idempotency: Idempotency

    static let subscriptionFields: Set<String> = ["channel", "address", "url", "language"]

    /// A new webhook subscription: the secret appears in this answer only.
    struct CreatedView: Encodable, Sendable {
        var subscription: Subscription
        var secret: String?
        func encode(to encoder: any Encoder) throws {
            try subscription.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encodeIfPresent(secret, forKey: .secret)
        }
        enum Key: String, CodingKey { case secret }
    }

    /// What an e-mail subscription is answered, whatever the address's history.
    struct Pending: Encodable, Sendable {
        let status = "confirmation-sent"
        let detail = "If this address is not yet subscribed to this forum, a confirmation e-mail is on its way; nothing else is sent until it is confirmed."
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let forums = routes.group("/forums")
        forums.post(":id/subscriptions", rule: .everyone) { request, context in
            let forum = try context.pathID()
            // An e-mail subscription is idempotent by nature and keeps no key, but a malformed one is still refused.
            _ = try Idempotency.key(of: request)
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.subscriptionFields)
            var fields = reader
            let channel = fields.string("channel", required: true, maxLength: 20)
            if channel == "webhook" {
                guard context.isAuthenticated else { throw Refusal.unauthenticated() }
                return try await subscribeWebhook(request, reader: fields, body: body, forum: forum, context: context)
            }
            if let channel, channel != "email" { fields.errors.append(.init(field: "channel", message: "must be email or webhook")) }
            let address = Self.email(&fields)
            let language = Self.language(&fields)
            if fields.has("url") { fields.errors.append(.init(field: "url", message: "belongs to webhook subscriptions")) }
            try fields.check()
            guard try await subscriptions.subscribe(email: address!, to: forum, language: language, requestID: context.requestID) != nil else {
                throw Refusal.notFound()
            }
            return try APIJSON.response(Pending(), status: .accepted)
        }

        let subscriptionRoutes = routes.group("/subscriptions")
        subscriptionRoutes.get(":id", rule: .authenticated) { _, context in
            guard let subscription = try await subscriptions.subscription(try context.pathID(), by: context.actor) else { throw Refusal.notFound() }
            return try APIJSON.response(subscription)
        }
        subscriptionRoutes.post(":id/confirmation", rule: .everyone) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["code"])
            let code = reader.string("code", required: true, maxLength: 200)
            try reader.check()
            return try APIJSON.response(try await subscriptions.confirm(id, code: code!, requestID: context.requestID))
        }
        subscriptionRoutes.delete(":id", rule: .everyone) { request, context in
            let id = try context.pathID()
            let code = try Self.code(request)
            guard code != nil || context.isAuthenticated else { throw Refusal.unauthenticated() }
            guard try await subscriptions.end(id, code: code, by: context.actor, requestID: context.requestID) != nil else { throw Refusal.notFound() }
            return Response(status: .noContent)
        }
        // RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` as a
        // form to the link in the List-Unsubscribe header; the code in the link is what counts.
        subscriptionRoutes.post(":id/unsubscribe", rule: .everyone) { request, context in
            let id = try context.pathID()
            let code = try await Self.oneClickCode(request)
            guard let ended = try await subscriptions.end(id, code: code, by: context.actor, requestID: context.requestID) else {
                throw Refusal.notFound()
            }
            return try APIJSON.response(ended)
        }

        addMailOptOutRoutes(to: routes)

        routes.get("/notices", rule: .roles([.secretariat])) { request, _ in
            let page = try PageRequest(request)
            let before = try page.cursor.map { try Cursor.decode($0, as: Int64.self) }
            let query = request.uri.queryParameters
            var state: NoticeState?
            if let text = query["state"] {
                guard let value = NoticeState(rawValue: String(text)) else {
                    throw Refusal(.invalidQuery, "`state` must be one of " + NoticeState.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                state = value
            }
            var kind: String?
            if let text = query["kind"] {
                guard NoticeKind(rawValue: String(text)) != nil else {
                    throw Refusal(.invalidQuery, "`kind` must be one of " + NoticeKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                kind = String(text)
            }
            let found = try await notices.list(state: state, kind: kind, before: before, limit: page.limit)
            return try APIJSON.response(Page(items: found.notices, next: found.next.map { Cursor.encode($0) }))
        }
        routes.post("/notices/:id/retry", rule: .roles([.secretariat])) { _, context in
            guard let notice = try await notices.retry(try context.pathID(), by: context.actor, requestID: context.requestID) else {
                throw Refusal.notFound()
            }
            return try APIJSON.response(notice)
        }
    }

    /// `/mail-opt-outs`: the one-click link of e-mails to people and accounts (RFC 8058; the code
    /// is the credential, and the answer never shows the address), and the secretariat's list
    /// and lifting.
    private func addMailOptOutRoutes(to routes: AccessControlledRoutes) {
        let optOuts = routes.group("/mail-opt-outs")
        // POST only, like a subscription's link: a GET must change nothing (mail scanners fetch
        // links), and a reader who opens the link in a browser is told to use the POST (405).
        optOuts.post("unsubscribe", rule: .everyone) { request, context in
            let code = try await Self.oneClickCode(request)
            guard let receipt = try await mailOptOuts.optOut(code: code, requestID: context.requestID) else { throw Refusal.notFound() }
            return try APIJSON.response(receipt)
        }
        optOuts.get(rule: .roles([.secretariat])) { request, _ in
            let page = try PageRequest(request)
            let before = try page.cursor.map { try Cursor.decode($0, as: Int64.self) }
            var address: String?
            if let text = request.uri.queryParameters["address"] {
                guard !text.isEmpty, text.unicodeScalars.count <= 254 else { throw Refusal(.invalidQuery, "`address` must be an e-mail address of at most 254 characters.") }
                address = String(text)
            }
            let found = try await mailOptOuts.list(address: address, before: before, limit: page.limit)
            return try APIJSON.response(Page(items: found.optOuts, next: found.next.map { Cursor.encode($0) }))
        }
        optOuts.delete(":id", rule: .roles([.secretariat])) { _, context in
            guard try await mailOptOuts.lift(try context.pathID(), by: context.actor, requestID: context.requestID) else { throw Refusal.notFound() }
            return Response(status: .noContent)
        }
    }

    /// The rest of a webhook subscription, its `channel` already read into `reader`.
    private func subscribeWebhook(_ request: Request, reader: FieldReader, body: Data, forum: UUID, context: AgoraRequestContext) async throws -> Response {
        var fields = reader
        let url = fields.string("url", required: true, maxLength: 2000)
        let language = Self.language(&fields)
        if fields.has("address") { fields.errors.append(.init(field: "address", message: "belongs to e-mail subscriptions")) }
        if let url { try await checkWebhook(url, into: &fields) }
        try fields.check()
        return try await idempotency.run(request, body: body, context: context, answer: { (created: CreatedSubscription?) in
            guard let created else { throw Refusal.notFound() }
            var answer = try JSONAnswer(CreatedView(subscription: created.subscription, secret: created.secret), status: .created, headers: [
                .location: "/subscriptions/\(created.subscription.id.uuidString)", .cacheControl: "no-store",
            ])
            // A replay never carries the secret: it is shown once.
            answer.replayBody = try APIJSON.encode(CreatedView(subscription: created.subscription, secret: nil))
            return answer
        }) {
            try await subscriptions.subscribe(webhook: url!, to: forum, language: language, by: context.actor, requestID: context.requestID)
        }
    }

    /// Refuses a webhook URL that is not http(s) or whose host resolves to a special address.
    private func checkWebhook(_ url: String, into reader: inout FieldReader) async throws {
        do {
            let host = try WebhookAddressPolicy.parse(url).host
            // getaddrinfo blocks: on NIO's pool for blocking work, not on Swift's threads.
            let addresses = try await NIOThreadPool.singleton.runIfActive { HostResolver.addresses(of: host) }
            try webhookPolicy.check(host: host, addresses: addresses)
        } catch let error as WebhookAddressError {
            reader.errors.append(.init(field: "url", message: error.description))
        }
    }

    /// An address the SMTP client can send to: ASCII (no SMTPUTF8), one `@`, a dotted domain,
    /// none of the characters that need quoting.
    static func email(_ reader: inout FieldReader) -> String? {
        guard let address = reader.string("address", required: true, maxLength: 254) else { return nil }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              address.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>\"()[]\\,;:".contains($0) }) else {
            reader.errors.append(.init(field: "address", message: "must be an e-mail address such as name@example.org"))
            return nil
        }
        return address
    }

    /// The subscription's language: a two- or three-letter code (default English).
    static func language(_ reader: inout FieldReader) -> String {
        guard let language = reader.string("language", maxLength: 3) else { return "en" }
        guard (2...3).contains(language.count), language.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
            reader.errors.append(.init(field: "language", message: "must be an ISO 639 code such as en or fr"))
            return "en"
        }
        return language
    }

    /// The code of an RFC 8058 one-click link: required (422 `code`); the body mail clients post
    /// (`List-Unsubscribe=One-Click`, any media type) is read, up to 4,096 bytes, and ignored.
    static func oneClickCode(_ request: Request) async throws -> String {
        guard let code = try code(request) else { throw Refusal.invalid("code", "is required (the link of the e-mail carries it)") }
        _ = try await request.body.collect(upTo: 4096)
        return code
    }

    static func code(_ request: Request) throws -> String? {
        guard let code = request.uri.queryParameters["code"] else { return nil }
        guard !code.isEmpty, code.count <= 200 else { throw Refusal(.invalidQuery, "`code` must be the code of the e-mail's link.") }
        return String(code)
    }
}
