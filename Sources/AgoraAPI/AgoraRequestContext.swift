import Agora
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The per-request context of every Agora route.
public struct AgoraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``RequestLimitsMiddleware`` from the configuration; bodies above it get 413.
    public var maxUploadSize: Int
    /// Who is calling: set by ``TokenAuthenticationMiddleware`` (anonymous without a token).
    public var actor: Actor
    /// The address the connection comes from (a load balancer's, behind one).
    public var peer: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.maxUploadSize = 1 << 20
        self.actor = .anonymous
        self.peer = source.channel.remoteAddress
    }

    /// Values a handler returns as `ResponseEncodable` are encoded like every other answer.
    public var responseEncoder: JSONEncoder { APIJSON.encoder }

    /// Whether the caller presented a valid token.
    public var isAuthenticated: Bool { actor.accountID != nil }

    /// The request's id: Hummingbird gives each request one and puts it in the logger's
    /// metadata, so every log line of the request carries it.
    public var requestID: String {
        logger[metadataKey: "hb.request.id"]?.description ?? "-"
    }
}

/// Echoes the request id to the client (`X-Request-ID`), so a person reporting a problem
/// can quote it. Behind a trusted proxy, the proxy's `X-Request-ID` becomes the request's
/// id, so one id follows the request through the load balancer's log and ours. It is the
/// outermost middleware, so error answers (problem+json's `instance`) carry that id too.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    var trustedProxies: TrustedProxies = .none

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let id = request.headers[.requestID], Self.isAcceptableRequestID(id), trustedProxies.trusts(peer: context.peer) {
            context.logger[metadataKey: "hb.request.id"] = .string(id)
        }
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        return response
    }

    /// An id safe to write in logs and headers: 1 to 128 letters, digits, `-`, `_` or `.`.
    static func isAcceptableRequestID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}

/// Applies the configured body size limit and refuses NUL characters in the path and the
/// query (no stored text can hold one, and libpq would cut a value short at it).
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let maximumBodySize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maximumBodySize
        // Refuse early what announces itself as too large, before reading any of it.
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodySize {
            throw Refusal.payloadTooLarge(limit: maximumBodySize)
        }
        // Nothing is named with a NUL: no such resource.
        if request.uri.path.lowercased().contains("%00") { throw Refusal.notFound() }
        let withNUL = request.uri.queryParameters.filter { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) }.map { String($0.key) }.sorted()
        if !withNUL.isEmpty {
            throw Refusal(.invalidQuery, "Query parameters must not contain the NUL character (U+0000): " + withNUL.joined(separator: ", ") + ".",
                          errors: withNUL.map { FieldProblem(field: $0, message: "must not contain the NUL character (U+0000)") })
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`, the id of the request in the server's logs.
    static let requestID = HTTPField.Name("X-Request-ID")!
}
