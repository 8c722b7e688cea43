// swift-tools-version:6.1
// The benchmarks live in their own package so that the library keeps zero dependencies.
import PackageDescription

let package = Package(
    name: "StructuredCacheBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "StructuredCache", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "StructuredCacheBenchmarks",
            dependencies: [.product(name: "StructuredCache", package: "StructuredCache")],
            path: "Sources/StructuredCacheBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
