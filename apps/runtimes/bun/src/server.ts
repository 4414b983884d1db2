// The lab's runtime benchmark API on Bun.serve with Bun's built-in
// PostgreSQL client (Bun.SQL) and its connection pool.
import { SQL } from "bun";
import {
  COMPUTE_MAX_N,
  CONTENT_TYPE,
  ECHO_MAX_BYTES,
  ITEM_ID_MAX,
  errors,
  newDocument,
  nthPrime,
  parseBounded,
} from "./api.ts";

// Stays below Kubernetes' default 30 s termination grace period.
const SHUTDOWN_GRACE_MS = 20000;
const ALLOW_GET = "GET, HEAD";
const ALLOW_POST = "POST";
const HEALTH = '{"status":"ok"}';

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

interface Config {
  host: string;
  port: number;
  databaseURL: string;
  poolSize: number;
}

function loadConfig(env: Record<string, string | undefined>): Config {
  const cfg: Config = { host: env.HOST || "0.0.0.0", port: 8080, databaseURL: env.DATABASE_URL || "", poolSize: 10 };
  if (env.PORT) {
    const p = Number(env.PORT);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`PORT=${JSON.stringify(env.PORT)}: want an integer in [1, 65535]`);
    cfg.port = p;
  }
  if (env.DATABASE_POOL_SIZE) {
    const n = Number(env.DATABASE_POOL_SIZE);
    if (!Number.isInteger(n) || n < 1) throw new Error(`DATABASE_POOL_SIZE=${JSON.stringify(env.DATABASE_POOL_SIZE)}: want a positive integer`);
    cfg.poolSize = n;
  }
  return cfg;
}

function send(status: number, body: BodyInit, allow?: string): Response {
  const headers: Record<string, string> = { "Content-Type": CONTENT_TYPE };
  if (allow) headers.Allow = allow;
  return new Response(body, { status, headers });
}

// readLimited reads at most limit bytes of the body; null means too large.
async function readLimited(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length"));
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

const decoder = new TextDecoder();

function createHandler(sql: SQL | null) {
  async function database(params: URLSearchParams): Promise<Response> {
    const raw = params.get("id");
    if (raw === null) return send(400, errors.missingId);
    const id = parseBounded(raw, ITEM_ID_MAX);
    if (id === null) return send(400, errors.invalidId);
    if (!sql) return send(503, errors.databaseUnavailable);
    let rows: { id: number; name: string; value: number }[];
    try {
      rows = await sql`SELECT id, name, value FROM items WHERE id = ${id}`;
    } catch (err) {
      log("warn", "database query", { id, err: String(err) });
      return send(503, errors.databaseUnavailable);
    }
    if (rows.length === 0) return send(404, errors.itemNotFound);
    const { id: rowId, name, value } = rows[0];
    return send(200, JSON.stringify({ id: rowId, name, value }));
  }

  async function echo(req: Request): Promise<Response> {
    const body = await readLimited(req, ECHO_MAX_BYTES);
    if (body === null) return send(413, errors.bodyTooLarge);
    try {
      JSON.parse(decoder.decode(body));
    } catch {
      return send(400, errors.invalidJSON);
    }
    return send(200, body);
  }

  // Routing is an exact-path switch: five endpoints need no router, and it
  // lets 404/405 answer with the contract's JSON bodies.
  return function fetch(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    const isGet = req.method === "GET" || req.method === "HEAD";
    switch (url.pathname) {
      case "/health":
        if (!isGet) return send(405, errors.methodNotAllowed, ALLOW_GET);
        return send(200, HEALTH);
      case "/json":
        if (!isGet) return send(405, errors.methodNotAllowed, ALLOW_GET);
        return send(200, JSON.stringify(newDocument()));
      case "/compute": {
        if (!isGet) return send(405, errors.methodNotAllowed, ALLOW_GET);
        const raw = url.searchParams.get("n");
        if (raw === null) return send(400, errors.missingN);
        const n = parseBounded(raw, COMPUTE_MAX_N);
        if (n === null) return send(400, errors.invalidN);
        return send(200, JSON.stringify({ n, prime: nthPrime(n) }));
      }
      case "/database":
        if (!isGet) return send(405, errors.methodNotAllowed, ALLOW_GET);
        return database(url.searchParams);
      case "/echo":
        if (req.method !== "POST") return send(405, errors.methodNotAllowed, ALLOW_POST);
        return echo(req);
      default:
        return send(404, errors.notFound);
    }
  };
}

function main(): void {
  const cfg = loadConfig(process.env);
  let sql: SQL | null = null;
  if (cfg.databaseURL) {
    // Bun.SQL connects lazily, so the server starts (and answers 503 on
    // /database) while PostgreSQL is still coming up.
    sql = new SQL({ url: cfg.databaseURL, max: cfg.poolSize, idleTimeout: 30, connectionTimeout: 2 });
  } else {
    log("warn", "DATABASE_URL is not set: GET /database answers 503");
  }

  const server = Bun.serve({
    hostname: cfg.host,
    port: cfg.port,
    // No maxRequestBodySize: Bun would answer an oversized body itself, with
    // its own body; the handler refuses it by Content-Length or while reading
    // (413 with the contract's body) and never buffers more than the limit.
    fetch: createHandler(sql),
    error(err) {
      log("error", "unhandled", { err: String(err) });
      return send(500, '{"error":"internal error"}');
    },
  });
  log("info", "listening", { addr: `${server.hostname}:${server.port}`, pool_size: cfg.poolSize });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("info", "shutting down", { signal });
    setTimeout(() => {
      log("warn", "shutdown grace period exceeded");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await server.stop();
    if (sql) await sql.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main();
