// The lab's runtime benchmark API on node:http with a pg connection pool.
import http from 'node:http';
import pg from 'pg';
import {
  COMPUTE_MAX_N,
  CONTENT_TYPE,
  ECHO_MAX_BYTES,
  ITEM_ID_MAX,
  errors,
  firstParam,
  newDocument,
  nthPrime,
  parseBounded,
} from './api.js';

// A refused body is read and discarded up to this size, then the
// connection is cut.
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

// Stays below Kubernetes' default 30 s termination grace period.
const SHUTDOWN_GRACE_MS = 20000;
const QUERY_TIMEOUT_MS = 5000;
const ALLOW_GET = 'GET, HEAD';
const ALLOW_POST = 'POST';
const HEALTH = '{"status":"ok"}';

function log(level, msg, fields = {}) {
  process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

function loadConfig(env) {
  const cfg = {
    host: env.HOST || '0.0.0.0',
    port: 8080,
    databaseURL: env.DATABASE_URL || '',
    poolSize: 10,
  };
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

function send(res, status, body, allow) {
  const headers = { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) };
  if (allow) headers.Allow = allow;
  res.writeHead(status, headers);
  res.end(body);
}

function createHandler(pool) {
  async function database(res, rawQuery) {
    const raw = firstParam(rawQuery, 'id');
    if (raw === null) return send(res, 400, errors.missingId);
    const id = parseBounded(raw, ITEM_ID_MAX);
    if (id === null) return send(res, 400, errors.invalidId);
    if (!pool) return send(res, 503, errors.databaseUnavailable);
    let rows;
    try {
      ({ rows } = await pool.query({
        name: 'item-by-id',
        text: 'SELECT id, name, value FROM items WHERE id = $1',
        values: [id],
        query_timeout: QUERY_TIMEOUT_MS,
      }));
    } catch (err) {
      log('warn', 'database query', { id, err: String(err) });
      return send(res, 503, errors.databaseUnavailable);
    }
    if (rows.length === 0) return send(res, 404, errors.itemNotFound);
    const { id: rowId, name, value } = rows[0];
    return send(res, 200, JSON.stringify({ id: rowId, name, value }));
  }

  function echo(req, res) {
    const declared = Number(req.headers['content-length']);
    if (declared > ECHO_MAX_BYTES) {
      // Refuse without buffering. Answer once the client has finished
      // sending (the body is discarded), so it reads the 413 instead of a
      // broken pipe; a body far beyond any sane size is cut off instead.
      // Close so the connection isn't reused.
      res.setHeader('Connection', 'close');
      let discarded = 0;
      req.on('data', (chunk) => {
        discarded += chunk.length;
        if (discarded > DISCARD_MAX_BYTES) req.destroy();
      });
      req.on('end', () => send(res, 413, errors.bodyTooLarge));
      return;
    }
    const chunks = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > ECHO_MAX_BYTES) {
        done = true;
        res.setHeader('Connection', 'close');
        send(res, 413, errors.bodyTooLarge);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks, size);
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        return send(res, 400, errors.invalidJSON);
      }
      return send(res, 200, body);
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        send(res, 400, errors.invalidJSON);
      }
    });
  }

  // Routing is an exact-path switch: five endpoints need no router, and it
  // lets 404/405 answer with the contract's JSON bodies.
  return function handle(req, res) {
    const url = req.url || '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const isGet = req.method === 'GET' || req.method === 'HEAD';
    switch (path) {
      case '/health':
        if (!isGet) return send(res, 405, errors.methodNotAllowed, ALLOW_GET);
        return send(res, 200, HEALTH);
      case '/json':
        if (!isGet) return send(res, 405, errors.methodNotAllowed, ALLOW_GET);
        return send(res, 200, JSON.stringify(newDocument()));
      case '/compute': {
        if (!isGet) return send(res, 405, errors.methodNotAllowed, ALLOW_GET);
        const raw = firstParam(rawQuery, 'n');
        if (raw === null) return send(res, 400, errors.missingN);
        const n = parseBounded(raw, COMPUTE_MAX_N);
        if (n === null) return send(res, 400, errors.invalidN);
        return send(res, 200, JSON.stringify({ n, prime: nthPrime(n) }));
      }
      case '/database':
        if (!isGet) return send(res, 405, errors.methodNotAllowed, ALLOW_GET);
        return database(res, rawQuery).catch((err) => {
          log('error', 'database handler', { err: String(err) });
          if (!res.headersSent) send(res, 503, errors.databaseUnavailable);
        });
      case '/echo':
        if (req.method !== 'POST') return send(res, 405, errors.methodNotAllowed, ALLOW_POST);
        return echo(req, res);
      default:
        return send(res, 404, errors.notFound);
    }
  };
}

function main() {
  const cfg = loadConfig(process.env);
  let pool = null;
  if (cfg.databaseURL) {
    // pg connects lazily, so the server starts (and answers 503 on /database)
    // while PostgreSQL is still coming up.
    pool = new pg.Pool({
      connectionString: cfg.databaseURL,
      max: cfg.poolSize,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30000,
    });
    pool.on('error', (err) => log('warn', 'idle database client', { err: String(err) }));
  } else {
    log('warn', 'DATABASE_URL is not set: GET /database answers 503');
  }

  const server = http.createServer(
    { requestTimeout: 30000, headersTimeout: 5000, keepAliveTimeout: 120000 },
    createHandler(pool),
  );
  server.listen(cfg.port, cfg.host, () => {
    const { address, port } = server.address();
    log('info', 'listening', { addr: `${address}:${port}`, pool_size: cfg.poolSize });
  });

  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    const force = setTimeout(() => {
      log('warn', 'shutdown grace period exceeded');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      if (pool) await pool.end();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
