import Foundation
import ShopReconTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One real `shoprecond` process, started with Foundation `Process`; its JSON log (stderr) goes to
/// a temporary file for the test to read and to print when something goes wrong.
final class Daemon: @unchecked Sendable {
    let name: String
    let process: Process
    let logURL: URL
    /// The port of /health and /metrics (0 when the test did not ask for them).
    let httpPort: Int
    let arguments: [String]

    init(name: String, executable: URL, arguments: [String], httpPort: Int) throws {
        self.name = name
        self.httpPort = httpPort
        self.arguments = arguments
        logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("shoprecond-\(name)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Sends a signal (SIGTERM for a graceful stop, SIGKILL for a crash).
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit; false when it is still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// How the process ended: `.exit` with its status, or `.uncaughtSignal` with the signal.
    var termination: (reason: Process.TerminationReason, status: Int32)? {
        process.isRunning ? nil : (process.terminationReason, process.terminationStatus)
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The JSON log records written so far.
    var records: [[String: String]] {
        log.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    func hasLogged(_ message: String) -> Bool { records.contains { $0["msg"] == message } }

    /// The worker name the daemon uses in leases and job marks, from its start-up log line.
    func workerID(timeout: Duration = .seconds(20)) async throws -> String {
        var found: String?
        let started = try await eventually(timeout: timeout, every: .milliseconds(25)) {
            found = records.first { $0["msg"] == "shoprecond starting" }?["worker"]
            return found != nil || !isRunning
        }
        guard started, let found else {
            throw TestFailure("daemon \(name) did not start:\n\(diagnostics())")
        }
        return found
    }

    /// The last lines of the log, for failure messages.
    func diagnostics(lines: Int = 40) -> String {
        let tail = log.split(separator: "\n").suffix(lines).joined(separator: "\n")
        let state = termination.map { "exited (\($0.reason == .exit ? "status" : "signal") \($0.status))" } ?? "running"
        return "--- shoprecond \(name) (pid \(pid), \(state), log \(logURL.path)) ---\n\(tail)"
    }

    /// `GET path` on the daemon's HTTP port: status code and body.
    func get(_ path: String) throws -> (status: Int, body: String) {
        try httpGet(port: httpPort, path: path)
    }
}

/// Starts daemons against one test database and makes sure none outlives the test.
final class DaemonHarness: @unchecked Sendable {
    let database: TestDatabase
    let executable: URL
    private let lock = NSLock()
    private var started: [Daemon] = []

    init(database: TestDatabase) throws {
        self.database = database
        executable = try Self.locateDaemon()
    }

    var daemons: [Daemon] { lock.withLock { started } }

    /// Starts `shoprecond` on the test database with a JSON log. `options` override the fast
    /// defaults used in tests (1 s polling, 5 s lease, 10 s grace period).
    func start(_ name: String, _ options: KeyValuePairs<String, String> = [:], flags: [String] = [],
               http: Bool = false) throws -> Daemon {
        var settings: [String: String] = ["--poll-interval": "1", "--lease": "5", "--grace-period": "10"]
        for (key, value) in options { settings[key] = value }
        let port = http ? try freeTCPPort() : 0
        var arguments = ["--database-url", try database.appConnectionString, "--http-port", String(port), "--log-format", "json"]
        for key in settings.keys.sorted() { arguments += [key, settings[key] ?? ""] }
        arguments += flags
        let daemon = try Daemon(name: name, executable: executable, arguments: arguments, httpPort: port)
        lock.withLock { started.append(daemon) }
        return daemon
    }

    /// Kills whatever still runs (SIGKILL: the database is dropped next anyway).
    func stopAll() async {
        for daemon in daemons where daemon.isRunning {
            daemon.send(SIGKILL)
            _ = await daemon.waitForExit(timeout: .seconds(10))
        }
    }

    var diagnostics: String { daemons.map { $0.diagnostics() }.joined(separator: "\n") }

    /// `shoprecond` is built next to the test bundle (same bin directory); `SHOPRECOND_PATH`
    /// points elsewhere when it is not.
    static func locateDaemon() throws -> URL {
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<4 {  // Linux: next to the .xctest executable; macOS: above .xctest/Contents/MacOS
            candidates.append(directory.appendingPathComponent("shoprecond"))
            directory = directory.deletingLastPathComponent()
        }
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("shoprecond"))
        }
        if let path = ProcessInfo.processInfo.environment["SHOPRECOND_PATH"], !path.isEmpty {
            candidates.append(URL(fileURLWithPath: path))
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestFailure("shoprecond not found (looked at \(candidates.map(\.path))); build it or set SHOPRECOND_PATH")
        }
        return found
    }
}

/// Runs `body` with a fresh database and a harness for daemons on it; every daemon still
/// running afterwards is killed, and on a thrown error their logs are printed.
func withDaemons<T: Sendable>(_ body: (TestDatabase, DaemonHarness) async throws -> T) async throws -> T {
    try await withTestDatabase { database in
        let harness = try DaemonHarness(database: database)
        do {
            let value = try await body(database, harness)
            await harness.stopAll()
            return value
        } catch {
            print(harness.diagnostics)
            await harness.stopAll()
            throw error
        }
    }
}

// MARK: - Sockets

/// A TCP port on the loopback interface that nothing listens on right now.
func freeTCPPort() throws -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A minimal blocking HTTP/1.1 GET against 127.0.0.1 (the daemon serves only loopback).
func httpGet(port: Int, path: String, timeoutSeconds: Int = 5) throws -> (status: Int, body: String) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("cannot connect to 127.0.0.1:\(port) (errno \(errno))") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
        throw TestFailure("cannot send the request")
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        response += buffer[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let statusLine = text.split(separator: "\r\n").first,
          let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
        throw TestFailure("no HTTP response from port \(port): \(text.prefix(200))")
    }
    let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, body)
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}
