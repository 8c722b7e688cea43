// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "StructuredCache",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StructuredCache", targets: ["StructuredCache"]),
        // A command-line tool for what is in a cache: stats, list, show, purge, and the key of a request.
        .executable(name: "structured-cache", targets: ["StructuredCacheTool"]),
    ],
    targets: [
        .target(
            name: "CStructuredCacheSHA",
            path: "Sources/CStructuredCacheSHA"
        ),
        .target(
            name: "CStructuredCacheFiles",
            path: "Sources/CStructuredCacheFiles"
        ),
        // The floors, lowest first; a target imports only those below it (docs/Architecture.md).
        // What every floor shares: the lock, SHA-256, keeping credentials out of text, whole units of time.
        .target(
            name: "StructuredCacheSupport",
            dependencies: ["CStructuredCacheSHA"],
            path: "Sources/StructuredCacheSupport",
            swiftSettings: strictSettings
        ),
        // JSON values with Python's semantics, the JSON Schema of a type, the chat types and makeCacheKey.
        .target(
            name: "StructuredCacheCore",
            dependencies: ["StructuredCacheSupport"],
            path: "Sources/StructuredCacheCore",
            swiftSettings: strictSettings
        ),
        // Where values live: the CacheAdapter protocol and every adapter; nothing here knows what a key means.
        .target(
            name: "StructuredCacheStorage",
            dependencies: ["StructuredCacheSupport", "CStructuredCacheFiles"],
            path: "Sources/StructuredCacheStorage",
            swiftSettings: strictSettings
        ),
        // The client and its providers, on top; re-exports the floors below, so users import this alone.
        .target(
            name: "StructuredCache",
            dependencies: ["StructuredCacheSupport", "StructuredCacheCore", "StructuredCacheStorage"],
            path: "Sources/StructuredCache",
            swiftSettings: strictSettings
        ),
        // structured-cache: reads and purges DiskCache folders and Redis prefixes; internals through package access.
        .executableTarget(
            name: "StructuredCacheTool",
            dependencies: [
                "StructuredCache", "StructuredCacheCore", "StructuredCacheStorage", "StructuredCacheSupport",
            ],
            path: "Sources/StructuredCacheTool",
            swiftSettings: strictSettings
        ),
        // A local OpenAI-compatible server, for the tests and the examples; not part of the product.
        .target(
            name: "ChatStandIn",
            dependencies: ["StructuredCache"],
            path: "Sources/ChatStandIn",
            swiftSettings: strictSettings
        ),
        // What the examples share: the endpoint they use (real, or the stand-in) and their model type.
        .target(
            name: "ExampleSupport",
            dependencies: ["StructuredCache", "ChatStandIn"],
            path: "Examples/ExampleSupport",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "QuickStart",
            dependencies: ["StructuredCache", "ExampleSupport"],
            path: "Examples/QuickStart",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "RedisShared",
            dependencies: ["StructuredCache", "ExampleSupport"],
            path: "Examples/RedisShared",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "PythonInterop",
            dependencies: ["StructuredCache", "ExampleSupport"],
            path: "Examples/PythonInterop",
            exclude: ["interop.py"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "CacheKeyExample",
            dependencies: ["StructuredCache"],
            path: "Examples/CacheKeyExample",
            swiftSettings: strictSettings
        ),
        // The benchmarks (Benchmarks/run-all.sh): each hot path beside its reference; internals through package access.
        .executableTarget(
            name: "StructuredCacheBenchmarks",
            dependencies: [
                "StructuredCache", "StructuredCacheCore", "StructuredCacheStorage", "StructuredCacheSupport",
                "ChatStandIn",
            ],
            path: "Benchmarks/Sources/StructuredCacheBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Values DiskCache's multi-process tests write, shared by the worker process and the tests.
        .target(
            name: "WorkerValue",
            path: "Tests/WorkerValue",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "DiskCacheWorker",
            dependencies: ["StructuredCache", "WorkerValue"],
            path: "Tests/DiskCacheWorker",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SharedFlightWorker",
            dependencies: ["StructuredCache"],
            path: "Tests/SharedFlightWorker",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StructuredCacheTests",
            dependencies: [
                "StructuredCache", "StructuredCacheCore", "StructuredCacheStorage", "StructuredCacheSupport",
                "ChatStandIn",
                "WorkerValue",
            ],
            path: "Tests/StructuredCacheTests",
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
