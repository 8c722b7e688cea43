// A model's token prices, for the money a cache hit saves.

/// What a model's tokens cost, per million, in whatever currency the caller keeps accounts in.
///
/// ```swift
/// var configuration = StructuredClient.Configuration()
/// configuration.prices["gpt-4.1-mini"] = TokenPrices(inputPerMillion: 0.40, outputPerMillion: 1.60,
///                                                    cachedInputPerMillion: 0.10)
/// ```
public struct TokenPrices: Sendable, Hashable {
    /// The price of a million prompt tokens.
    public var inputPerMillion: Double
    /// The price of a million generated tokens.
    public var outputPerMillion: Double
    /// The price of a million prompt tokens read from the provider's prompt cache; `nil` for the
    /// input price.
    public var cachedInputPerMillion: Double?

    /// Creates a price list.
    ///
    /// - Parameters:
    ///   - inputPerMillion: The price of a million prompt tokens.
    ///   - outputPerMillion: The price of a million generated tokens.
    ///   - cachedInputPerMillion: The price of a million prompt tokens read from the provider's prompt
    ///     cache; `nil` for the input price.
    public init(inputPerMillion: Double, outputPerMillion: Double, cachedInputPerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
    }

    /// The price of `tokens`.
    func cost(of tokens: TokenCounts) -> Double {
        let cached = min(max(tokens.cached, 0), tokens.input)
        let uncached = Double(tokens.input - cached) * inputPerMillion
        let read = Double(cached) * (cachedInputPerMillion ?? inputPerMillion)
        return (uncached + read + Double(tokens.output) * outputPerMillion) / 1_000_000
    }
}
