// swift-tools-version: 6.1
import PackageDescription

/// Every target compiles in Swift 6 language mode with complete concurrency checking.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ShopRecon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "shoprecon", targets: ["ShopReconCLI"]),
        .executable(name: "shoprecond", targets: ["ShopReconDaemon"]),
        .executable(name: "shoprecon-bench", targets: ["ShopReconBench"]),
        .library(name: "PostgresClient", targets: ["PostgresClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // XLSX writing (exports with typed cells, number formats, autofilters); Debian/Ubuntu
        // `libxlsxwriter-dev`, installed by `make deps`.
        .systemLibrary(
            name: "CXLSXWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"]), .brew(["libxlsxwriter"])]
        ),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tenancy",
            dependencies: ["PostgresClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Jobs",
            dependencies: [
                "PostgresClient", "Tenancy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ingest",
            dependencies: [
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Imports",
            dependencies: ["Ingest", "PostgresClient", "Tenancy", "Jobs", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Reconcile",
            dependencies: ["PostgresClient", "Tenancy", "Jobs", "Ingest", "CXLSXWriter",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DemoData",
            dependencies: ["Ingest"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ShopReconTestSupport",
            dependencies: ["PostgresClient"],
            path: "Tests/ShopReconTestSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ShopReconCLI",
            dependencies: [
                "PostgresClient",
                "Tenancy",
                "Jobs",
                "Imports",
                "Ingest",
                "Reconcile",
                "DemoData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ShopReconDaemon",
            dependencies: [
                "PostgresClient", "Jobs", "Imports", "Reconcile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ShopReconBench",
            dependencies: [
                "PostgresClient", "Tenancy", "Jobs", "Imports", "Ingest", "Reconcile", "DemoData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "ShopReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TenancyTests",
            dependencies: ["Tenancy", "PostgresClient", "ShopReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ImportsTests",
            dependencies: ["Imports", "Ingest", "Tenancy", "PostgresClient", "ShopReconTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcileTests",
            dependencies: ["Reconcile", "Imports", "Ingest", "DemoData", "Tenancy", "Jobs", "PostgresClient", "ShopReconTestSupport",
                           .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DemoDataTests",
            dependencies: ["DemoData", "Ingest"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobsTests",
            dependencies: ["Jobs", "Tenancy", "PostgresClient", "ShopReconTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
