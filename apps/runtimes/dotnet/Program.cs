// The lab's runtime benchmark API on ASP.NET Core minimal APIs with an
// Npgsql data source (its connection pool).
using System.Net;
using System.Text.Json;
using Npgsql;
using RuntimeDotnet;

var config = RuntimeConfig.Load(Environment.GetEnvironmentVariable);

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(k =>
{
    if (config.Host == "localhost")
    {
        k.ListenLocalhost(config.Port);
    }
    else if (IPAddress.TryParse(config.Host, out var ip))
    {
        k.Listen(ip, config.Port);
    }
    else
    {
        throw new ArgumentException($"HOST={config.Host}: want an IP address or localhost");
    }
    k.AddServerHeader = false;
});
// Stays below Kubernetes' default 30 s termination grace period.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
builder.Logging.ClearProviders().AddJsonConsole();

NpgsqlDataSource? dataSource = null;
if (config.DatabaseUrl.Length > 0)
{
    // Npgsql opens connections lazily, so the server starts (and answers 503
    // on /database) while PostgreSQL is still coming up.
    dataSource = new NpgsqlDataSourceBuilder(RuntimeConfig.ToConnectionString(config.DatabaseUrl, config.PoolSize)).Build();
}

var app = builder.Build();
var log = app.Logger;
if (dataSource is null)
{
    log.LogWarning("DATABASE_URL is not set: GET /database answers 503");
}
else
{
    app.Lifetime.ApplicationStopped.Register(dataSource.Dispose);
}

// Routing in ASP.NET Core ignores case and a trailing slash; the contract
// matches paths exactly, so anything else is a 404 before routing.
var known = new HashSet<string>(StringComparer.Ordinal) { "/health", "/json", "/compute", "/database", "/echo" };
app.Use((ctx, next) => known.Contains(ctx.Request.Path.Value ?? "")
    ? next(ctx)
    : new JsonBytes(StatusCodes.Status404NotFound, Api.NotFound).ExecuteAsync(ctx));

// A known path with another method gets routing's bodiless 405 (with Allow);
// give it the contract's body.
app.UseStatusCodePages(async ctx =>
{
    var res = ctx.HttpContext.Response;
    var body = res.StatusCode switch
    {
        StatusCodes.Status405MethodNotAllowed => Api.MethodNotAllowed,
        StatusCodes.Status404NotFound => Api.NotFound,
        _ => null,
    };
    if (body is not null)
    {
        res.ContentType = Api.ContentType;
        res.ContentLength = body.Length;
        await res.Body.WriteAsync(body);
    }
});

string[] getMethods = [HttpMethods.Get, HttpMethods.Head];

app.MapMethods("/health", getMethods, () => new JsonBytes(StatusCodes.Status200OK, Api.Health));

app.MapMethods("/json", getMethods, () =>
    new JsonBytes(StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(Api.NewDocument(), ApiJsonContext.Default.Document)));

app.MapMethods("/compute", getMethods, (HttpRequest req) =>
{
    var values = req.Query["n"];
    if (values.Count == 0)
    {
        return new JsonBytes(StatusCodes.Status400BadRequest, Api.MissingN);
    }
    if (Api.ParseBounded(values[0], Api.ComputeMaxN) is not long n)
    {
        return new JsonBytes(StatusCodes.Status400BadRequest, Api.InvalidN);
    }
    var body = JsonSerializer.SerializeToUtf8Bytes(new Computed(n, Api.NthPrime(n)), ApiJsonContext.Default.Computed);
    return new JsonBytes(StatusCodes.Status200OK, body);
});

app.MapMethods("/database", getMethods, async (HttpRequest req, CancellationToken ct) =>
{
    var values = req.Query["id"];
    if (values.Count == 0)
    {
        return new JsonBytes(StatusCodes.Status400BadRequest, Api.MissingId);
    }
    if (Api.ParseBounded(values[0], Api.ItemIdMax) is not long id)
    {
        return new JsonBytes(StatusCodes.Status400BadRequest, Api.InvalidId);
    }
    if (dataSource is null)
    {
        return new JsonBytes(StatusCodes.Status503ServiceUnavailable, Api.DatabaseUnavailable);
    }
    try
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name, value FROM items WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return new JsonBytes(StatusCodes.Status404NotFound, Api.ItemNotFound);
        }
        var item = new Item(reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2));
        return new JsonBytes(StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(item, ApiJsonContext.Default.Item));
    }
    catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
    {
        log.LogWarning(ex, "database query id={Id}", id);
        return new JsonBytes(StatusCodes.Status503ServiceUnavailable, Api.DatabaseUnavailable);
    }
});

