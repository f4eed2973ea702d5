using System.Collections.Concurrent;

namespace BpoStudio.Core.Accounts;

/// <summary>Whether a sign-in attempt may go ahead now, and if not, how long to wait and why.</summary>
public sealed record SignInVerdict(bool Allowed, TimeSpan RetryAfter, string? Reason)
{
    public static readonly SignInVerdict Go = new(true, TimeSpan.Zero, null);
}

/// <summary>
/// Slows down password guessing without letting a stranger lock anyone out. Only failed attempts count:
/// - per client address, at most <see cref="FailuresPerAddressPerMinute"/> a minute (a team behind one address signing
///   in at 9:00 is never refused, since successful sign-ins do not count);
/// - per account, after <see cref="FreeAccountFailures"/> failures in a row each further attempt waits a delay that doubles
///   (1 s, 2 s, 4 s ... at most <see cref="MaxAccountDelay"/>), except from an address that has signed this account in
///   before, so the owner still gets in while someone else guesses. Nothing locks: an admin's lock is a separate act.
/// Kept in this instance's memory: a restart forgets the counts (and the known addresses).
/// </summary>
public sealed class SignInThrottle(TimeProvider clock, int failuresPerAddressPerMinute)
{
    public const int FreeAccountFailures = 5;
    public static readonly TimeSpan MaxAccountDelay = TimeSpan.FromMinutes(15);
    private const int MaxTracked = 50_000; // bounds memory against floods of made-up emails and addresses
    private const int KnownAddressesPerAccount = 32;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _addressFailures = new();
    private readonly ConcurrentDictionary<string, AccountRecord> _accounts = new(StringComparer.OrdinalIgnoreCase);

    public int FailuresPerAddressPerMinute { get; } = failuresPerAddressPerMinute;

    public SignInVerdict Check(string address, string account)
    {
        var now = clock.GetUtcNow();
        if (_addressFailures.TryGetValue(address, out var failures))
            lock (failures)
            {
                Prune(failures, now);
                if (failures.Count >= FailuresPerAddressPerMinute)
                    return new(false, failures.Peek() + Window - now,
                        $"Too many failed sign-ins from this address; try again in {Seconds(failures.Peek() + Window - now)} (BpoStudio:SignInAttemptsPerMinute is {FailuresPerAddressPerMinute}).");
            }
        if (_accounts.TryGetValue(account, out var record))
            lock (record)
            {
                if (record.Failures >= FreeAccountFailures && !record.KnownAddresses.Contains(address))
                {
                    var until = record.LastFailure + Delay(record.Failures);
                    if (until > now)
                        return new(false, until - now, $"Several wrong passwords were tried for this account; try again in {Seconds(until - now)}.");
                }
            }
        return SignInVerdict.Go;
    }

    public void Failed(string address, string account)
    {
        var now = clock.GetUtcNow();
        KeepBounded();
        var failures = _addressFailures.GetOrAdd(address, _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Prune(failures, now);
            failures.Enqueue(now);
        }
        var record = _accounts.GetOrAdd(account, _ => new AccountRecord());
        lock (record) (record.Failures, record.LastFailure) = (record.Failures + 1, now);
    }

    public void Succeeded(string address, string account)
    {
        KeepBounded();
        var record = _accounts.GetOrAdd(account, _ => new AccountRecord());
        lock (record)
        {
            record.Failures = 0;
            if (record.KnownAddresses.Count >= KnownAddressesPerAccount) record.KnownAddresses.Clear();
            record.KnownAddresses.Add(address);
        }
    }

    /// <summary>The wait after <paramref name="failures"/> failures in a row: none for the first few, then doubling.</summary>
    public static TimeSpan Delay(int failures) =>
        failures < FreeAccountFailures ? TimeSpan.Zero
        : TimeSpan.FromSeconds(Math.Min(MaxAccountDelay.TotalSeconds, Math.Pow(2, Math.Min(30, failures - FreeAccountFailures))));

    private static void Prune(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() + Window <= now) failures.Dequeue();
    }

    private void KeepBounded()
    {
        if (_addressFailures.Count > MaxTracked) _addressFailures.Clear();
        if (_accounts.Count > MaxTracked)
            foreach (var (key, record) in _accounts)
                if (record.KnownAddresses.Count == 0) _accounts.TryRemove(key, out _);
    }

    private static string Seconds(TimeSpan wait) => $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s";

    private sealed class AccountRecord
    {
        public int Failures;
        public DateTimeOffset LastFailure;
        public readonly HashSet<string> KnownAddresses = [];
    }
}
