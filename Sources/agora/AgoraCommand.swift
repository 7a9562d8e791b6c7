import Agora
import AgoraAPI
import AgoraScheduler
import AgoraStore
import ArgumentParser
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle

/// The `agora` command: the API server, the notice scheduler, migrations, and a local mode.
@main
struct AgoraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "Multi-stakeholder forums and public hearings.",
        subcommands: [Serve.self, Scheduler.self, Migrate.self, Dev.self, Token.self, Selection.self]
    )
}

/// Options every command that touches the database shares. Each falls back to an
/// environment variable, so a deployment can configure with either.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL connection URL or keyword string (env: DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Most database connections the pool opens (env: AGORA_POOL_SIZE, default 10).")
    var poolSize: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env: AGORA_LOG_LEVEL, default info).")
    var logLevel: String?

    func postgresConfiguration() throws -> PostgresConfiguration {
        let environment = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? environment["DATABASE_URL"] else {
            throw ValidationError("Set DATABASE_URL or pass --database-url.")
        }
        let size = try poolSize ?? environment["AGORA_POOL_SIZE"].map { value in
            guard let size = Int(value), size > 0 else { throw ValidationError("AGORA_POOL_SIZE must be a positive number.") }
            return size
        } ?? 10
        return PostgresConfiguration(connectionString: url, maximumConnections: size,
                                     statementTimeout: .seconds(try seconds("AGORA_STATEMENT_TIMEOUT", default: 30)))
    }

    /// A whole positive number of seconds from the environment.
    func seconds(_ variable: String, default fallback: Int) throws -> Int {
        guard let text = ProcessInfo.processInfo.environment[variable] else { return fallback }
        guard let value = Int(text), value > 0 else { throw ValidationError("\(variable) must be a positive number of seconds.") }
        return value
    }

    /// The runner of the commands, with the process's logger and settings. Only the
    /// commands that serve HTTP read `AGORA_SHUTDOWN_DRAIN` (`serving`), so a mistake in it
    /// cannot stop the migrator or the scheduler, which share the environment file.
    func runner(serving: Bool = false) throws -> Runner {
        Runner(database: try postgresConfiguration(), logger: try makeLogger(),
               shutdownTimeout: .seconds(try seconds("AGORA_SHUTDOWN_TIMEOUT", default: 30)),
               drainDuration: serving ? try drainDuration() : .zero)
    }

    /// `AGORA_SHUTDOWN_DRAIN`: seconds (0 to 60, fractions allowed) `agora serve` drains after
    /// SIGTERM; 0 stops at once.
    func drainDuration() throws -> Duration {
        guard let text = ProcessInfo.processInfo.environment["AGORA_SHUTDOWN_DRAIN"] else { return .seconds(2) }
        guard let value = Double(text), (0...60).contains(value) else {
            throw ValidationError("AGORA_SHUTDOWN_DRAIN must be a number of seconds from 0 to 60.")
        }
        return .milliseconds(Int(value * 1000))
    }

    /// Sets up logging (once) and returns the process's logger.
    func makeLogger() throws -> Logger {
        let name = logLevel ?? ProcessInfo.processInfo.environment["AGORA_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: name) else {
            throw ValidationError("Unknown log level '\(name)'.")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "agora")
    }
}

/// Where the HTTP server listens.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env: AGORA_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env: AGORA_PORT, default 8080).")
    var port: Int?

    @Option(help: "Largest request body in bytes (env: AGORA_MAX_BODY_SIZE, default 1048576).")
    var maxBodySize: Int?

    @Option(help: "Where clients reach the server, for absolute links in calendar and frab exports (env: AGORA_PUBLIC_URL, default http://HOST:PORT).")
    var publicURL: String?

    func appConfiguration() throws -> AppConfiguration {
        let environment = ProcessInfo.processInfo.environment
        func number(_ flag: Int?, _ variable: String, default fallback: Int) throws -> Int {
            if let flag { return flag }
            guard let text = environment[variable] else { return fallback }
            guard let value = Int(text) else { throw ValidationError("\(variable) must be a number.") }
            return value
        }
        func positive(_ variable: String, default fallback: Int) throws -> Int {
            let value = try number(nil, variable, default: fallback)
            guard value > 0 else { throw ValidationError("\(variable) must be a positive number of seconds.") }
            return value
        }
        return AppConfiguration(
            host: host ?? environment["AGORA_HOST"] ?? "127.0.0.1",
            port: try number(port, "AGORA_PORT", default: 8080),
            maximumBodySize: try number(maxBodySize, "AGORA_MAX_BODY_SIZE", default: 1 << 20),
            publicURL: try Self.absoluteURL(publicURL ?? environment["AGORA_PUBLIC_URL"]),
            agendaCacheEntries: try number(nil, "AGORA_AGENDA_CACHE_ENTRIES", default: 4096),
            noticeQuietPeriod: Double(try number(nil, "AGORA_NOTICE_QUIET_PERIOD", default: 600)),
            webhookPolicy: try webhookPolicy(environment["AGORA_WEBHOOK_ALLOW"] ?? ""),
            anonymousRateLimit: try rateLimit(environment, "AGORA_RATE_LIMIT_ANONYMOUS", default: AppConfiguration.defaultAnonymousRateLimit),
            accountRateLimit: try rateLimit(environment, "AGORA_RATE_LIMIT_ACCOUNT", default: nil),
            trustedProxies: try trustedProxies(environment["AGORA_TRUSTED_PROXIES"] ?? ""),
            connectionLimits: ConnectionLimits(
                idleTimeout: .seconds(try positive("AGORA_IDLE_TIMEOUT", default: 60)),
                requestReadTimeout: .seconds(try positive("AGORA_REQUEST_READ_TIMEOUT", default: 30)))
        )
    }

    /// `RATE` or `RATE/BURST` requests a second; 0 turns the limit off.
    private func rateLimit(_ environment: [String: String], _ variable: String, default fallback: RateLimit?) throws -> RateLimit? {
        guard let text = environment[variable] else { return fallback }
        guard let limit = RateLimit.parse(text) else {
            throw ValidationError("\(variable) must be requests a second (0.001 to 1000000), optionally with a burst (20 or 20/200); 0 turns it off.")
        }
        return limit
    }

    private func trustedProxies(_ list: String) throws -> TrustedProxies {
        do { return try TrustedProxies(list: list) } catch { throw ValidationError("AGORA_TRUSTED_PROXIES: \(error)") }
    }

    private func webhookPolicy(_ allowList: String) throws -> WebhookAddressPolicy {
        do { return try WebhookAddressPolicy(allowList: allowList) } catch { throw ValidationError(error.description) }
    }

    /// An http(s) URL, or nil; anything else would make exports that apps cannot follow.
    static func absoluteURL(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ValidationError("AGORA_PUBLIC_URL must be an http or https URL, such as https://agora.example.org.")
        }
        return text
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @Flag(help: "Apply pending migrations before serving instead of refusing to start.")
    var migrate = false

    func run() async throws {
        try await database.runner(serving: true).serve(app: server.appConfiguration(), migrate: migrate, withScheduler: false)
    }
}

