// Pure parts of the runtime benchmark API contract
// (apps/runtimes/contract/contract.json).
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RuntimeDotnet;

public static class Api
{
    public const int ComputeMaxN = 100_000;
    public const long ItemIdMax = 2_147_483_647;
    public const int EchoMaxBytes = 65_536;
    public const string ContentType = "application/json";
    public const string AllowGet = "GET, HEAD";
    public const string AllowPost = "POST";

    // Error bodies are fixed bytes: every runtime must answer byte-identically.
    public static readonly byte[] MissingN = Encoding.UTF8.GetBytes("""{"error":"missing query parameter n"}""");
    public static readonly byte[] InvalidN = Encoding.UTF8.GetBytes("""{"error":"n must be an integer between 1 and 100000"}""");
    public static readonly byte[] MissingId = Encoding.UTF8.GetBytes("""{"error":"missing query parameter id"}""");
    public static readonly byte[] InvalidId = Encoding.UTF8.GetBytes("""{"error":"id must be an integer between 1 and 2147483647"}""");
    public static readonly byte[] ItemNotFound = Encoding.UTF8.GetBytes("""{"error":"item not found"}""");
    public static readonly byte[] DatabaseUnavailable = Encoding.UTF8.GetBytes("""{"error":"database unavailable"}""");
    public static readonly byte[] BodyTooLarge = Encoding.UTF8.GetBytes("""{"error":"request body too large"}""");
    public static readonly byte[] InvalidJson = Encoding.UTF8.GetBytes("""{"error":"request body is not valid JSON"}""");
    public static readonly byte[] NotFound = Encoding.UTF8.GetBytes("""{"error":"not found"}""");
    public static readonly byte[] MethodNotAllowed = Encoding.UTF8.GetBytes("""{"error":"method not allowed"}""");
    public static readonly byte[] Health = Encoding.UTF8.GetBytes("""{"status":"ok"}""");

    public static Document NewDocument() => new(
        Id: 1,
        Name: "illm-lab",
        Description: "Fixed document for the JSON serialization benchmark",
        Version: "1.0.0",
        Active: true,
        Score: 98.25,
        Tags: ["benchmark", "json", "runtime"],
        Owner: new Owner("platform", "eu-west-1"),
        Metrics: [new Metric("p50_ms", 12), new Metric("p99_ms", 87)],
        Parent: null);

    /// <summary>The contract's integer syntax: 1 to 10 decimal digits without
    /// sign or leading zero, in [1, max].</summary>
    public static long? ParseBounded(string? s, long max)
    {
        if (string.IsNullOrEmpty(s) || s.Length > 10 || s[0] == '0')
        {
            return null;
        }
        long n = 0;
        foreach (var c in s)
        {
            if (c < '0' || c > '9')
            {
                return null;
            }
            n = n * 10 + (c - '0');
        }
        return n <= max ? n : null;
    }

    /// <summary>The contract's CPU-bound work: trial division by odd divisors.</summary>
    public static long NthPrime(long n)
    {
        if (n == 1)
        {
            return 2;
        }
        long count = 1;
        for (long c = 3; ; c += 2)
        {
            var prime = true;
            for (long d = 3; d * d <= c; d += 2)
            {
                if (c % d == 0)
                {
                    prime = false;
                    break;
                }
            }
            if (prime && ++count == n)
            {
                return c;
            }
        }
    }

    /// <summary>Whether body is exactly one JSON value.</summary>
    public static bool IsJson(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return false;
        }
        try
        {
            using var _ = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

// Positional records serialize in declaration order: the wire order.
public sealed record Document(
    int Id, string Name, string Description, string Version, bool Active, double Score,
    string[] Tags, Owner Owner, Metric[] Metrics, string? Parent);

public sealed record Owner(string Team, string Region);

public sealed record Metric(string Name, int Value);

public sealed record Item(int Id, string Name, int Value);

public sealed record Computed(long N, long Prime);

// Source-generated serialization: no reflection at run time.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Document))]
[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(Computed))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
