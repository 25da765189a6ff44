import Testing

/// A test failure with a message: what a helper throws when a fixture is not what the test needs.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a suite's helpers hang on: built around the suite's database and set as the current one
/// (a task-local) while the suite's tests run.
public protocol SuiteEnvironment: Sendable {
    init(database: TestDatabase)
    /// Runs `body` with `environment` as the current one.
    static func withCurrent(_ environment: Self, _ body: @Sendable () async throws -> Void) async throws
}

/// Gives a suite a fresh migrated database of its own for as long as its tests run, then drops
/// it. Each test target names it with a static property (`@Suite(.importsDatabase)`), and tests
/// reach the environment through its `get()`.
public struct SuiteDatabaseTrait<Environment: SuiteEnvironment>: SuiteTrait, TestScoping {
    public init() {}

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await TestDatabase.withFresh { database in
            try await Environment.withCurrent(Environment(database: database), function)
        }
    }
}
