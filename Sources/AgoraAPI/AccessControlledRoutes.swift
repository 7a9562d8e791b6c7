import Agora
import HTTPTypes
import Hummingbird

/// The API's routes with their access rules. Every route is added through here with a rule,
/// so none can exist without one; ``rules`` lets a test hold the router to that.
public final class AccessControlledRoutes: RouteAdding, @unchecked Sendable {
    // @unchecked Sendable: routes are added while the application is built, before it serves;
    // afterwards `rules` is only read.

    /// The router the routes are added to.
    public let router: Router<AgoraRequestContext>
    /// Each route (`"GET /tokens/{id}"`) and its rule.
    public private(set) var rules: [String: AccessRule] = [:]

    init(router: Router<AgoraRequestContext>) {
        self.router = router
    }

    /// The methods registered for the paths that `path` matches (`{…}` matches one segment),
    /// sorted: what a 405 lists in `Allow` when the request's method is not among them.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methodsByPattern: [[Substring]: Set<String>] = [:]
        for key in rules.keys {
            let parts = key.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let pattern = parts[1].split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count,
                  zip(pattern, segments).allSatisfy({ Self.isParameter($0) || $0 == $1 }) else { continue }
            methodsByPattern[pattern, default: []].insert(String(parts[0]))
        }
        // The router matches as a trie, a literal segment before a parameter: `/accounts/me`
        // is the path `/accounts/me`, never `/accounts/{id}`. So only the most literal pattern counts.
        let literalness = { (pattern: [Substring]) in pattern.map { Self.isParameter($0) ? 0 : 1 } }
        guard let best = methodsByPattern.keys.max(by: { literalness($0).lexicographicallyPrecedes(literalness($1)) }) else { return [] }
        return methodsByPattern[best, default: []].sorted()
    }

    private static func isParameter(_ segment: Substring) -> Bool {
        segment.hasPrefix("{") && segment.hasSuffix("}")
    }

    /// Adds a route that answers only callers `rule` allows: 401 without a valid token, 403
    /// with a token that lacks the role. Object scope is checked by the handler (404).
    @discardableResult
    public func on<Output: ResponseGenerator>(
        _ path: String,
        method: HTTPRequest.Method,
        rule: AccessRule,
        use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output
    ) -> Self {
        let path = RouterPath(path)
        rules["\(method) \(path)"] = rule
        router.on(path, method: method) { request, context in
            switch rule.decide(for: context.actor, authenticated: context.isAuthenticated) {
            case .allowed: return try await handler(request, context)
            case .unauthenticated: throw Refusal.unauthenticated()
            case .forbidden: throw Refusal.forbidden()
            }
        }
        return self
    }





}

extension AccessControlledRoutes {
    /// The routes under `path` (`"/forums"`), grouped as Hummingbird's `router.group(_:)`
    /// groups them: a controller writes `forums.get(":id/slate", …)` once it has the group.
    public func group(_ path: String) -> AccessControlledGroup {
        AccessControlledGroup(routes: self, prefix: path)
    }
}

/// Routes under one path. Each route still goes through
/// ``AccessControlledRoutes/on(_:method:rule:use:)`` with its access rule.
public struct AccessControlledGroup: RouteAdding, Sendable {
    let routes: AccessControlledRoutes
    let prefix: String

    /// The routes under `path`, below this group's.
    public func group(_ path: String) -> AccessControlledGroup {
        AccessControlledGroup(routes: routes, prefix: joined(path))
    }

    /// This group's path followed by `path` (the group's own path for "").
    private func joined(_ path: String) -> String {
        path.isEmpty ? prefix : prefix + "/" + path
    }

    @discardableResult
    public func on<Output: ResponseGenerator>(
        _ path: String, method: HTTPRequest.Method, rule: AccessRule,
        use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output
    ) -> Self {
        routes.on(joined(path), method: method, rule: rule, use: handler)
        return self
    }





}

/// Where routes are added, each with its access rule: all of them, or a group under one path.
/// The verbs are written once, here, in terms of `on`.
public protocol RouteAdding {
    @discardableResult
    func on<Output: ResponseGenerator>(
        _ path: String, method: HTTPRequest.Method, rule: AccessRule,
        use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output
    ) -> Self
}

extension RouteAdding {
    @discardableResult
    public func get<Output: ResponseGenerator>(_ path: String = "", rule: AccessRule, use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output) -> Self {
        on(path, method: .get, rule: rule, use: handler)
    }

    @discardableResult
    public func post<Output: ResponseGenerator>(_ path: String = "", rule: AccessRule, use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output) -> Self {
        on(path, method: .post, rule: rule, use: handler)
    }

    @discardableResult
    public func patch<Output: ResponseGenerator>(_ path: String = "", rule: AccessRule, use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output) -> Self {
        on(path, method: .patch, rule: rule, use: handler)
    }

    @discardableResult
    public func put<Output: ResponseGenerator>(_ path: String = "", rule: AccessRule, use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output) -> Self {
        on(path, method: .put, rule: rule, use: handler)
    }

    @discardableResult
    public func delete<Output: ResponseGenerator>(_ path: String = "", rule: AccessRule, use handler: @escaping @Sendable (Request, AgoraRequestContext) async throws -> Output) -> Self {
        on(path, method: .delete, rule: rule, use: handler)
    }
}
