import Foundation

/// Runs `Deploy/bench/pgqueuer_baseline.py`, the pgqueuer side of `shoprecon-bench jobs`, as a
/// subprocess; its progress goes straight to our stderr, its one JSON line is parsed here.
struct PgqueuerBaseline: Sendable {
    struct Result: Sendable {
        var version: String
        var enqueue: JobsSample
        var process: JobsSample
    }

    let python: String
    let script: String

    init(python: String, script: String?) throws {
        self.python = python
        if let script {
            self.script = script
        } else {
            self.script = try Self.locateScript()
        }
    }

    /// Installs pgqueuer and asyncpg with pip when the Python cannot import them.
    func ensureInstalled() async throws {
        if try await Self.execute(python, ["-c", "import pgqueuer, asyncpg"], quiet: true).status == 0 { return }
        BenchLog.progress("pgqueuer or asyncpg is missing; running \(python) -m pip install pgqueuer asyncpg")
        let install = try await Self.execute(python, ["-m", "pip", "install", "--quiet", "pgqueuer", "asyncpg"], quiet: false)
        guard install.status == 0,
              try await Self.execute(python, ["-c", "import pgqueuer, asyncpg"], quiet: true).status == 0 else {
            throw BenchFailure("cannot install pgqueuer and asyncpg with \(python) -m pip; install them or pass --no-baseline")
        }
    }

    func run(dsn: String, jobs: Int, workers: Int, batchSize: Int, maxConcurrentTasks: Int?,
             enqueueBatch: Int) async throws -> Result {
        var arguments = [script, "--dsn", dsn, "--jobs", String(jobs), "--workers", String(workers),
                         "--batch-size", String(batchSize), "--enqueue-batch", String(enqueueBatch)]
        if let maxConcurrentTasks { arguments += ["--max-concurrent-tasks", String(maxConcurrentTasks)] }
        let (status, output) = try await Self.execute(python, arguments, quiet: false)
        guard status == 0 else { throw BenchFailure("the pgqueuer baseline failed (exit \(status)): \(output)") }
        guard let line = output.split(whereSeparator: \.isNewline).last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let enqueue = object["enqueue_seconds"] as? Double, let process = object["process_seconds"] as? Double else {
            throw BenchFailure("the pgqueuer baseline printed no result: \(output)")
        }
        return Result(version: object["pgqueuer_version"] as? String ?? "?",
                      enqueue: JobsSample(seconds: enqueue, clientCPU: object["enqueue_client_cpu_seconds"] as? Double ?? 0,
                                          serverCPU: object["enqueue_db_cpu_seconds"] as? Double),
                      process: JobsSample(seconds: process, clientCPU: object["process_client_cpu_seconds"] as? Double ?? 0,
                                          serverCPU: object["process_db_cpu_seconds"] as? Double))
    }

    /// `Deploy/bench/pgqueuer_baseline.py` above the working directory or the executable.
    static func locateScript() throws -> String {
        let starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                      URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()]
        for start in starts {
            var folder = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = folder.appendingPathComponent("Deploy/bench/pgqueuer_baseline.py")
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
                folder.deleteLastPathComponent()
            }
        }
        throw BenchFailure("cannot find Deploy/bench/pgqueuer_baseline.py; pass --pgqueuer-script or --no-baseline")
    }

    /// Runs a program (looked up on PATH) and returns its exit status and stdout; its stderr
    /// goes to ours unless `quiet`.
    static func execute(_ program: String, _ arguments: [String], quiet: Bool) async throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        // Read while it runs, so a chatty child can never block on a full pipe.
        let reader = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                try? stdout.fileHandleForWriting.close()
                continuation.resume(throwing: BenchFailure("cannot run \(program): \(error)"))
            }
        }
        let data = await reader.value
        return (status, String(decoding: data, as: UTF8.self))
    }
}
