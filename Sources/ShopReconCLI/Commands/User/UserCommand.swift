import ArgumentParser
import Foundation
import PostgresClient
import Tenancy

/// `shoprecon user ...`: staff of a tenant. Needs `user.manage`, or the operator with --tenant.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, list, disable and enable users and set their passwords.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Passwd.self]
    )

    static func render(_ users: [User]) -> String {
        var table = TextTable("USER", "NAME", "STATUS", "ROLES", "GROUPS", "LAST LOGIN")
        for u in users {
            let status = u.lockedUntil != nil ? "locked" : u.status
            table.append([u.username, u.displayName, status, u.roles.joined(separator: ","), u.groups.joined(separator: ","),
                          u.lastLoginAt?.shortText ?? "-"])
        }
        return table.render()
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user with roles and groups.",
            discussion: "The password is asked for twice, or read from standard input with --password-stdin (at least 8 characters)."
        )
        @Argument(help: "User name, unique in the tenant.") var username: String
        @Option(help: "Full name.") var name = ""
        @Option var email: String?
        @Option(help: "A role to grant directly (repeatable): owner, finance_manager, finance, sales, auditor or a custom role.")
        var role: [String] = []
        @Option(help: "A group to join (repeatable).") var group: [String] = []
        @Flag(help: "Read the password from standard input.") var passwordStdin = false
        @Flag(help: "Create the user without a password (cannot log in until one is set).") var noPassword = false
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let password = noPassword ? nil : try PasswordPrompt.readNew(fromStdin: passwordStdin)
                let (username, name, email, roles, groups) = (username, name, email, role, group)
                let user = try await access.run { tx, context in
                    try UserDirectory.add(username: username, displayName: name, email: email, password: password,
                                          roles: roles, groups: groups, context: context, on: tx)
                }
                try emit(user, json: output.json) { "Added user \(user.username)." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's users.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let users = try await access.run { tx, context in try UserDirectory.list(context: context, on: tx) }
                try emit(users, json: output.json) { UserCommand.render(users) }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user; their sessions stop working at once.")
        @Argument var username: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws { try await UserCommand.setEnabled(false, username: username, access: access, json: output.json) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @Argument var username: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws { try await UserCommand.setEnabled(true, username: username, access: access, json: output.json) }
    }

    static func setEnabled(_ enabled: Bool, username: String, access: TenantAccessOptions, json: Bool) async throws {
        try await runCommand {
            let user = try await access.run { tx, context in
                try UserDirectory.setEnabled(enabled, username: username, context: context, on: tx)
            }
            try emit(user, json: json) { "User \(user.username) is \(user.status)." }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password and lift a lock-out.",
            discussion: "Without user.manage you can change only your own password, and you are asked for the current one."
        )
        @Argument(help: "The user (default: yourself).") var username: String?
        @Flag(help: "Read the new password (and, for your own, first the current one) from standard input, one per line.")
        var passwordStdin = false
        @OptionGroup var access: TenantAccessOptions

        func run() async throws {
            try await runCommand {
                let saved = SessionStore.load()
                let target = username ?? saved?.username ?? ""
                guard !target.isEmpty else { throw CLIFailure.badInput("which user?", hint: "shoprecon user passwd USER") }
                let isSelf = access.tenant == nil && saved?.username.lowercased() == target.lowercased()
                if isSelf {
                    let token = try SessionStore.currentToken()
                    let current = try PasswordPrompt.read(prompt: "Current password: ", fromStdin: passwordStdin)
                    let new = try PasswordPrompt.readNew(fromStdin: passwordStdin)
                    // On its own connection and outside a transaction, so wrong guesses are counted.
                    let db = try await PostgresConnection.connect(access.connection.configuration(developmentRole: .application),
                                                                  logger: CLILogging.logger)
                    defer { Task { await db.close() } }
                    try await Authenticator.changeOwnPassword(token: token, current: current, new: new, on: db)
                } else {
                    let new = try PasswordPrompt.readNew(fromStdin: passwordStdin)
                    try await access.run { tx, context in
                        try UserDirectory.setPassword(username: target, password: new, context: context, on: tx)
                    }
                }
                print("Password of \(target) changed.")
            }
        }
    }
}
