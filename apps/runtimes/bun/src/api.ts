// Pure parts of the runtime benchmark API contract
// (apps/runtimes/contract/contract.json).

export const COMPUTE_MAX_N = 100000;
export const ITEM_ID_MAX = 2147483647;
export const ECHO_MAX_BYTES = 65536;
export const CONTENT_TYPE = "application/json";

// Error bodies are fixed strings: every runtime must answer byte-identically.
export const errors = {
  missingN: '{"error":"missing query parameter n"}',
  invalidN: '{"error":"n must be an integer between 1 and 100000"}',
  missingId: '{"error":"missing query parameter id"}',
  invalidId: '{"error":"id must be an integer between 1 and 2147483647"}',
  itemNotFound: '{"error":"item not found"}',
  databaseUnavailable: '{"error":"database unavailable"}',
  bodyTooLarge: '{"error":"request body too large"}',
  invalidJSON: '{"error":"request body is not valid JSON"}',
  notFound: '{"error":"not found"}',
  methodNotAllowed: '{"error":"method not allowed"}',
} as const;

export interface Document {
  id: number;
  name: string;
  description: string;
  version: string;
  active: boolean;
  score: number;
  tags: string[];
  owner: { team: string; region: string };
  metrics: { name: string; value: number }[];
  parent: string | null;
}

// newDocument builds the fixed /json payload; property order is wire order.
export function newDocument(): Document {
  return {
    id: 1,
    name: "illm-lab",
    description: "Fixed document for the JSON serialization benchmark",
    version: "1.0.0",
    active: true,
    score: 98.25,
    tags: ["benchmark", "json", "runtime"],
    owner: { team: "platform", region: "eu-west-1" },
    metrics: [
      { name: "p50_ms", value: 12 },
      { name: "p99_ms", value: 87 },
    ],
    parent: null,
  };
}

const INTEGER = /^[1-9][0-9]{0,9}$/;

// parseBounded accepts 1 to 10 decimal digits without sign or leading zero,
// in [1, max]; it returns null otherwise.
export function parseBounded(s: string, max: number): number | null {
  if (!INTEGER.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

// nthPrime is the contract's CPU-bound work: trial division by odd divisors.
export function nthPrime(n: number): number {
  if (n === 1) return 2;
  let count = 1;
  for (let c = 3; ; c += 2) {
    let prime = true;
    for (let d = 3; d * d <= c; d += 2) {
      if (c % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime && ++count === n) return c;
  }
}
