import ArgumentParser
import Foundation
import Imports
import Ingest
import Jobs
import PostgresClient
import Reconcile
import Tenancy

/// An error meant for the person at the terminal: what went wrong, what to do, and the exit
/// code scripts branch on.
struct CLIFailure: Error, CustomStringConvertible {
    enum Exit: Int32 {
        case badInput = 1, usage = 2, permissionDenied = 3, notFound = 4, conflict = 5, internalError = 10
    }
    var exit: Exit
    var message: String
    var hint: String?
    var description: String { message }

    static func badInput(_ message: String, hint: String? = nil) -> CLIFailure { CLIFailure(exit: .badInput, message: message, hint: hint) }
    static func notFound(_ message: String, hint: String? = nil) -> CLIFailure { CLIFailure(exit: .notFound, message: message, hint: hint) }
    static func conflict(_ message: String, hint: String? = nil) -> CLIFailure { CLIFailure(exit: .conflict, message: message, hint: hint) }
}

/// Runs a command body, turning every error into a message on stderr and an exit code.
func runCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIFailure {
        report(error.message, hint: error.hint)
        throw ExitCode(error.exit.rawValue)
    } catch let error as TenancyError {
        let exit: CLIFailure.Exit = switch error.kind {
        case .invalidInput: .badInput
        case .notFound: .notFound
        case .conflict: .conflict
        case .permissionDenied, .authenticationFailed: .permissionDenied
        }
        report(error.message, hint: error.hint)
        throw ExitCode(exit.rawValue)
    } catch let error as ReconcileError {
        let exit: CLIFailure.Exit = switch error.kind {
        case .invalidInput: .badInput
        case .notFound: .notFound
        case .conflict, .periodClosed: .conflict
        case .permissionDenied: .permissionDenied
        }
        report(error.message, hint: error.hint)
        throw ExitCode(exit.rawValue)
    } catch let error as JobError {
        let exit: CLIFailure.Exit = switch error {
        case .notFound: .notFound
        case .invalid, .badArguments: .badInput
        case .leaseLost, .permanent: .internalError
        }
        report(error.description, hint: nil)
        throw ExitCode(exit.rawValue)
    } catch let error as IngestError {
        report(error.description, hint: nil)
        throw ExitCode(CLIFailure.Exit.badInput.rawValue)
    } catch let error as ImportError {
        report(error.description, hint: nil)
        throw ExitCode(CLIFailure.Exit.badInput.rawValue)
    } catch let error as PostgresError {
        let (exit, hint) = classify(error)
        report(error.serverInfo?[.message].map { "database: \($0)" } ?? error.message, hint: error.hint ?? hint)
        if ProcessInfo.processInfo.environment["SHOPRECON_DEBUG"] != nil {
            FileHandle.standardError.write(Data((error.debugDescription + "\n").utf8))
        }
        throw ExitCode(exit.rawValue)
    } catch let error as ExitCode {
        throw error
    } catch is CancellationError {
        report("cancelled", hint: nil)
        throw ExitCode(CLIFailure.Exit.internalError.rawValue)
    } catch {
        report("\(error)", hint: nil)
        throw ExitCode(CLIFailure.Exit.internalError.rawValue)
    }
}

private func classify(_ error: PostgresError) -> (CLIFailure.Exit, String?) {
    switch error.sqlState {
    case ReconcileError.periodClosedSQLState?:
        return (.conflict, nil)
    case SQLState.insufficientPrivilege?:
        return (.permissionDenied, "your role does not allow this; operator commands (--tenant) need the schema owner's credentials in DATABASE_URL, others a user with the right role")
    case SQLState.uniqueViolation?:
        return (.conflict, "it already exists")
    case SQLState.foreignKeyViolation?, SQLState.checkViolation?, SQLState.notNullViolation?:
        return (.badInput, nil)
    default:
        break
    }
    if error.code == .migration { return (.conflict, nil) }
    if error.code == .invalidConfiguration { return (.usage, nil) }
    return (.internalError, nil)
}

private func report(_ message: String, hint: String?) {
    var text = "error: \(message)\n"
    if let hint { text += "hint: \(hint)\n" }
    FileHandle.standardError.write(Data(text.utf8))
}
