import ArgumentParser
import PostgresClient
import Tenancy

/// `shoprecon group ...`: groups grant roles to their members, optionally for some stores only.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Manage groups: members, the roles they grant and the stores they cover.",
        subcommands: [Create.self, List.self, AddUser.self, RemoveUser.self, Grant.self, Revoke.self, Scope.self]
    )

    static func render(_ groups: [Group]) -> String {
        var table = TextTable("GROUP", "ROLES", "STORES", "MEMBERS")
        for g in groups {
            table.append([g.name, g.roles.joined(separator: ","), g.stores.isEmpty ? "all" : g.stores.joined(separator: ","),
                          g.members.joined(separator: ",")])
        }
        return table.render()
    }

    static func change(access: TenantAccessOptions, json: Bool,
                       _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) throws -> Group) async throws {
        try await runCommand {
            let group = try await access.run { tx, context in try body(tx, context) }
            try emit(group, json: json) { render([group]) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a group.")
        @Argument var name: String
        @Option var description = ""
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let (name, description) = (name, description)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.create(name: name, description: description, context: context, on: tx)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups with their roles, stores and members.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await runCommand {
                let groups = try await access.run { tx, context in try GroupDirectory.list(context: context, on: tx) }
                try emit(groups, json: output.json) { GroupCommand.render(groups) }
            }
        }
    }

    struct AddUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-user", abstract: "Add a user to a group.")
        @Argument var group: String
        @Argument var username: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let (group, username) = (group, username)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.addUser(group: group, username: username, context: context, on: tx)
            }
        }
    }

    struct RemoveUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-user", abstract: "Remove a user from a group.")
        @Argument var group: String
        @Argument var username: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let (group, username) = (group, username)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.removeUser(group: group, username: username, context: context, on: tx)
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a group's members act with a role.")
        @Argument var group: String
        @Argument var role: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let (group, role) = (group, role)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.grant(group: group, role: role, context: context, on: tx)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a role away from a group.")
        @Argument var group: String
        @Argument var role: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let (group, role) = (group, role)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.revoke(group: group, role: role, context: context, on: tx)
            }
        }
    }

    struct Scope: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Limit a group to some stores, or let it cover all stores again.",
            discussion: "Members then see only the rows of those stores, enforced by the database."
        )
        @Argument var group: String
        @Option(help: "A store code (repeatable).") var store: [String] = []
        @Flag(help: "Cover every store of the tenant.") var allStores = false
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard allStores != !store.isEmpty else {
                throw ValidationError("give either --store CODE (one or more) or --all-stores")
            }
        }

        func run() async throws {
            let (group, stores) = (group, allStores ? [] : store)
            try await GroupCommand.change(access: access, json: output.json) { tx, context in
                try GroupDirectory.scope(group: group, storeCodes: stores, context: context, on: tx)
            }
        }
    }
}
