import Foundation

/// What an account may do. `network` and `organisation` are held for one network or
/// organisation each (an account may hold several).
public enum Role: String, Codable, Sendable, CaseIterable {
    case secretariat, bureau, network, organisation, participant
}

/// One role held by an account, with the network or organisation it is scoped to.
public struct RoleGrant: Codable, Sendable, Hashable {
    /// The role.
    public var role: Role
    /// The network of a `network` role.
    public var network: UUID?
    /// The organisation of an `organisation` role.
    public var organisation: UUID?
    /// The intergovernmental body a `bureau` role serves (as issues name it in `reportsTo`).
    public var body: String?

    /// A role without scope (`secretariat`, `participant`; a `bureau` role without a body
    /// reviews nothing).
    public init(_ role: Role) {
        self.role = role
    }

    /// The bureau of intergovernmental body `body`.
    public static func bureau(_ body: String) -> RoleGrant {
        var grant = RoleGrant(.bureau)
        grant.body = body
        return grant
    }

    /// A network focal point's role.
    public static func network(_ id: UUID) -> RoleGrant {
        var grant = RoleGrant(.network)
        grant.network = id
        return grant
    }

    /// An organisation contact's role.
    public static func organisation(_ id: UUID) -> RoleGrant {
        var grant = RoleGrant(.organisation)
        grant.organisation = id
        return grant
    }

    /// The order in which roles are listed: by role, then scope.
    public static func displayOrder(_ lhs: RoleGrant, _ rhs: RoleGrant) -> Bool {
        func key(_ grant: RoleGrant) -> String {
            grant.role.rawValue + "|" + (grant.network?.uuidString ?? "") + "|" + (grant.organisation?.uuidString ?? "") + "|" + (grant.body ?? "")
        }
        return key(lhs) < key(rhs)
    }

    /// Whether the scope matches the role: a network role names a network, an organisation
    /// role an organisation, the others nothing.
    public var isWellFormed: Bool {
        (role == .network) == (network != nil) && (role == .organisation) == (organisation != nil)
            && (role == .bureau || body == nil)
    }
}

/// Who is making a request or a change: an account through one of its tokens, the command
/// line, or nobody (anonymous).
public struct Actor: Sendable, Equatable {
    /// The account, nil for anonymous callers and the command line.
    public var accountID: UUID?
    /// The name of the token used, for the audit log.
    public var tokenName: String?
    /// The roles the account holds.
    public var grants: Set<RoleGrant>

    /// Creates an actor.
    public init(accountID: UUID?, tokenName: String?, grants: Set<RoleGrant>) {
        self.accountID = accountID
        self.tokenName = tokenName
        self.grants = grants
    }

    /// A caller without a token.
    public static let anonymous = Actor(accountID: nil, tokenName: nil, grants: [])

    /// The operator at the command line (`agora token create`, demo data): full rights, no account.
    public static let commandLine = Actor(accountID: nil, tokenName: "command line", grants: [RoleGrant(.secretariat)])

    /// Whether the actor holds `role` (for any scope).
    public func has(_ role: Role) -> Bool {
        grants.contains { $0.role == role }
    }

    /// The networks the actor is a focal point of.
    public var networks: Set<UUID> { Set(grants.compactMap(\.network)) }

    /// The organisations the actor is a contact of.
    public var organisations: Set<UUID> { Set(grants.compactMap(\.organisation)) }

    /// The intergovernmental bodies whose bureau the actor sits on.
    public var bureauBodies: Set<String> { Set(grants.filter { $0.role == .bureau }.compactMap(\.body)) }

    /// The role public views name instead of the account (DESIGN §7: roles, not staff): the
    /// actor's most senior role, `secretariat` for the command line, `system` for background jobs.
    public var publicRole: String {
        let seniority: [Role] = [.secretariat, .bureau, .network, .organisation, .participant]
        return seniority.first(where: has)?.rawValue ?? (accountID == nil ? "system" : "participant")
    }
}

/// Who may call a route, declared with the route itself.
public enum AccessRule: Sendable, Equatable {
    /// Anyone, with or without a token.
    case everyone
    /// Any valid token.
    case authenticated
    /// A valid token of an account holding one of these roles. Object scope (which network,
    /// which organisation) is checked on the object itself.
    case roles(Set<Role>)

    /// The answer for `actor`: allowed, or why not.
    public func decide(for actor: Actor, authenticated: Bool) -> AccessDecision {
        switch self {
        case .everyone:
            return .allowed
        case .authenticated:
            return authenticated ? .allowed : .unauthenticated
        case .roles(let roles):
            guard authenticated else { return .unauthenticated }
            return roles.contains(where: actor.has) ? .allowed : .forbidden
        }
    }
}

/// The outcome of a route's access check: the API answers 401 and 403 for the refusals. (An
/// object outside the caller's scope is checked on the object and answered 404, so its
/// existence is not revealed.)
public enum AccessDecision: Sendable, Equatable {
    case allowed
    case unauthenticated
    case forbidden
}