app.MapPost("/echo", async (HttpRequest req, CancellationToken ct) =>
{
    if (req.ContentLength > Api.EchoMaxBytes)
    {
        return new JsonBytes(StatusCodes.Status413PayloadTooLarge, Api.BodyTooLarge);
    }
    // Read one byte past the limit to tell "at the limit" from "over it".
    var buffer = new byte[Api.EchoMaxBytes + 1];
    var size = 0;
    int read;
    while (size < buffer.Length && (read = await req.Body.ReadAsync(buffer.AsMemory(size), ct)) > 0)
    {
        size += read;
    }
    if (size > Api.EchoMaxBytes)
    {
        return new JsonBytes(StatusCodes.Status413PayloadTooLarge, Api.BodyTooLarge);
    }
    var body = buffer.AsMemory(0, size);
    return Api.IsJson(body)
        ? new JsonBytes(StatusCodes.Status200OK, body)
        : new JsonBytes(StatusCodes.Status400BadRequest, Api.InvalidJson);
});

log.LogInformation("listening on {Host}:{Port} pool_size={PoolSize}", config.Host, config.Port, config.PoolSize);
app.Run();

namespace RuntimeDotnet
{
    /// <summary>A JSON response with the contract's exact Content-Type
    /// (Results.Json would add "; charset=utf-8").</summary>
    internal sealed class JsonBytes(int status, ReadOnlyMemory<byte> body) : IResult
    {
        public Task ExecuteAsync(HttpContext ctx)
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = Api.ContentType;
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body).AsTask();
        }
    }

    internal sealed record RuntimeConfig(string Host, int Port, string DatabaseUrl, int PoolSize)
    {
        public static RuntimeConfig Load(Func<string, string?> getenv)
        {
            var host = getenv("HOST") is { Length: > 0 } h ? h : "0.0.0.0";
            var port = 8080;
            if (getenv("PORT") is { Length: > 0 } p && !(int.TryParse(p, out port) && port is >= 1 and <= 65535))
            {
                throw new ArgumentException($"PORT={p}: want an integer in [1, 65535]");
            }
            var pool = 10;
            if (getenv("DATABASE_POOL_SIZE") is { Length: > 0 } s && !(int.TryParse(s, out pool) && pool >= 1))
            {
                throw new ArgumentException($"DATABASE_POOL_SIZE={s}: want a positive integer");
            }
            return new RuntimeConfig(host, port, getenv("DATABASE_URL") ?? "", pool);
        }

        /// <summary>Npgsql takes key=value connection strings; DATABASE_URL is a
        /// postgres:// URL like every other runtime's.</summary>
        public static string ToConnectionString(string url, int poolSize)
        {
            var csb = new NpgsqlConnectionStringBuilder();
            if (url.StartsWith("postgres://", StringComparison.Ordinal) || url.StartsWith("postgresql://", StringComparison.Ordinal))
            {
                var uri = new Uri(url);
                csb.Host = uri.Host;
                csb.Port = uri.Port > 0 ? uri.Port : 5432;
                csb.Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
                var userInfo = uri.UserInfo.Split(':', 2);
                csb.Username = Uri.UnescapeDataString(userInfo[0]);
                if (userInfo.Length == 2)
                {
                    csb.Password = Uri.UnescapeDataString(userInfo[1]);
                }
                foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = pair.Split('=', 2);
                    if (kv[0] == "sslmode" && kv.Length == 2)
                    {
                        csb.SslMode = kv[1] switch
                        {
                            "disable" => SslMode.Disable,
                            "allow" => SslMode.Allow,
                            "prefer" => SslMode.Prefer,
                            "require" => SslMode.Require,
                            "verify-ca" => SslMode.VerifyCA,
                            "verify-full" => SslMode.VerifyFull,
                            _ => throw new ArgumentException($"DATABASE_URL: unknown sslmode {kv[1]}"),
                        };
                    }
                }
            }
            else
            {
                csb.ConnectionString = url;
            }
            csb.MaxPoolSize = poolSize;
            csb.Timeout = 2;
            csb.CommandTimeout = 5;
            return csb.ConnectionString;
        }
    }
}