struct Scheduler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the notice scheduler.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await database.runner().scheduler()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations from SQL/.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = try database.makeLogger()
        try await Runner(database: database.postgresConfiguration(), logger: logger).migrate()
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Local mode (what `make run` starts): migrate, then serve the API and run the scheduler until Ctrl-C."
    )
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        try await database.runner(serving: true).serve(app: server.appConfiguration(), migrate: true, withScheduler: true, demoData: true)
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API tokens from the command line.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with a role and print a token for it (shown once; only its hash is stored)."
        )
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Give the account the secretariat role (the way to make the first token).")
        var secretariat = false
        @Flag(help: "Give the account the bureau role (with --body).")
        var bureau = false
        @Option(help: "The intergovernmental body a bureau account serves, as issues name it (e.g. 'Economic and Social Council').")
        var body: String?
        @Option(help: "Make the account a focal point of this network (its id).")
        var network: UUID?
        @Option(help: "Make the account a contact of this organisation (its id).")
        var organisation: UUID?
        @Option(help: "The token's name, e.g. where it is used.")
        var name: String
        @Option(help: "The new account's name.")
        var account: String = "Secretariat"

        func validate() throws {
            guard secretariat || bureau || network != nil || organisation != nil else {
                throw ValidationError("Choose a role: --secretariat, --bureau --body BODY, --network ID or --organisation ID.")
            }
            guard bureau == (body != nil) else { throw ValidationError("A bureau account names its body: --bureau --body BODY.") }
            if let body, body.trimmingCharacters(in: .whitespaces).isEmpty || body.count > 300 {
                throw ValidationError("--body must be 1 to 300 characters.")
            }
        }

        func run() async throws {
            let logger = try database.makeLogger()
            var grants: Set<RoleGrant> = []
            if secretariat { grants.insert(RoleGrant(.secretariat)) }
            if let body { grants.insert(.bureau(body)) }
            if let network { grants.insert(.network(network)) }
            if let organisation { grants.insert(.organisation(organisation)) }
            let secret = try await Runner(database: database.postgresConfiguration(), logger: logger)
                .createToken(accountName: account, grants: grants, tokenName: name)
            print(secret)
        }
    }
}

struct Selection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speaker selection without a database.",
        subcommands: [Solve.self]
    )

    struct Solve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Solve a selection instance (JSON, the documented format) and print the result as JSON.",
            discussion: "Exits with status 64 and a message on standard error when the instance cannot be read or solved."
        )
        @Option(help: "The instance file; standard input when omitted or '-'.")
        var input: String?
        @Option(help: "The forum's identifier, which seeds the tie-break hash (as the API uses it).")
        var forum: String = ""

        func run() throws {
            let data: Data
            do {
                data = input == nil || input == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: input!))
            } catch {
                throw ValidationError("cannot read \(input ?? "standard input"): \(error.localizedDescription)")
            }
            let instance: SelectionInstance
            do {
                instance = try JSONDecoder().decode(SelectionInstance.self, from: data)
            } catch {
                throw ValidationError("not a selection instance: \(error)")
            }
            let result: SelectionResult
            do {
                result = try SelectionSolver.solve(instance, forum: forum)
            } catch {
                throw ValidationError(error.description)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}

extension UUID: @retroactive ExpressibleByArgument {
    /// Reads an id given on the command line.
    public init?(argument: String) {
        self.init(uuidString: argument)
    }
}
