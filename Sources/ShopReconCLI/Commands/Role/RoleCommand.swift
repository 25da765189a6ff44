import ArgumentParser
import Tenancy

/// `shoprecon role ...`: built-in and custom roles.
struct RoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "List roles and create custom ones from the permission catalogue.",
        subcommands: [List.self, Create.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List roles with their permissions.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let roles = try await access.run { tx, context in try RoleDirectory.list(context: context, on: tx) }
                try emit(roles, json: output.json) {
                    var table = TextTable("ROLE", "KIND", "PERMISSIONS")
                    for r in roles { table.append([r.name, r.builtin ? "built-in" : "custom", r.permissions.joined(separator: ",")]) }
                    return table.render()
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a custom role. Needs user.manage.",
            discussion: "Permissions: " + Permission.all.joined(separator: ", ")
        )
        @Argument var name: String
        @Option(help: "A permission code (repeatable).") var permission: [String] = []
        @Option var description = ""
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let (name, permissions, description) = (name, permission, description)
                let role = try await access.run { tx, context in
                    try RoleDirectory.create(name: name, permissions: permissions, description: description, context: context, on: tx)
                }
                try emit(role, json: output.json) { "Created role \(role.name): \(role.permissions.joined(separator: ", "))." }
            }
        }
    }
}
