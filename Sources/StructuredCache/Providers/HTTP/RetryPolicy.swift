// When and how long to wait before sending a failed request again: exponential backoff with jitter,
// the server's Retry-After (seconds or an HTTP date) and retry-after-ms, within the configured bounds.

import Foundation

/// Decides whether a failed attempt is retried, and after what delay.
///
/// Transient failures (``ProviderError/isTransient``: 408, 429, 5xx, a broken connection, a timeout)
/// are retried up to `maxRetries` times. The delay is the server's own when it gives one
/// (`retry-after-ms`, then `Retry-After` in seconds or as an HTTP date); a server delay longer than
/// `maxDelay` means giving up at once rather than sleeping that long. Without one, the delay doubles
/// from `initialDelay` per attempt, capped at `maxDelay`, minus up to 25 % of random jitter so that
/// many clients do not retry in step. `x-should-retry: true/false` (OpenAI's own hint) overrides the
/// status-based decision, never the attempt bound.
struct RetryPolicy: Sendable {
    var maxRetries: Int
    var initialDelay: Duration
    var maxDelay: Duration

    /// The delay before the next attempt, or `nil` to give up.
    ///
    /// - Parameters:
    ///   - error: How the attempt failed.
    ///   - head: The response head, when the failure was an HTTP status.
    ///   - attempt: How many retries were made already (0 after the first attempt).
    ///   - now: The current time, for HTTP-date `Retry-After` values.
    ///   - random: A number in `0..<1` for the jitter.
    /// - Returns: How long to wait, or `nil` when the error must be thrown.
    func delay(
        after error: ProviderError, head: HTTPResponseHead?, attempt: Int, now: Date = Date(),
        random: Double = Double.random(in: 0..<1)
    ) -> Duration? {
        guard attempt < maxRetries else { return nil }
        switch head?.headers["x-should-retry"]?.lowercased() {
        case "true": break
        case "false": return nil
        default: guard error.isTransient else { return nil }
        }
        if let head, let serverDelay = Self.serverDelay(head.headers, now: now) {
            return serverDelay <= maxDelay ? serverDelay : nil
        }
        let exponent = min(attempt, 30)
        let base = min(initialDelay * (1 << exponent), maxDelay)
        return base * (1 - 0.25 * min(max(random, 0), 1))
    }

    /// The delay a response asks for: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date.
    ///
    /// - Parameters:
    ///   - headers: Response headers, names lowercased.
    ///   - now: The current time.
    /// - Returns: The delay (zero for a date in the past), or `nil` when there is none or it is unreadable.
    static func serverDelay(_ headers: [String: String], now: Date) -> Duration? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text.trimmingWhitespace),
            milliseconds.isFinite, milliseconds >= 0
        {
            return .milliseconds(min(milliseconds, 1e12))
        }
        guard let text = headers["retry-after"]?.trimmingWhitespace, !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return .milliseconds(min(seconds, 1e9) * 1000)
        }
        guard let date = httpDate(text) else { return nil }
        return .milliseconds(max(0, min(date.timeIntervalSince(now), 1e9)) * 1000)
    }

    /// Reads an HTTP date in its preferred form, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    ///
    /// - Parameter text: The header value.
    /// - Returns: The date, or `nil` when it is not an IMF-fixdate.
    static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let day = Int(parts[1]), (1...31).contains(day),
            let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]), year >= 1970
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let month = monthIndex + 1
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

extension String {
    fileprivate var trimmingWhitespace: String { trimmingCharacters(in: .whitespaces) }
}
